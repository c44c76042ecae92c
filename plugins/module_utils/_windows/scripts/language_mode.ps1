# The checks call .NET directly, which only FullLanguage allows. Under App Control for Business
# (WDAC) script enforcement or AppLocker, an unsigned script runs in ConstrainedLanguage: say so
# once, in one line the controller reads, rather than let every control fail on its own.
if ($ExecutionContext.SessionState.LanguageMode -ne 'FullLanguage') {
    Write-Output ('LZW-HOST ' + (ConvertTo-Json -Compress -InputObject @{ language_mode = [string]$ExecutionContext.SessionState.LanguageMode }))
    return
}
