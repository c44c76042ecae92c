"""What the engine knows of the connection it runs over, so it never cuts that connection.

A control that would remove what this very run depends on (the HTTP listener while the run
comes in over HTTP, Basic authentication while it logs in with Basic, remote UAC filtering
while it logs in as a local administrator) is rendered audit only, with the reason: an apply
that kills its own connection half-way would leave the host half-configured and unreachable.
"""

from __future__ import annotations

# pywinrm's names for Basic authentication: 'ssl' is Basic over HTTPS, 'plaintext' over HTTP.
BASIC = {"basic", "plaintext", "ssl"}


def traits(connection, scheme, port, auth, user):
    """The traits of a connection, from the values the connection plugin resolved."""
    found = set()
    if connection not in ("winrm", "psrp"):
        return found  # not a WinRM connection (a test, or a local run): nothing can be cut
    if scheme is None:
        scheme = "http" if str(port) == "5985" else "https"
    if scheme == "http":
        found.add("http")
    methods = auth if isinstance(auth, (list, tuple)) else [m.strip() for m in str(auth or "").split(",") if m.strip()]
    if not methods:
        methods = ["kerberos"] if user and "@" in user else ["basic"]  # the winrm plugin's own default
    methods = {method.lower() for method in methods}
    if methods & BASIC:
        found.add("basic")
    if "credssp" in methods:
        found.add("credssp")
    domain_user = bool(user) and ("@" in user or ("\\" in user and not user.startswith(".\\")))
    if "certificate" in methods or not domain_user:
        # Certificate mapping only ever maps to local accounts.
        found.add("local_account")
    return found


def _option(connection, name):
    try:
        return connection.get_option(name)
    except Exception:  # an option the plugin does not have
        return None


def traits_of(connection):
    """Traits of the live connection object of an action plugin."""
    kind = getattr(connection, "transport", "") or ""
    kind = kind.rsplit(".", 1)[-1]
    if kind == "psrp":
        return traits(kind, _option(connection, "protocol"), _option(connection, "port"), _option(connection, "auth"),
                      _option(connection, "remote_user"))  # fmt: skip
    return traits(
        kind,
        _option(connection, "scheme"),
        _option(connection, "port"),
        _option(connection, "transport"),
        _option(connection, "remote_user"),
    )


def describe(trait):
    return {
        "http": "this run connects over HTTP",
        "basic": "this run logs in with Basic authentication",
        "credssp": "this run logs in with CredSSP",
        "local_account": "this run logs in with a local account",
    }[trait]
