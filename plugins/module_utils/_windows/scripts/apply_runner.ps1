# The apply runner: checks one control, fixes it when it is not compliant and may be fixed,
# and checks again, so the result says what the host looks like after the fix.
function Invoke-LzwControl {
    param([string]$Id, [string]$Mdm, [scriptblock]$Check, [scriptblock]$Fix)
    $record = @{ id = $Id; state = 'error'; fixed = $false }
    try {
        # The last hashtable the check produced is its finding; stray output is ignored.
        $finding = @(& $Check) | Where-Object { $_ -is [hashtable] } | Select-Object -Last 1
        if ($null -eq $finding) { throw 'the check produced no finding' }
        $finding = Add-LzwMdmOwner -Finding $finding -Policy $Mdm
        foreach ($key in $finding.Keys) { $record[$key] = $finding[$key] }
    } catch {
        $record.reason = 'check failed: ' + $_.Exception.Message
        Write-LzwResult $record
        return
    }
    if ($null -ne $Fix -and $finding.state -eq 'noncompliant' -and $finding.fixable) {
        try {
            $outcome = @(& $Fix)
            $record.fixed = $true
            $script:LzwChanged = $true
            if (@($outcome | Where-Object { $_ -is [hashtable] -and $_.reboot }).Count -gt 0) { $record.reboot = $true }
        } catch {
            $record.fix_error = $_.Exception.Message
            Write-LzwResult $record
            return
        }
        try {
            $after = @(& $Check) | Where-Object { $_ -is [hashtable] } | Select-Object -Last 1
            $record.after = @{
                state = $after.state; found = $after.found; source = $after.source; reason = $after.reason
                pending = $after.pending; value_type = $after.value_type
            }
        } catch {
            $record.after = @{ state = 'error'; reason = 'check after the fix failed: ' + $_.Exception.Message }
        }
    }
    Write-LzwResult $record
}
