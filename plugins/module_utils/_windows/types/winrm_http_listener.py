"""WinRM over HTTPS only: no HTTP listener. The fix refuses to remove the HTTP listener unless an
HTTPS listener with a valid certificate is there to take over, and the engine renders it audit
only when this very run comes in over HTTP (see transport.py)."""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.powershell import quote

PARAMS = {
    "https_port": param("int", default=5986),
}
AUDIT_ONLY = False


def expected(params):
    return {"http_listeners": []}


def check(params):
    return "Test-LzwHttpListenerControl"


def fix(params):
    return f"Remove-LzwHttpListener -HttpsPort {quote(str(params['https_port']))}"
