"""The one definition of what a control and each type's params look like.

Both the action plugin (on the controller, before anything reaches a host) and the
module (on the host) validate with this file, so a catalog error is reported the same
way in both places and the schemas cannot drift apart.
"""

from __future__ import annotations

import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.fileops import is_secret

LEVELS = ("basic", "important", "essential")
RISKS = ("low", "medium", "high")
HOST_KINDS = ("server", "virtual_pc", "container")
ACCOUNT_RULES = (
    "no_empty_password",
    "uid0_only_root",
    "system_shell_nologin",
    "inactive_lock",
    "password_max_days",
)


class ControlError(ValueError):
    """A control that cannot be run; the message names the control id and the field."""


def _param(kind, required=False, default=None, choices=None, elements=None, secret=False):
    return {
        "kind": kind,
        "required": required,
        "default": default,
        "choices": choices,
        "elements": elements,
        "secret": secret,
    }


# kind: str | int | bool | scalar (str/int/float) | mode (octal str or int) | list | dict
TYPE_SCHEMAS = {
    "sysctl": {
        "key": _param("str", required=True),
        "value": _param("scalar", required=True),
    },
    "config_key": {
        "path": _param("path", required=True),
        "key": _param("str", required=True),
        "value": _param("scalar", required=True),
        "separator": _param("str", default=" "),
        "section": _param("str"),
        "mode": _param("mode"),
        "service": _param("str"),
    },
    "sshd_option": {
        "option": _param("str", required=True),
        "value": _param("scalar", required=True),
    },
    "sudo_default": {
        "option": _param("str", required=True),
        "value": _param("scalar"),
    },
    "file_permission": {
        "path": _param("path", required=True),
        "mode": _param("mode", required=True),
        "owner": _param("str"),
        "group": _param("str"),
    },
    "file_content": {
        "path": _param("path", required=True),
        "content": _param("str", required=True),
        "mode": _param("mode", default=0o644),
        "owner": _param("str", default="root"),
        "group": _param("str", default="root"),
        "service": _param("str"),
    },
    "package": {
        "name": _param("list", required=True, elements="str"),
        "state": _param("str", default="present", choices=("present", "absent")),
    },
    "service": {
        "name": _param("str", required=True),
        "enabled": _param("bool"),
        "state": _param("str", choices=("started", "stopped", "masked")),
    },
    "kernel_module": {
        "name": _param("str", required=True),
    },
    "audit_rule": {
        "rule": _param("str", required=True),
        "file": _param("str", default="60-landingzone.rules"),
    },
    "pam_profile": {
        "name": _param("str", required=True),
        "module": _param("str", required=True),
        "content": _param("str", required=True),
    },
    "account_policy": {
        "rule": _param("str", required=True, choices=ACCOUNT_RULES),
        "value": _param("scalar"),
        "exempt": _param("list", default=[], elements="str"),
        # Ageing and inactivity rules: also apply to accounts the new limit would lock out at once.
        "expire_at_once": _param("bool", default=False),
    },
    "local_account": {
        "name": _param("str", required=True),
        "password_hash": _param("str", secret=True),
        "groups": _param("list", default=[], elements="str"),
        "shell": _param("path", default="/bin/bash"),
    },
    "login_group": {
        "name": _param("str", required=True),
    },
    "sudo_group": {
        "group": _param("str", required=True),
    },
    "mount_option": {
        "mountpoint": _param("path", required=True),
        "fstype": _param("str"),
        "source": _param("str"),
        "options": _param("list", required=True, elements="str"),
    },
    "nftables_ruleset": {
        "management_networks": _param("list", default=[], elements="str"),
        "ssh_port": _param("int", default=22),
        "allowed_inbound": _param("list", default=[], elements="dict"),
        "forwarding": _param("bool", default=False),
        "forward_from": _param("list", default=[], elements="dict"),
    },
    "aide_database": {
        "database": _param("path", default="/var/lib/aide/aide.db"),
    },
    "sudo_rule": {
        "name": _param("str", required=True),
        "rule": _param("str", required=True),
    },
    "kernel_cmdline": {
        "name": _param("str", required=True),
        "value": _param("scalar"),
    },
}

# Which params never leave the controller in the clear (moved to a no_log option).
SECRET_PARAMS = {
    ctype: tuple(name for name, spec in schema.items() if spec["secret"]) for ctype, schema in TYPE_SCHEMAS.items()
}

_BOOL_WORDS = {"yes": True, "true": True, "on": True, "1": True, "no": False, "false": False, "off": False, "0": False}
_SYSCTL_KEY = re.compile(r"^[A-Za-z0-9_.\-/]+$")
_OPTION_WORD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _fail(control_id, field, problem):
    raise ControlError(f"control {control_id}: {field}: {problem}")


def _coerce(control_id, field, spec, value):
    kind = spec["kind"]
    if kind in ("str", "path"):
        if not isinstance(value, str) or (spec["required"] and value == ""):
            _fail(control_id, field, f"must be a non-empty string, got {value!r}")
        if kind == "path" and not value.startswith("/"):
            _fail(control_id, field, f"must be an absolute path, got {value!r}")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
            _fail(control_id, field, f"must be a whole number, got {value!r}")
        return int(value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _BOOL_WORDS:
            return _BOOL_WORDS[value.lower()]
        _fail(control_id, field, f"must be true or false, got {value!r}")
    if kind == "scalar":
        if isinstance(value, bool):
            # YAML turns an unquoted `no` into False; sshd and sysctl want the word back.
            return "yes" if value else "no"
        if not isinstance(value, (str, int, float)):
            _fail(control_id, field, f"must be a string or a number, got {value!r}")
        return str(value)
    if kind == "mode":
        return _coerce_mode(control_id, field, value)
    if kind == "list":
        if isinstance(value, str) and spec["elements"] == "str":
            value = [value]
        if not isinstance(value, list):
            _fail(control_id, field, f"must be a list, got {value!r}")
        wanted = {"str": str, "dict": dict}[spec["elements"]]
        for item in value:
            if not isinstance(item, wanted) or (wanted is str and item == ""):
                _fail(control_id, field, f"every item must be a {spec['elements']}, got {item!r}")
        return list(value)
    raise AssertionError(f"unknown schema kind {kind}")  # a programming error, not a catalog error


def _coerce_mode(control_id, field, value):
    # An int is what YAML made of an unquoted 0640; a string must spell octal digits.
    if isinstance(value, bool):
        _fail(control_id, field, f"must be an octal mode such as '0640', got {value!r}")
    if isinstance(value, int):
        mode = value
    elif isinstance(value, str) and re.fullmatch(r"0?[0-7]{3,4}", value):
        mode = int(value, 8)
    else:
        _fail(control_id, field, f"must be an octal mode such as '0640', got {value!r}")
    if not 0 <= mode <= 0o7777:
        _fail(control_id, field, f"mode out of range: {value!r}")
    return mode


def _check_type_specific(control_id, ctype, params):
    """Rules a per-field type check cannot express."""
    if ctype == "sysctl" and not _SYSCTL_KEY.match(params["key"]):
        _fail(control_id, "params.key", f"not a sysctl key: {params['key']!r}")
    if ctype == "sshd_option" and not _OPTION_WORD.match(params["option"]):
        _fail(control_id, "params.option", f"not a single option word: {params['option']!r}")
    if ctype == "sudo_default":
        # sudoers negates a flag with one leading '!' (Defaults !visiblepw); a negated flag takes no value.
        if not _OPTION_WORD.match(params["option"].removeprefix("!")):
            _fail(control_id, "params.option", f"not a single option word: {params['option']!r}")
        if params["option"].startswith("!") and params["value"] is not None:
            _fail(control_id, "params.value", "a negated option takes no value")
        if params["option"] == "noexec":
            # Every command then runs without exec: Ansible's become (sh -c ... python3) and dpkg's scripts fail.
            _fail(control_id, "params.option", "noexec as a default breaks become; put NOEXEC on named command rules")
    if ctype == "sudo_rule":
        # sudo skips drop-ins whose name contains a dot or ends in '~'.
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", params["name"]):
            _fail(control_id, "params.name", f"must be letters, digits, '-' or '_', got {params['name']!r}")
        if "\n" in params["rule"]:
            _fail(control_id, "params.rule", "must be one sudoers line")
        from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access.sudoers import (
            delegation_problem,  # local: only this type needs the sudoers parser
        )

        problem = delegation_problem(params["rule"])
        if problem:
            _fail(control_id, "params.rule", problem)
    if ctype == "kernel_cmdline" and not re.fullmatch(r"[A-Za-z0-9_.\-]+", params["name"]):
        _fail(control_id, "params.name", f"not a kernel parameter name: {params['name']!r}")
    if ctype in ("sshd_option", "sudo_default", "config_key", "sysctl") and "\n" in str(params.get("value") or ""):
        _fail(control_id, "params.value", "must be one line")
    if ctype == "service" and params["enabled"] is None and params["state"] is None:
        _fail(control_id, "params", "a service control needs enabled, state or both")
    if ctype in ("kernel_module", "pam_profile") and not re.fullmatch(r"[A-Za-z0-9_.\-]+", params["name"]):
        _fail(control_id, "params.name", f"not a plain name: {params['name']!r}")
    if ctype == "audit_rule":
        if not re.fullmatch(r"[A-Za-z0-9_.\-]+\.rules", params["file"]):
            _fail(control_id, "params.file", f"must be a file name ending in .rules, got {params['file']!r}")
        if "\n" in params["rule"] or not params["rule"].lstrip().startswith("-"):
            _fail(control_id, "params.rule", "must be one auditctl line starting with '-'")
    if ctype == "account_policy":
        numeric = params["rule"] in ("inactive_lock", "password_max_days")
        if numeric and not str(params.get("value") or "").isdigit():
            _fail(control_id, "params.value", f"rule {params['rule']} needs a number of days")
    if ctype == "login_group" and not re.fullmatch(r"[a-z_][a-z0-9_\-]*", params["name"]):
        _fail(control_id, "params.name", f"not a valid group name: {params['name']!r}")
    if ctype == "sudo_group" and not re.fullmatch(r"[a-z_][a-z0-9_\-]{0,31}", params["group"]):
        # It ends up as an argument of dpkg-statoverride and in dpkg's database, one word per field.
        _fail(control_id, "params.group", f"not a valid group name: {params['group']!r}")
    if ctype == "local_account":
        if not re.fullmatch(r"[a-z_][a-z0-9_\-]*", params["name"]):
            _fail(control_id, "params.name", f"not a valid account name: {params['name']!r}")
        pw_hash = params.get("password_hash")
        if pw_hash is not None and not pw_hash.startswith(("$", "!", "*")):
            # A clear-text password here would end up in /etc/shadow as is.
            _fail(control_id, "params.password_hash", "must be a crypt(3) hash, not a clear-text password")
    if ctype == "package":
        for name in params["name"]:
            if not re.fullmatch(r"[a-z0-9][a-z0-9+.\-]+", name):
                _fail(control_id, "params.name", f"not a Debian package name: {name!r}")
    if ctype == "nftables_ruleset":
        _check_nftables(control_id, params)


def _check_nftables(control_id, params):
    import ipaddress  # local: only this type needs it

    if not 1 <= params["ssh_port"] <= 65535:
        _fail(control_id, "params.ssh_port", f"not a port: {params['ssh_port']}")
    for network in params["management_networks"]:
        try:
            # ipaddress takes anything after % as an IPv6 zone, and str() writes it back into the ruleset.
            ipaddress.ip_network(str(network).replace("%", "/invalid"), strict=False)
        except ValueError:
            _fail(control_id, "params.management_networks", f"not a CIDR: {network!r}")
    for index, rule in enumerate(params["allowed_inbound"]):
        where = f"params.allowed_inbound[{index}]"
        unknown = set(rule) - {"port", "proto", "sources", "comment"}
        if unknown:
            _fail(control_id, where, f"unknown keys {sorted(unknown)}")
        port = str(rule.get("port", ""))
        if not re.fullmatch(r"\d{1,5}(-\d{1,5})?", port):
            _fail(control_id, f"{where}.port", f"must be a port or a range like 8000-8080, got {port!r}")
        if rule.get("proto", "tcp") not in ("tcp", "udp"):
            _fail(control_id, f"{where}.proto", f"must be tcp or udp, got {rule.get('proto')!r}")
        sources = rule.get("sources", [])
        if not isinstance(sources, list):
            _fail(control_id, f"{where}.sources", "must be a list of CIDRs")
        for source in sources:
            try:
                ipaddress.ip_network(str(source).replace("%", "/invalid"), strict=False)
            except ValueError:
                _fail(control_id, f"{where}.sources", f"not a CIDR: {source!r}")
    _check_forward_from(control_id, params)


# What may stand inside the quotes of a rendered nft rule: an interface name, a comment.
NFT_INTERFACE = re.compile(r"[A-Za-z0-9_.\-]{1,15}")
NFT_COMMENT = re.compile(r"[A-Za-z0-9 _.,:()/\-]{0,120}")


def _check_forward_from(control_id, params):
    """Where new forwarded traffic may come from: an interface, or packets IPsec decrypted."""
    for index, source in enumerate(params["forward_from"]):
        where = f"params.forward_from[{index}]"
        if not isinstance(source, dict):
            _fail(control_id, where, "must be a mapping {interface} or {ipsec: true}")
        unknown = set(source) - {"interface", "ipsec", "comment"}
        if unknown:
            _fail(control_id, where, f"unknown keys {sorted(unknown)}")
        if ("interface" in source) == (source.get("ipsec") is True):
            _fail(control_id, where, "needs exactly one of interface: NAME or ipsec: true")
        if "interface" in source and not NFT_INTERFACE.fullmatch(str(source["interface"])):
            _fail(control_id, f"{where}.interface", f"not an interface name: {source['interface']!r}")
        if not NFT_COMMENT.fullmatch(str(source.get("comment", ""))):
            _fail(control_id, f"{where}.comment", "letters, digits, spaces and _.,:()/- only")
    if params["forward_from"] and not params["forwarding"]:
        _fail(control_id, "params.forward_from", "needs forwarding: true")


def validate_params(control_id, ctype, params):
    """Return the params with defaults filled in and values normalised, or raise ControlError."""
    if ctype not in TYPE_SCHEMAS:
        _fail(control_id, "type", f"unknown type {ctype!r}; known: {', '.join(sorted(TYPE_SCHEMAS))}")
    if not isinstance(params, dict):
        _fail(control_id, "params", f"must be a mapping, got {params!r}")
    schema = TYPE_SCHEMAS[ctype]
    unknown = sorted(set(params) - set(schema))
    if unknown:
        _fail(control_id, f"params.{unknown[0]}", f"unknown param for type {ctype}; allowed: {', '.join(schema)}")
    clean = {}
    for name, spec in schema.items():
        value = params.get(name)
        if value is None:
            if spec["required"]:
                _fail(control_id, f"params.{name}", "is required")
            default = spec["default"]
            clean[name] = list(default) if isinstance(default, list) else default
            continue
        try:
            value = _coerce(control_id, f"params.{name}", spec, value)
        except ControlError:
            if spec["secret"]:
                # Never echo a secret back, not even a malformed one.
                _fail(control_id, f"params.{name}", f"must be a {spec['kind']}")
            raise
        if spec["choices"] and value not in spec["choices"]:
            _fail(control_id, f"params.{name}", f"must be one of {', '.join(spec['choices'])}, got {value!r}")
        clean[name] = value
    _check_type_specific(control_id, ctype, clean)
    return clean


def validate_control(control):
    """Validate one control record; return a copy with normalised params."""
    if not isinstance(control, dict):
        raise ControlError(f"control {control!r}: must be a mapping")
    control_id = control.get("id")
    if not isinstance(control_id, str) or not control_id.strip():
        raise ControlError(f"control {control.get('title', control)!r}: id: is required")
    for field in ("title", "type"):
        if not isinstance(control.get(field), str) or not control[field].strip():
            _fail(control_id, field, "is required")
    if control.get("level") not in LEVELS:
        _fail(control_id, "level", f"must be one of {', '.join(LEVELS)}, got {control.get('level')!r}")
    if control.get("risk") not in RISKS:
        _fail(control_id, "risk", f"must be one of {', '.join(RISKS)}, got {control.get('risk')!r}")
    applies_to = control.get("applies_to", list(HOST_KINDS))
    if not isinstance(applies_to, list) or not applies_to or not set(applies_to) <= set(HOST_KINDS):
        _fail(control_id, "applies_to", f"must be a non-empty list from {', '.join(HOST_KINDS)}, got {applies_to!r}")
    clean = dict(control)
    clean["applies_to"] = list(applies_to)
    clean["params"] = validate_params(control_id, control["type"], control.get("params", {}))
    return clean


def validate_controls(controls):
    """Validate a whole resolved catalog: every control, and that ids are unique."""
    if not isinstance(controls, list):
        raise ControlError(f"controls: must be a list, got {type(controls).__name__}")
    seen = set()
    clean = []
    for control in controls:
        record = validate_control(control)
        if record["id"] in seen:
            _fail(record["id"], "id", "is used by more than one control")
        seen.add(record["id"])
        clean.append(record)
    return clean


def _secret_names(control):
    names = SECRET_PARAMS.get(control.get("type"), ())
    params = control.get("params") or {}
    if control.get("type") == "file_content" and is_secret(str(params.get("path", ""))):
        names = (*names, "content")  # a private key's content is as secret as a password hash
    return names


def split_secrets(controls):
    """Take secret params out of the controls, so they travel in a no_log option instead."""
    public, secret = [], {}
    for control in controls:
        names = _secret_names(control)
        params = control.get("params") or {}
        hidden = {name: params[name] for name in names if params.get(name) is not None}
        if hidden:
            secret[control["id"]] = hidden
            control = dict(control, params={k: v for k, v in params.items() if k not in hidden})
        public.append(control)
    return public, secret


def merge_secrets(controls, secret):
    """The reverse of split_secrets, on the host."""
    merged = []
    for control in controls:
        hidden = (secret or {}).get(control.get("id"))
        if hidden:
            control = dict(control, params=dict(control.get("params") or {}, **hidden))
        merged.append(control)
    return merged
