# Helpers every rendered script has: reading the state of the host and reporting it.
# Nothing in this file changes the host; the audit script is this file, the runner of
# audit_runner.ps1 and the check blocks, and nothing else.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$script:LzwMarker = 'LZW-RESULT '
$script:LzwChanged = $false
$script:LzwCache = @{}

function ConvertTo-LzwPlain {
    # Registry and CIM values as JSON-friendly scalars: bytes as hex, arrays of strings.
    param($Value)
    if ($null -eq $Value) { return $null }
    if ($Value -is [byte[]]) { return [System.BitConverter]::ToString($Value) }
    if ($Value -is [System.Array]) { return , @($Value | ForEach-Object { [string]$_ }) }
    if ($Value -is [bool] -or $Value -is [int] -or $Value -is [long] -or $Value -is [uint32] -or $Value -is [uint64] -or $Value -is [byte]) { return $Value }
    return [string]$Value
}

function Write-LzwResult {
    # One line per control, so a run cut short still reports every control it finished.
    param([hashtable]$Record)
    Write-Output ($script:LzwMarker + (ConvertTo-Json -InputObject $Record -Depth 8 -Compress))
}

function Get-LzwFinding {
    param(
        [bool]$Compliant,
        $Found,
        [string]$Source = '',
        [string]$Reason = '',
        [bool]$Fixable = $true,
        [string]$NotApplicable = '',
        [bool]$Reboot = $false,
        [bool]$Pending = $false
    )
    $state = 'noncompliant'
    if ($NotApplicable) { $state = 'not_applicable' } elseif ($Compliant) { $state = 'compliant' }
    return @{
        state = $state; found = $Found; source = $Source; reason = $Reason; fixable = $Fixable
        not_applicable = $NotApplicable; reboot = $Reboot; pending = $Pending
    }
}

function Test-LzwValue {
    param($Found, $Expected, [string]$Compare)
    if ($null -eq $Found) { return $false }
    switch ($Compare) {
        'eq' {
            if ($Expected -is [System.Array]) { return ((@($Found) -join "`n") -eq (@($Expected) -join "`n")) }
            return ([string]$Found -eq [string]$Expected)
        }
        'min' { return ([double]$Found -ge [double]$Expected) }
        'max' { return ([double]$Found -le [double]$Expected) }
        'max_nonzero' { return ([double]$Found -gt 0 -and [double]$Found -le [double]$Expected) }
        'in' { return (@($Expected | ForEach-Object { [string]$_ }) -contains [string]$Found) }
    }
    throw "unknown comparison $Compare"
}

function Read-LzwRegistry {
    param([string]$Path, [string]$Name)
    $key = Get-Item -LiteralPath $Path -ErrorAction SilentlyContinue
    if ($null -eq $key -or ($key.GetValueNames() -notcontains $Name)) { return @{ exists = $false; value = $null } }
    $raw = $key.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
    $kind = $key.GetValueKind($Name).ToString()
    # A REG_DWORD comes back as a signed Int32; policies above 2^31 are unsigned.
    if ($kind -eq 'DWord' -and $raw -lt 0) { $raw = [long]$raw + 4294967296 }
    return @{ exists = $true; value = (ConvertTo-LzwPlain $raw); kind = $kind }
}

function Get-LzwGroupPolicyObjects {
    # Resultant Set of Policy: which group policy object won each registry value and security
    # setting (precedence 1). Only domain-joined hosts with RSoP logging have it; elsewhere the
    # maps stay empty and a value in the policy hive is reported as local policy.
    if (-not $script:LzwCache.ContainsKey('rsop')) {
        $rsop = @{ registry = @{}; security = @{}; available = $false }
        try {
            $names = @{}
            foreach ($gpo in @(Get-CimInstance -Namespace 'root\rsop\computer' -ClassName RSOP_GPO -ErrorAction Stop)) {
                $names[[string]$gpo.id] = [string]$gpo.name
            }
            foreach ($setting in @(Get-CimInstance -Namespace 'root\rsop\computer' -ClassName RSOP_RegistryPolicySetting -ErrorAction Stop)) {
                if ($setting.precedence -ne 1) { continue }
                $key = ('{0}|{1}' -f $setting.registryKey, $setting.valueName).ToLowerInvariant()
                $rsop.registry[$key] = @{ name = $names[[string]$setting.GPOID]; local = ([string]$setting.GPOID -eq 'LocalGPO') }
            }
            # Security options reach the registry through the security template, not as policy
            # registry settings: RSOP_RegistryValue names them as MACHINE\<key>\<value>.
            foreach ($setting in @(Get-CimInstance -Namespace 'root\rsop\computer' -ClassName RSOP_RegistryValue -ErrorAction SilentlyContinue)) {
                if ($setting.precedence -ne 1) { continue }
                $path = ([string]$setting.Path) -replace '^MACHINE\\', ''
                $split = $path.LastIndexOf('\')
                if ($split -lt 1) { continue }
                $key = ('{0}|{1}' -f $path.Substring(0, $split), $path.Substring($split + 1)).ToLowerInvariant()
                $rsop.registry[$key] = @{ name = $names[[string]$setting.GPOID]; local = ([string]$setting.GPOID -eq 'LocalGPO') }
            }
            foreach ($class in 'RSOP_SecuritySettingNumeric', 'RSOP_SecuritySettingBoolean', 'RSOP_SecuritySettingString') {
                foreach ($setting in @(Get-CimInstance -Namespace 'root\rsop\computer' -ClassName $class -ErrorAction Stop)) {
                    if ($setting.precedence -ne 1) { continue }
                    $rsop.security[([string]$setting.KeyName).ToLowerInvariant()] = @{ name = $names[[string]$setting.GPOID]; local = ([string]$setting.GPOID -eq 'LocalGPO') }
                }
            }
            foreach ($setting in @(Get-CimInstance -Namespace 'root\rsop\computer' -ClassName RSOP_UserPrivilegeRight -ErrorAction Stop)) {
                if ($setting.precedence -ne 1) { continue }
                $rsop.security[([string]$setting.UserRight).ToLowerInvariant()] = @{ name = $names[[string]$setting.GPOID]; local = ([string]$setting.GPOID -eq 'LocalGPO') }
            }
            $rsop.available = $true
        } catch {
            $rsop.available = $false
        }
        $script:LzwCache['rsop'] = $rsop
    }
    return $script:LzwCache['rsop']
}

function Get-LzwRegistrySource {
    # Where the effective value comes from, in words, and whether a domain policy owns it.
    param([string]$Path, [string]$Name, [bool]$Exists)
    $relative = $Path -replace '^HKLM:\\', ''
    $gpo = (Get-LzwGroupPolicyObjects).registry[('{0}|{1}' -f $relative, $Name).ToLowerInvariant()]
    if ($null -ne $gpo -and -not $gpo.local) { return @{ text = "domain group policy object '$($gpo.name)'"; domain = $true } }
    if ($null -ne $gpo) { return @{ text = 'local group policy'; domain = $false } }
    if (-not $Exists) { return @{ text = 'not set'; domain = $false } }
    if ($relative -match '^SOFTWARE\\(Policies|Microsoft\\Windows\\CurrentVersion\\Policies)\\') {
        return @{ text = 'policy hive (no domain group policy object reported by RSoP)'; domain = $false }
    }
    return @{ text = 'registry value (no policy object reported by RSoP)'; domain = $false }
}

function Get-LzwSecuritySource {
    param([string]$Key)
    $gpo = (Get-LzwGroupPolicyObjects).security[$Key.ToLowerInvariant()]
    if ($null -ne $gpo -and -not $gpo.local) { return @{ text = "domain group policy object '$($gpo.name)'"; domain = $true } }
    if ($null -ne $gpo) { return @{ text = 'local group policy'; domain = $false } }
    return @{ text = 'local security policy'; domain = $false }
}

function Get-LzwDomainReason {
    param($Source, $Found)
    return "set to $(ConvertTo-Json -InputObject $Found -Compress) by $($Source.text); a local change would be undone at the next policy refresh: change that policy object"
}

function Get-LzwMdmOwner {
    # An MDM (Intune) writes each policy it manages under PolicyManager\current\device\<Area>, the
    # value named after the policy, with <Policy>_WinningProvider naming the enrollment that won.
    # Whatever it manages, it writes again at its next sync: a local fix would not hold.
    param([string]$Policy)
    $area, $name = $Policy.Split('/')
    $key = 'HKLM:\SOFTWARE\Microsoft\PolicyManager\current\device\' + $area
    $value = Read-LzwRegistry -Path $key -Name $name
    $provider = Read-LzwRegistry -Path $key -Name ($name + '_WinningProvider')
    if (-not $value.exists -and -not $provider.exists) { return $null }
    $text = "MDM policy '$Policy'"
    if ($provider.exists) { $text += " (provider $($provider.value))" }
    return @{ text = $text; value = $value.value }
}

function Add-LzwMdmOwner {
    # The MDM's ownership of a setting reported as a domain policy's is: named, and not fixed here.
    param([hashtable]$Finding, [string]$Policy)
    if (-not $Policy) { return $Finding }
    $owner = Get-LzwMdmOwner -Policy $Policy
    if ($null -eq $owner) { return $Finding }
    $Finding.source = $owner.text
    if ($Finding.state -eq 'noncompliant') {
        $Finding.fixable = $false
        $Finding.reason = "set to $(ConvertTo-Json -InputObject $Finding.found -Compress) by $($owner.text); " +
            'a local change would be undone at the next MDM sync: change that policy in the MDM'
    }
    return $Finding
}

function Invoke-LzwNative {
    # A console program with its output as text. Windows PowerShell 5.1 turns a native program's
    # stderr into error records, which 'Stop' would make fatal: the exit code decides instead.
    param([string]$FilePath, [string[]]$Arguments)
    $ErrorActionPreference = 'Continue'
    $output = @(& $FilePath @Arguments 2>&1 | ForEach-Object { [string]$_ })
    return @{ rc = $LASTEXITCODE; output = ($output -join ' ').Trim() }
}

function Read-LzwSecurityPolicy {
    param([switch]$Refresh)
    if ($Refresh -or -not $script:LzwCache.ContainsKey('secpol')) {
        $file = Join-Path $env:TEMP ('lzw-' + [guid]::NewGuid().ToString() + '.inf')
        try {
            $run = Invoke-LzwNative -FilePath 'secedit.exe' -Arguments @('/export', '/cfg', $file, '/areas', 'SECURITYPOLICY', 'USER_RIGHTS', '/quiet')
            if ($run.rc -ne 0) { throw "secedit /export failed with exit code $($run.rc): $($run.output)" }
            $policy = @{}
            $section = ''
            foreach ($line in (Get-Content -LiteralPath $file -Encoding Unicode)) {
                if ($line -match '^\[(.+)\]\s*$') { $section = $Matches[1]; continue }
                if ($line -match '^\s*([^=]+?)\s*=\s*(.*)$') { $policy["$section|$($Matches[1])"] = $Matches[2].Trim() }
            }
            $script:LzwCache['secpol'] = $policy
        } finally {
            if (Test-Path -LiteralPath $file) { [System.IO.File]::Delete($file) }
        }
    }
    return $script:LzwCache['secpol']
}

function ConvertTo-LzwSidList {
    # A user right as secedit exports it, as a sorted list of SIDs. secedit writes '*' + SID for most
    # holders but the account name for some, such as the built-in guest: 'Gast' on Dutch Windows,
    # 'Guest' on English. Names are translated here, so rights compare by SID in every language; a
    # name that resolves to nothing (a deleted account) stays as it was written, and shows as such.
    param([string]$Value)
    $sids = @()
    foreach ($entry in @(([string]$Value).Split(',') | ForEach-Object { $_.Trim() } | Where-Object { $_ })) {
        if ($entry.StartsWith('*')) { $sids += $entry.Substring(1); continue }
        try {
            $account = New-Object -TypeName System.Security.Principal.NTAccount -ArgumentList $entry
            $sids += $account.Translate([System.Security.Principal.SecurityIdentifier]).Value
        } catch {
            $sids += $entry
        }
    }
    return , @($sids | Sort-Object -Unique)
}

function ConvertTo-LzwSeceditAccount {
    # How secedit reads a holder back: '*' + SID, or a bare account name. Never '*' + a name, which
    # secedit rejects or drops ('*Gast').
    param([string]$Account)
    if ($Account -match '^S-1-\d+(-\d+)+$') { return '*' + $Account }
    return $Account
}

function Read-LzwAuditPolicy {
    # auditpol /backup writes one row per subcategory with a numeric setting (0 none, 1 success,
    # 2 failure, 3 both): unlike /get, neither the GUIDs nor the numbers depend on the language.
    param([switch]$Refresh)
    if ($Refresh -or -not $script:LzwCache.ContainsKey('auditpol')) {
        $file = Join-Path $env:TEMP ('lzw-' + [guid]::NewGuid().ToString() + '.csv')
        try {
            $run = Invoke-LzwNative -FilePath 'auditpol.exe' -Arguments @('/backup', "/file:$file")
            if ($run.rc -ne 0) { throw "auditpol /backup failed with exit code $($run.rc): $($run.output)" }
            $settings = @{}
            $rows = Get-Content -LiteralPath $file | Select-Object -Skip 1 |
                ConvertFrom-Csv -Header 'machine', 'target', 'subcategory', 'guid', 'inclusion', 'exclusion', 'value'
            foreach ($row in $rows) {
                if ($row.guid -and $row.value -match '^\d+$') { $settings[$row.guid.Trim('{}').ToLowerInvariant()] = [int]$row.value }
            }
            $script:LzwCache['auditpol'] = $settings
        } finally {
            if (Test-Path -LiteralPath $file) { [System.IO.File]::Delete($file) }
        }
    }
    return $script:LzwCache['auditpol']
}

function Read-LzwMpPreference {
    param([switch]$Refresh)
    if ($Refresh -or -not $script:LzwCache.ContainsKey('mp')) {
        $script:LzwCache['mp'] = $null
        $script:LzwCache['mp_error'] = ''
        try {
            $status = Get-MpComputerStatus
            if (-not $status.AMServiceEnabled) { throw 'the Microsoft Defender Antivirus service is not enabled' }
            $script:LzwCache['mp'] = Get-MpPreference
        } catch {
            $script:LzwCache['mp_error'] = $_.Exception.Message
        }
    }
    return $script:LzwCache['mp']
}

function ConvertTo-LzwCidr {
    # Firewall address filters say 10.1.0.0/255.255.0.0; the catalog says 10.1.0.0/16.
    param([string]$Address)
    $Address = $Address.Trim().ToLowerInvariant()
    if ($Address -match '^(\d+\.\d+\.\d+\.\d+)/(\d+\.\d+\.\d+\.\d+)$') {
        $bits = 0
        foreach ($octet in $Matches[2].Split('.')) { $bits += ([Convert]::ToString([int]$octet, 2) -replace '0', '').Length }
        return "$($Matches[1])/$bits"
    }
    if ($Address -match '^\d+\.\d+\.\d+\.\d+$') { return "$Address/32" }
    if ($Address -match ':' -and $Address -notmatch '/') { return "$Address/128" }
    return $Address
}

function Read-LzwFirewallRule {
    # The rule as the firewall enforces it (ActiveStore), and whether it exists locally at all:
    # a local rule missing from the active store means group policy ignores local rules.
    param([string]$Name)
    $local = Get-NetFirewallRule -Name $Name -ErrorAction SilentlyContinue
    $active = Get-NetFirewallRule -Name $Name -PolicyStore ActiveStore -ErrorAction SilentlyContinue
    if ($null -eq $active) { return @{ exists = ($null -ne $local); active = $false } }
    $ports = $active | Get-NetFirewallPortFilter
    $addresses = $active | Get-NetFirewallAddressFilter
    $remote = @($addresses.RemoteAddress | ForEach-Object { ConvertTo-LzwCidr $_ } | Sort-Object -Unique)
    return @{
        exists = $true; active = $true
        enabled = [string]$active.Enabled; action = [string]$active.Action; direction = [string]$active.Direction
        protocol = [string]$ports.Protocol; local_port = (@($ports.LocalPort) -join ','); remote_addresses = $remote
    }
}

function Test-LzwFirewallRule {
    param([hashtable]$Found, [string]$Action, [string]$Protocol, [string]$Port, [string[]]$Remote)
    if (-not $Found.active) { return $false }
    $wantedRemote = @($Remote | Sort-Object -Unique)
    if ($wantedRemote.Count -eq 0) { $wantedRemote = @('any') }
    return ($Found.enabled -eq 'True' -and $Found.action -eq $Action -and $Found.direction -eq 'Inbound' -and
        $Found.protocol -eq $Protocol -and $Found.local_port -eq $Port -and
        ((@($Found.remote_addresses) -join ',') -eq ($wantedRemote -join ',')))
}

function Read-LzwListeners {
    return @(Get-WSManInstance -ResourceURI 'winrm/config/listener' -Enumerate | ForEach-Object {
            @{ transport = [string]$_.Transport; address = [string]$_.Address; port = [string]$_.Port
                hostname = [string]$_.Hostname; thumbprint = [string]$_.CertificateThumbprint; enabled = [string]$_.Enabled }
        })
}

function Get-LzwUsableCertificate {
    # A certificate a WinRM HTTPS listener can use: in LocalMachine\My, with its private key,
    # valid now, for server authentication, naming this host.
    param([string]$Thumbprint)
    $now = Get-Date
    $fqdn = [System.Net.Dns]::GetHostEntry('localhost').HostName
    $candidates = @(Get-ChildItem -Path Cert:\LocalMachine\My | Where-Object {
            $_.HasPrivateKey -and $_.NotBefore -le $now -and $_.NotAfter -gt $now -and
            (@($_.EnhancedKeyUsageList | ForEach-Object { $_.ObjectId }) -contains '1.3.6.1.5.5.7.3.1')
        })
    if ($Thumbprint) { return $candidates | Where-Object { $_.Thumbprint -eq $Thumbprint } | Select-Object -First 1 }
    return $candidates | Where-Object {
        $_.Subject -match "CN=$([regex]::Escape($fqdn))(,|$)" -or (@($_.DnsNameList | ForEach-Object { [string]$_ }) -contains $fqdn)
    } | Sort-Object NotAfter -Descending | Select-Object -First 1
}

# ---- the checks of the numerous types, one call per control in the script

function ConvertTo-LzwRegistryTypeName {
    # The registry's own names for value types, as regedit and the evidence show them.
    param([string]$Kind)
    $names = @{
        DWord = 'REG_DWORD'; QWord = 'REG_QWORD'; String = 'REG_SZ'; ExpandString = 'REG_EXPAND_SZ'
        MultiString = 'REG_MULTI_SZ'; Binary = 'REG_BINARY'; None = 'REG_NONE'; Unknown = 'REG_NONE'
    }
    if ($names.ContainsKey($Kind)) { return $names[$Kind] }
    return $Kind
}

function Test-LzwRegistryControl {
    # The value and its type: a REG_SZ '1' is not the REG_DWORD 1 Windows reads, whatever it prints as.
    param([string]$Path, [string]$Name, $Expected, [string]$Compare, [string]$Kind)
    $value = Read-LzwRegistry -Path $Path -Name $Name
    $source = Get-LzwRegistrySource -Path $Path -Name $Name -Exists $value.exists
    $wantedType = ConvertTo-LzwRegistryTypeName $Kind
    $foundType = ''
    if ($value.exists) { $foundType = ConvertTo-LzwRegistryTypeName $value.kind }
    $compliant = $value.exists -and $foundType -eq $wantedType -and (Test-LzwValue -Found $value.value -Expected $Expected -Compare $Compare)
    $reason = ''
    if (-not $value.exists) { $reason = 'not set' }
    elseif ($foundType -ne $wantedType) { $reason = "$foundType " + (ConvertTo-Json -InputObject $value.value -Compress) + ", not the $wantedType the control sets" }
    elseif (-not $compliant) { $reason = 'set to ' + (ConvertTo-Json -InputObject $value.value -Compress) }
    if (-not $compliant -and $source.domain) { $reason = Get-LzwDomainReason -Source $source -Found $value.value }
    $finding = Get-LzwFinding -Compliant $compliant -Found $value.value -Source $source.text -Reason $reason -Fixable (-not $source.domain)
    $finding.value_type = $foundType
    return $finding
}

function Test-LzwSecurityControl {
    param([string]$Section, [string]$Key, $Expected, [string]$Compare)
    $raw = (Read-LzwSecurityPolicy)["$Section|$Key"]
    if ($Compare -eq 'sids' -or $Compare -eq 'includes') {
        $found = ConvertTo-LzwSidList $raw
        # Sorted here like the found list, so both use the same (culture-aware) order.
        $wanted = @($Expected | Sort-Object -Unique)
        if ($Compare -eq 'sids') { $compliant = ((@($found) -join ',') -eq ($wanted -join ',')) }
        else { $compliant = (@($wanted | Where-Object { @($found) -notcontains $_ }).Count -eq 0) }
    } else {
        $found = $null
        if ($null -ne $raw -and $raw -match '^-?\d+$') { $found = [long]$raw }
        $compliant = Test-LzwValue -Found $found -Expected $Expected -Compare $Compare
    }
    $source = Get-LzwSecuritySource -Key $Key
    $reason = ''
    if (-not $compliant) { $reason = 'set to ' + (ConvertTo-Json -InputObject $found -Compress) + " in [$Section]" }
    if (-not $compliant -and $source.domain) { $reason = Get-LzwDomainReason -Source $source -Found $found }
    return Get-LzwFinding -Compliant $compliant -Found $found -Source $source.text -Reason $reason -Fixable (-not $source.domain)
}

function Test-LzwAuditControl {
    param([string]$Guid, [int]$Wanted)
    $names = @{ '0' = 'No Auditing'; '1' = 'Success'; '2' = 'Failure'; '3' = 'Success and Failure'; '4' = 'No Auditing' }
    $setting = (Read-LzwAuditPolicy)[$Guid]
    if ($null -eq $setting) { $setting = 0 }
    $compliant = (($setting -band $Wanted) -eq $Wanted)
    $reason = ''
    if (-not $compliant) { $reason = 'audits ' + $names[[string]$setting] }
    return Get-LzwFinding -Compliant $compliant -Found $names[[string]$setting] -Source 'effective audit policy (auditpol)' -Reason $reason
}

function Test-LzwDefenderControl {
    param([string]$Name, $Expected, [string]$Compare, [string]$PolicyPath, [string]$PolicyName)
    if ($null -eq (Read-LzwMpPreference)) {
        return Get-LzwFinding -Compliant $false -Found $null -NotApplicable ('Microsoft Defender Antivirus is not active here: ' + $script:LzwCache['mp_error'])
    }
    $found = ConvertTo-LzwPlain ((Read-LzwMpPreference).$Name)
    $source = @{ text = 'Get-MpPreference (effective value)'; domain = $false }
    if ($PolicyPath) {
        $policy = Read-LzwRegistry -Path $PolicyPath -Name $PolicyName
        if ($policy.exists) { $source = Get-LzwRegistrySource -Path $PolicyPath -Name $PolicyName -Exists $true }
    }
    $compliant = Test-LzwValue -Found $found -Expected $Expected -Compare $Compare
    $reason = ''
    if (-not $compliant) { $reason = "$Name is " + (ConvertTo-Json -InputObject $found -Compress) }
    if (-not $compliant -and $source.domain) { $reason = Get-LzwDomainReason -Source $source -Found $found }
    return Get-LzwFinding -Compliant $compliant -Found $found -Source $source.text -Reason $reason -Fixable (-not $source.domain)
}

function Test-LzwFirewallProfileControl {
    param([string]$ProfileName, [string]$Setting, [string]$Expected, [string]$Compare)
    $active = Get-NetFirewallProfile -PolicyStore ActiveStore -Name $ProfileName
    $found = [string]$active.$Setting
    $source = @{ text = 'local firewall configuration'; domain = $false }
    try {
        $policy = Get-NetFirewallProfile -PolicyStore RSOP -Name $ProfileName -ErrorAction Stop
        if ([string]$policy.$Setting -ne 'NotConfigured' -and [string]$policy.$Setting -ne '') {
            $source = @{ text = 'group policy (firewall RSOP store)'; domain = $true }
        }
    } catch { }
    $compliant = Test-LzwValue -Found $found -Expected $Expected -Compare $Compare
    $reason = ''
    if (-not $compliant) { $reason = "$ProfileName profile $Setting is $found" }
    if (-not $compliant -and $source.domain) { $reason = Get-LzwDomainReason -Source $source -Found $found }
    return Get-LzwFinding -Compliant $compliant -Found $found -Source $source.text -Reason $reason -Fixable (-not $source.domain)
}

function Test-LzwServiceControl {
    param([string]$Name, [string]$StartMode, [string]$Status, [bool]$MissingOk)
    $service = Get-Service -Name $Name -ErrorAction SilentlyContinue
    if ($null -eq $service) {
        $reason = ''
        if (-not $MissingOk) { $reason = 'not installed' }
        return Get-LzwFinding -Compliant $MissingOk -Found 'not installed' -Source 'service control manager' -Reason $reason -Fixable $false
    }
    $found = @{ start_mode = [string]$service.StartType; status = [string]$service.Status }
    $compliant = ($found.start_mode -eq $StartMode) -and ($Status -eq '' -or $found.status -eq $Status)
    $reason = ''
    if (-not $compliant) { $reason = 'start mode ' + $found.start_mode + ', ' + $found.status }
    return Get-LzwFinding -Compliant $compliant -Found $found -Source 'service control manager' -Reason $reason
}

function Test-LzwAsrControl {
    param([string]$Rule, [string]$Expected)
    if ($null -eq (Read-LzwMpPreference)) {
        return Get-LzwFinding -Compliant $false -Found $null -NotApplicable ('Microsoft Defender Antivirus is not active here: ' + $script:LzwCache['mp_error'])
    }
    $names = @{ '0' = 'Disabled'; '1' = 'Block'; '2' = 'Audit'; '5' = 'Not configured'; '6' = 'Warn' }
    $preference = Read-LzwMpPreference
    $ids = @($preference.AttackSurfaceReductionRules_Ids | ForEach-Object { ([string]$_).Trim('{}').ToLowerInvariant() })
    $actions = @($preference.AttackSurfaceReductionRules_Actions)
    $index = [array]::IndexOf($ids, $Rule)
    $found = 'Not configured'
    if ($index -ge 0) { $found = $names[[string]$actions[$index]] }
    $policyKey = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows Defender\Windows Defender Exploit Guard\ASR\Rules'
    $policy = Read-LzwRegistry -Path $policyKey -Name $Rule
    $source = @{ text = 'Get-MpPreference (effective value)'; domain = $false }
    if ($policy.exists) { $source = Get-LzwRegistrySource -Path $policyKey -Name $Rule -Exists $true }
    $compliant = ($found -eq $Expected)
    $reason = ''
    if (-not $compliant) { $reason = 'rule is ' + $found }
    if (-not $compliant -and $source.domain) { $reason = Get-LzwDomainReason -Source $source -Found $found }
    return Get-LzwFinding -Compliant $compliant -Found $found -Source $source.text -Reason $reason -Fixable (-not $source.domain)
}

function Test-LzwBitLockerControl {
    param([string[]]$Methods, [bool]$RequireTpm)
    if ($null -eq (Get-Command -Name Get-BitLockerVolume -ErrorAction SilentlyContinue)) {
        return Get-LzwFinding -Compliant $false -Found 'BitLocker not available' -Reason 'BitLocker is not available on this edition' -Fixable $false
    }
    $volume = Get-BitLockerVolume -MountPoint $env:SystemDrive
    $protectors = @($volume.KeyProtector | ForEach-Object { [string]$_.KeyProtectorType })
    $found = @{
        protection = [string]$volume.ProtectionStatus; volume = [string]$volume.VolumeStatus
        method = [string]$volume.EncryptionMethod; protectors = $protectors
    }
    $problems = @()
    if ($found.protection -ne 'On') { $problems += 'protection is ' + $found.protection }
    if ($found.volume -ne 'FullyEncrypted') { $problems += 'volume is ' + $found.volume }
    if ($Methods -notcontains $found.method) { $problems += 'method is ' + $found.method }
    if ($RequireTpm -and -not ($protectors -like 'Tpm*')) { $problems += 'no TPM protector' }
    return Get-LzwFinding -Compliant ($problems.Count -eq 0) -Found $found -Source 'Get-BitLockerVolume' -Reason ($problems -join '; ') -Fixable $false
}

function Test-LzwCredentialGuardControl {
    param([int]$Flags)
    $policyKey = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\DeviceGuard'
    $guard = Get-CimInstance -Namespace 'root\Microsoft\Windows\DeviceGuard' -ClassName Win32_DeviceGuard -ErrorAction SilentlyContinue
    if ($null -eq $guard) {
        return Get-LzwFinding -Compliant $false -Found $null -NotApplicable 'this Windows edition has no virtualization-based security'
    }
    $available = @($guard.AvailableSecurityProperties)
    if (-not ($available -contains 1 -and $available -contains 2)) {
        return Get-LzwFinding -Compliant $false -Found @{ available = $available } `
            -NotApplicable 'no hypervisor support or no Secure Boot: Credential Guard cannot run on this hardware'
    }
    $running = @($guard.SecurityServicesRunning) -contains 1
    $vbs = Read-LzwRegistry -Path $policyKey -Name 'EnableVirtualizationBasedSecurity'
    $lsa = Read-LzwRegistry -Path $policyKey -Name 'LsaCfgFlags'
    $configured = $vbs.value -eq 1 -and $lsa.value -eq $Flags
    $source = Get-LzwRegistrySource -Path $policyKey -Name 'LsaCfgFlags' -Exists $lsa.exists
    $found = @{ running = $running; EnableVirtualizationBasedSecurity = $vbs.value; LsaCfgFlags = $lsa.value }
    $reason = ''
    if (-not $running -and $configured) { $reason = 'configured; it runs after the next restart' }
    elseif (-not $running) { $reason = 'not configured' }
    if (-not $configured -and $source.domain) { $reason = Get-LzwDomainReason -Source $source -Found $lsa.value }
    $pending = $configured -and -not $running
    return Get-LzwFinding -Compliant $running -Found $found -Source $source.text -Reason $reason `
        -Fixable (-not $configured -and -not $source.domain) -Reboot $pending -Pending $pending
}

function Test-LzwBuiltinRulesControl {
    param([string[]]$Names)
    $enabled = @(Get-NetFirewallRule -Name $Names -ErrorAction SilentlyContinue |
            Where-Object { [string]$_.Enabled -eq 'True' } | ForEach-Object { [string]$_.Name } | Sort-Object)
    $reason = ''
    if ($enabled.Count -gt 0) { $reason = 'enabled: ' + ($enabled -join ', ') }
    return Get-LzwFinding -Compliant ($enabled.Count -eq 0) -Found @{ enabled = $enabled } -Source 'firewall persistent store' -Reason $reason
}

function Test-LzwFirewallRuleControl {
    param([string]$Name, [string]$Action, [string]$Protocol, [string]$Port, [string[]]$Remote)
    $found = Read-LzwFirewallRule -Name $Name
    $compliant = Test-LzwFirewallRule -Found $found -Action $Action -Protocol $Protocol -Port $Port -Remote $Remote
    $reason = ''
    $fixable = $true
    if (-not $compliant -and $found.exists -and -not $found.active) {
        $reason = 'the rule exists but the firewall does not enforce it: group policy ignores local firewall rules'
        $fixable = $false
    } elseif (-not $found.exists) {
        $reason = 'rule missing'
    } elseif (-not $compliant) {
        $reason = 'rule differs'
    }
    return Get-LzwFinding -Compliant $compliant -Found $found -Source 'firewall active store' -Reason $reason -Fixable $fixable
}

function Test-LzwLapsControl {
    # Windows LAPS uses the first policy root that holds any value; roots never mix.
    param([string]$Setting, [long]$Expected, [string]$Compare, [long]$Default)
    if ($null -eq (Get-Command -Name Get-LapsDiagnostics -ErrorAction SilentlyContinue)) {
        return Get-LzwFinding -Compliant $false -Found 'Windows LAPS not present' -Fixable $false `
            -Reason 'Windows LAPS is not present: it needs the April 2023 cumulative update or later'
    }
    $roots = @(
        @('LAPS CSP', 'HKLM:\Software\Microsoft\Policies\LAPS'),
        @('LAPS group policy', 'HKLM:\Software\Microsoft\Windows\CurrentVersion\Policies\LAPS'),
        @('LAPS local configuration', 'HKLM:\Software\Microsoft\Windows\CurrentVersion\LAPS\Config'),
        @('legacy Microsoft LAPS', 'HKLM:\Software\Policies\Microsoft Services\AdmPwd')
    )
    $active = $null
    foreach ($root in $roots) {
        $key = Get-Item -LiteralPath $root[1] -ErrorAction SilentlyContinue
        if ($null -ne $key -and @($key.GetValueNames()).Count -gt 0) { $active = $root; break }
    }
    $found = $Default
    $rootName = 'none (LAPS defaults)'
    $fixable = $true
    if ($null -ne $active) {
        $rootName = $active[0]
        $value = Read-LzwRegistry -Path $active[1] -Name $Setting
        if ($value.exists) { $found = $value.value }
        if ($active[0] -eq 'LAPS CSP') { $fixable = $false }
        if ($active[0] -eq 'LAPS group policy' -and (Get-LzwRegistrySource -Path $active[1] -Name $Setting -Exists $value.exists).domain) {
            $fixable = $false
        }
    }
    $compliant = Test-LzwValue -Found $found -Expected $Expected -Compare $Compare
    $reason = ''
    if (-not $compliant) { $reason = "$Setting is $found (active policy root: $rootName)" }
    if (-not $compliant -and -not $fixable) { $reason += '; that root belongs to MDM or a domain policy object: change it there' }
    return Get-LzwFinding -Compliant $compliant -Found $found -Source ('active policy root: ' + $rootName) -Reason $reason -Fixable $fixable
}

function Test-LzwFeatureControl {
    param([string]$Name)
    $feature = Get-WindowsOptionalFeature -Online -FeatureName $Name -ErrorAction SilentlyContinue
    if ($null -eq $feature) { return Get-LzwFinding -Compliant $true -Found 'not present' -Source 'Windows optional features' }
    $state = [string]$feature.State
    $compliant = @('Disabled', 'DisabledWithPayloadRemoved', 'DisablePending') -contains $state
    $reason = ''
    if (-not $compliant) { $reason = 'feature is ' + $state }
    $pending = $state -eq 'DisablePending'
    return Get-LzwFinding -Compliant $compliant -Found $state -Source 'Windows optional features' -Reason $reason -Reboot $pending -Pending $pending
}

function Test-LzwRdpControl {
    # Remote Desktop on, with NLA, on the expected port, and our rules from the allowed networks.
    param([int]$Port, [string[]]$Remote, [string[]]$Rules)
    $serverKey = 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server'
    $listenerKey = 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp'
    $policyKey = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services'
    $problems = @()
    $fixable = $true
    $deny = Read-LzwRegistry -Path $serverKey -Name 'fDenyTSConnections'
    $nla = Read-LzwRegistry -Path $listenerKey -Name 'UserAuthentication'
    $portValue = Read-LzwRegistry -Path $listenerKey -Name 'PortNumber'
    $policy = Read-LzwRegistry -Path $policyKey -Name 'fDenyTSConnections'
    $service = Get-Service -Name TermService -ErrorAction SilentlyContinue
    $state = @{
        fDenyTSConnections = $deny.value; UserAuthentication = $nla.value; PortNumber = $portValue.value
        TermService = [string]$service.StartType; rules = @{}
    }
    if ($deny.value -ne 0) { $problems += 'Remote Desktop is off' }
    if ($nla.value -ne 1) { $problems += 'Network Level Authentication is off' }
    if ($null -eq $service -or [string]$service.StartType -eq 'Disabled') { $problems += 'the Remote Desktop service is disabled' }
    if ($policy.exists -and $policy.value -ne 0) {
        $fixable = $false
        $problems += 'policy ' + (Get-LzwRegistrySource -Path $policyKey -Name 'fDenyTSConnections' -Exists $true).text + ' denies Remote Desktop'
    }
    if ($portValue.exists -and $portValue.value -ne $Port) {
        $fixable = $false
        $problems += "Remote Desktop listens on port $($portValue.value), the inventory says $Port"
    }
    foreach ($rule in $Rules) {
        $name, $protocol = $rule.Split(':')
        $found = Read-LzwFirewallRule -Name $name
        $state.rules[$name] = $found.remote_addresses
        if (-not (Test-LzwFirewallRule -Found $found -Action 'Allow' -Protocol $protocol -Port ([string]$Port) -Remote $Remote)) {
            $problems += "$name missing or different"
            if ($found.exists -and -not $found.active) { $fixable = $false; $problems += "${name}: group policy ignores local firewall rules" }
        }
    }
    return Get-LzwFinding -Compliant ($problems.Count -eq 0) -Found $state -Source 'Terminal Server configuration and firewall active store' `
        -Reason ($problems -join '; ') -Fixable $fixable
}

function Test-LzwHttpListenerControl {
    $http = @(Read-LzwListeners | Where-Object { $_.transport -eq 'HTTP' })
    $reason = ''
    if ($http.Count -gt 0) { $reason = 'HTTP listener on ' + (($http | ForEach-Object { $_.address + ':' + $_.port }) -join ', ') }
    return Get-LzwFinding -Compliant ($http.Count -eq 0) -Found @{ http_listeners = $http } -Source 'WS-Management configuration' -Reason $reason
}

function Test-LzwListenerControl {
    # The HTTPS listener on the port, with a certificate that is valid now; WinRM starting automatically.
    param([string]$Port, [string]$Thumbprint)
    $service = Get-Service -Name WinRM
    $https = @(Read-LzwListeners | Where-Object { $_.transport -eq 'HTTPS' -and $_.port -eq $Port })
    $usable = @($https | Where-Object { $_.enabled -ne 'false' -and $null -ne (Get-LzwUsableCertificate -Thumbprint $_.thumbprint) })
    $found = @{ service = ([string]$service.StartType + ', ' + [string]$service.Status); listeners = $https }
    $problems = @()
    if ([string]$service.StartType -ne 'Automatic') { $problems += 'WinRM starts ' + [string]$service.StartType }
    if ($https.Count -eq 0) { $problems += "no HTTPS listener on port $Port" }
    elseif ($usable.Count -eq 0) { $problems += 'the HTTPS listener has no valid certificate' }
    elseif ($Thumbprint -and -not ($usable | Where-Object { $_.thumbprint -eq $Thumbprint })) { $problems += "the listener does not use certificate $Thumbprint" }
    $fixable = $true
    $needsCertificate = $usable.Count -eq 0 -or $Thumbprint
    if ($problems.Count -gt 0 -and $needsCertificate -and $null -eq (Get-LzwUsableCertificate -Thumbprint $Thumbprint)) {
        $fixable = $false
        $problems += 'no usable server certificate for this host in LocalMachine\My: issue one from the fleet CA'
    }
    return Get-LzwFinding -Compliant ($problems.Count -eq 0) -Found $found -Source 'WS-Management configuration' -Reason ($problems -join '; ') -Fixable $fixable
}

function Resolve-LzwAccountSid {
    # A SID as it is, an account name translated, local_administrator as the built-in Administrator
    # (RID 500) whatever its name; $null for what does not resolve here.
    param([string]$Account)
    if ($Account -match '^S-1-\d+(-\d+)+$') { return $Account }
    if ($Account -eq 'local_administrator') {
        $builtin = @(Get-CimInstance -ClassName Win32_UserAccount -Filter 'LocalAccount = True' | Where-Object { [string]$_.SID -match '^S-1-5-21-\d+-\d+-\d+-500$' })
        if ($builtin.Count -gt 0) { return [string]$builtin[0].SID }
        return $null
    }
    if ($Account.StartsWith('.\')) { $Account = $env:COMPUTERNAME + $Account.Substring(1) }
    try {
        $name = New-Object -TypeName System.Security.Principal.NTAccount -ArgumentList $Account
        return $name.Translate([System.Security.Principal.SecurityIdentifier]).Value
    } catch {
        return $null
    }
}

function Read-LzwLocalGroupSids {
    # Through ADSI: Get-LocalGroupMember stops at a member it cannot resolve (an Entra or deleted account).
    param([string]$Path)
    $sids = @()
    foreach ($member in @(([ADSI]$Path).Invoke('Members'))) {
        $bytes = $member.GetType().InvokeMember('objectSid', 'GetProperty', $null, $member, $null)
        $sids += (New-Object -TypeName System.Security.Principal.SecurityIdentifier -ArgumentList $bytes, 0).Value
    }
    return , @($sids | Sort-Object -Unique)
}

function Test-LzwLocalGroupControl {
    param([string]$Group, [string[]]$Members)
    $path = 'WinNT://' + $env:COMPUTERNAME + '/' + $Group + ',group'
    if (-not [ADSI]::Exists($path)) {
        return Get-LzwFinding -Compliant $false -Found 'no such group' -Source 'local groups' -Fixable $false `
            -Reason "the local group '$Group' does not exist here (is FSLogix installed?)"
    }
    $found = Read-LzwLocalGroupSids -Path $path
    $problems = @()
    $fixable = $true
    foreach ($account in $Members) {
        $sid = Resolve-LzwAccountSid -Account $account
        if ($null -eq $sid) { $problems += "$account does not resolve on this host"; $fixable = $false }
        elseif ($found -notcontains $sid) { $problems += "$account ($sid) is not a member" }
    }
    return Get-LzwFinding -Compliant ($problems.Count -eq 0) -Found @{ members = $found } -Source 'local groups' `
        -Reason ($problems -join '; ') -Fixable $fixable
}

