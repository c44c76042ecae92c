"""What the engine reads from the connection it runs over (no network involved)."""

from __future__ import annotations

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.transport import traits, traits_of
from windows_host_mock import FakeConnection


@pytest.mark.parametrize(
    ("connection", "scheme", "port", "auth", "user", "expected"),
    [
        ("winrm", "https", 5986, ["kerberos"], "operator@GEMEENTE.BE", set()),
        ("winrm", None, 5986, None, "operator@GEMEENTE.BE", set()),
        ("winrm", None, 5985, ["ntlm"], "GEMEENTE\\operator", {"http"}),
        ("winrm", "https", 5986, None, "Administrator", {"basic", "local_account"}),
        ("winrm", "https", 5986, ["ssl"], ".\\lzadmin", {"basic", "local_account"}),
        ("winrm", "https", 5986, ["certificate"], "lzadmin", {"local_account"}),
        ("winrm", "https", 5986, ["credssp"], "GEMEENTE\\operator", {"credssp"}),
        ("psrp", "https", 5986, "negotiate", "operator@GEMEENTE.BE", set()),
        ("ssh", None, 22, None, "operator", set()),
    ],
)
def test_traits_of_a_connection(connection, scheme, port, auth, user, expected):
    assert traits(connection, scheme, port, auth, user) == expected


def test_traits_are_read_from_the_connection_plugin_options():
    assert traits_of(FakeConnection(scheme="http", port=5985, auth="ntlm", user="operator")) == {
        "http",
        "local_account",
    }
