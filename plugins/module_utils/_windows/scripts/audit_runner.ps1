# The audit runner: checks one control and reports it. It takes no fix and runs none.
function Invoke-LzwControl {
    param([string]$Id, [string]$Mdm, [scriptblock]$Check)
    $record = @{ id = $Id; state = 'error'; fixed = $false }
    try {
        # The last hashtable the check produced is its finding; stray output is ignored.
        $finding = @(& $Check) | Where-Object { $_ -is [hashtable] } | Select-Object -Last 1
        if ($null -eq $finding) { throw 'the check produced no finding' }
        $finding = Add-LzwMdmOwner -Finding $finding -Policy $Mdm
        foreach ($key in $finding.Keys) { $record[$key] = $finding[$key] }
    } catch {
        $record.reason = 'check failed: ' + $_.Exception.Message
    }
    Write-LzwResult $record
}
