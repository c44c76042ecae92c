"""The Windows control types: one module each, with PARAMS, AUDIT_ONLY, expected(params),
check(params) and fix(params) (None for an audit-only type), and optionally validate().

A new type is one file here, registered under its file name. The Windows engine runs on the
controller (its action plugin), so its types are found by listing this package; nothing of
it is packed for a host, unlike the Linux handlers.
"""

from __future__ import annotations

import importlib
import pkgutil

TYPES = {
    name: importlib.import_module(f"{__name__}.{name}")
    for name in sorted(module.name for module in pkgutil.iter_modules(__path__))
}
