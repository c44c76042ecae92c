# Helpers of the apply script only: the ways the fix blocks change the host.
function Set-LzwRegistry {
    # Through .NET rather than New-ItemProperty: value names such as '*' or '\\*\NETLOGON' are
    # taken literally, and a DWORD above 2^31 is stored as the unsigned value it is.
    param([string]$Path, [string]$Name, $Value, [string]$Kind)
    switch ($Kind) {
        'DWord' { $data = [BitConverter]::ToInt32([BitConverter]::GetBytes([uint32]$Value), 0) }
        'QWord' { $data = [BitConverter]::ToInt64([BitConverter]::GetBytes([uint64]$Value), 0) }
        'MultiString' { $data = [string[]]@($Value) }
        default { $data = [string]$Value }
    }
    $key = [Microsoft.Win32.Registry]::LocalMachine.CreateSubKey(($Path -replace '^HKLM:\\', ''))
    try {
        $key.SetValue($Name, $data, [Microsoft.Win32.RegistryValueKind]$Kind)
    } finally {
        $key.Close()
    }
}

function Set-LzwSecurityPolicy {
    # One setting through a one-line security template, so nothing else of the policy is touched.
    param([string]$Section, [string]$Key, [string]$Value)
    $base = Join-Path $env:TEMP ('lzw-' + [guid]::NewGuid().ToString())
    $area = 'SECURITYPOLICY'
    if ($Section -eq 'Privilege Rights') { $area = 'USER_RIGHTS' }
    $template = @('[Unicode]', 'Unicode=yes', '[Version]', 'signature="$CHICAGO$"', 'Revision=1', "[$Section]", "$Key = $Value")
    Set-Content -LiteralPath "$base.inf" -Value $template -Encoding Unicode
    try {
        $run = Invoke-LzwNative -FilePath 'secedit.exe' -Arguments @('/configure', '/db', "$base.sdb", '/cfg', "$base.inf", '/areas', $area, '/quiet')
        if ($run.rc -ne 0) { throw "secedit /configure failed with exit code $($run.rc): $($run.output)" }
    } finally {
        Remove-Item -LiteralPath "$base.inf", "$base.sdb", "$base.jfm" -ErrorAction SilentlyContinue
    }
    $null = Read-LzwSecurityPolicy -Refresh
}

function Add-LzwUserRight {
    # Grants a user right to the SIDs that lack it and keeps everyone else who holds it.
    param([string]$Key, [string[]]$Sids)
    $current = ConvertTo-LzwSidList ((Read-LzwSecurityPolicy)["Privilege Rights|$Key"])
    $holders = @(@($current) + @($Sids) | Sort-Object -Unique | ForEach-Object { ConvertTo-LzwSeceditAccount $_ })
    Set-LzwSecurityPolicy -Section 'Privilege Rights' -Key $Key -Value ($holders -join ',')
}

function Set-LzwAuditPolicy {
    param([string]$Guid, [bool]$Success, [bool]$Failure)
    $arguments = @('/set', "/subcategory:{$Guid}")
    if ($Success) { $arguments += '/success:enable' }
    if ($Failure) { $arguments += '/failure:enable' }
    $run = Invoke-LzwNative -FilePath 'auditpol.exe' -Arguments $arguments
    if ($run.rc -ne 0) { throw "auditpol /set failed with exit code $($run.rc): $($run.output)" }
    $null = Read-LzwAuditPolicy -Refresh
}

function Set-LzwFirewallRule {
    # Creates or corrects one inbound rule of ours; never touches a rule we did not name.
    param([string]$Name, [string]$DisplayName, [string]$Action, [string]$Protocol, [string]$Port, [string[]]$Remote)
    $addresses = @($Remote)
    if ($addresses.Count -eq 0) { $addresses = @('Any') }
    if (Get-NetFirewallRule -Name $Name -ErrorAction SilentlyContinue) {
        Set-NetFirewallRule -Name $Name -NewDisplayName $DisplayName -Enabled True -Action $Action -Direction Inbound -Profile Any `
            -Protocol $Protocol -LocalPort $Port -RemoteAddress $addresses
    } else {
        New-NetFirewallRule -Name $Name -DisplayName $DisplayName -Enabled True -Action $Action -Direction Inbound -Profile Any `
            -Protocol $Protocol -LocalPort $Port -RemoteAddress $addresses | Out-Null
    }
}

function Disable-LzwBuiltinRules {
    param([string[]]$Names)
    $enabled = @(Get-NetFirewallRule -Name $Names -ErrorAction SilentlyContinue | Where-Object { [string]$_.Enabled -eq 'True' })
    if ($enabled.Count -gt 0) { $enabled | Disable-NetFirewallRule }
}

function Repair-LzwListener {
    # Adds the HTTPS listener, or gives an existing one a valid certificate. Never removes one.
    param([string]$Port, [string]$Thumbprint)
    if ([string](Get-Service -Name WinRM).StartType -ne 'Automatic') { Set-Service -Name WinRM -StartupType Automatic }
    $certificate = Get-LzwUsableCertificate -Thumbprint $Thumbprint
    if ($null -eq $certificate) { return }
    $https = @(Read-LzwListeners | Where-Object { $_.transport -eq 'HTTPS' -and $_.port -eq $Port })
    if (@($https | Where-Object { $_.enabled -ne 'false' -and $_.thumbprint -eq $certificate.Thumbprint }).Count -gt 0) { return }
    $hostname = [System.Net.Dns]::GetHostEntry('localhost').HostName
    $values = @{ CertificateThumbprint = $certificate.Thumbprint; Hostname = $hostname }
    if ($https.Count -gt 0) {
        $values.Enabled = 'true'
        Set-WSManInstance -ResourceURI 'winrm/config/listener' -SelectorSet @{ Address = $https[0].address; Transport = 'HTTPS' } -ValueSet $values | Out-Null
    } else {
        $values.Port = $Port
        New-WSManInstance -ResourceURI 'winrm/config/listener' -SelectorSet @{ Address = '*'; Transport = 'HTTPS' } -ValueSet $values | Out-Null
    }
}

function Remove-LzwHttpListener {
    # Only with a working HTTPS listener left to take over.
    param([string]$HttpsPort)
    $https = @(Read-LzwListeners | Where-Object {
            $_.transport -eq 'HTTPS' -and $_.port -eq $HttpsPort -and $null -ne (Get-LzwUsableCertificate -Thumbprint $_.thumbprint)
        })
    if ($https.Count -eq 0) { throw 'refusing to remove the HTTP listener: no working HTTPS listener would be left' }
    foreach ($listener in @(Read-LzwListeners | Where-Object { $_.transport -eq 'HTTP' })) {
        Remove-WSManInstance -ResourceURI 'winrm/config/listener' -SelectorSet @{ Address = $listener.address; Transport = 'HTTP' }
    }
}

function Set-LzwRdpAccess {
    # Turns Remote Desktop on with NLA and opens our rules; never turns anything of it off.
    param([int]$Port, [string[]]$Remote, [string[]]$Rules)
    Set-LzwRegistry -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server' -Name 'fDenyTSConnections' -Value 0 -Kind 'DWord'
    Set-LzwRegistry -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp' -Name 'UserAuthentication' -Value 1 -Kind 'DWord'
    if ([string](Get-Service -Name TermService).StartType -eq 'Disabled') { Set-Service -Name TermService -StartupType Manual }
    foreach ($rule in $Rules) {
        $name, $protocol = $rule.Split(':')
        Set-LzwFirewallRule -Name $name -DisplayName "Landing zone: Remote Desktop ($protocol) from the management networks" `
            -Action 'Allow' -Protocol $protocol -Port ([string]$Port) -Remote $Remote
    }
}

function Set-LzwCredentialGuard {
    param([int]$Flags)
    $policyKey = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\DeviceGuard'
    Set-LzwRegistry -Path $policyKey -Name 'EnableVirtualizationBasedSecurity' -Value 1 -Kind 'DWord'
    Set-LzwRegistry -Path $policyKey -Name 'RequirePlatformSecurityFeatures' -Value 1 -Kind 'DWord'
    Set-LzwRegistry -Path $policyKey -Name 'LsaCfgFlags' -Value $Flags -Kind 'DWord'
    return @{ reboot = $true }
}

function Add-LzwLocalGroupMember {
    # Adds the accounts that are missing; never removes a member.
    param([string]$Group, [string[]]$Members)
    $path = 'WinNT://' + $env:COMPUTERNAME + '/' + $Group + ',group'
    $found = Read-LzwLocalGroupSids -Path $path
    foreach ($account in $Members) {
        $sid = Resolve-LzwAccountSid -Account $account
        if ($null -ne $sid -and $found -notcontains $sid) { ([ADSI]$path).Add('WinNT://' + $sid) }
    }
}

