"""The card's ``workplace`` section: what its schema cannot see.

The schema checks each value's shape (whole-string patterns, bounds, unique names). This checks
the section against the rest of the card and the accounts the landing zone keeps:

- each person's role is one of ``workplace.roles``, and each of their services a service of the card;
- a role that handles class-4 data has its clipboard and drive redirection off, and makes the
  workplace class 4, which the card's own ``data_classification`` must reach;
- a person's account name takes no account or group that a desk has already (Debian's, the
  desks' packages', the operator's, the one Ansible connects as, break-glass), nor the ``lz-``
  names the landing zone keeps for itself;
- ``identity.avd`` decides whether Debian desks are made: ``instead_of_desks`` leaves them out,
  so ``desks`` must be left out too; otherwise ``desks`` is required, and no larger than the
  roster. AVD signs people in with Microsoft Entra ID, so its session hosts' identity must be
  ``entra`` or ``hybrid``.

A value the schema refused is reported there, once, and skipped here.
"""

from collections.abc import Mapping

from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.json_schema_subset import compile_pattern

from landingzone.card.dependencies import INVENTORY_NAME_PATTERN, SERVICE_NAME_PATTERN, services_of
from landingzone.card.validation import card_schema

SECTION = "workplace"
# The desks' group of a role: a prefix no person's account may take, so that a role can never be
# named into a group that grants something (sudo, adm, shadow, disk ...).
DESK_GROUP_PREFIX = "lz-desk-"
AVD_INSTEAD = "instead_of_desks"
# AVD authenticates people against Microsoft Entra ID: a host that knows Active Directory alone cannot serve it.
AVD_IDENTITIES = ("entra", "hybrid")

_CARD_SCHEMA = card_schema()
_SCHEMA = _CARD_SCHEMA["properties"][SECTION]["properties"]
ROLE_NAME_PATTERN = _SCHEMA["roles"]["items"]["properties"]["name"]["pattern"]
ACCOUNT_NAME_PATTERN = _SCHEMA["roster"]["items"]["properties"]["name"]["pattern"]

# linux_baseline's own defaults (roles/linux_baseline/defaults/main.yml); an inventory that names
# others adds them (landingzone.inventory_accounts).
DEFAULT_KEPT_ACCOUNTS = {
    "operator": "linux_baseline's operator account (linux_baseline_operator_account's default)",
    "breakglass": "the break-glass account (linux_baseline_breakglass_account's default)",
}
# Prefixes of names that belong to the landing zone (lz-operators, the desks' groups) and to systemd.
RESERVED_PREFIXES = ("lz-", "systemd-")
# Accounts and groups a Debian desk has before any person is added: base-passwd's, those of the
# packages a desk and its gateway install, and the groups that grant something. A person's account
# would take one over, or fail on its group of the same name. The workplace role still refuses to
# touch an existing account below UID 1000 that is not on this list.
SYSTEM_NAMES = frozenset(
    {
        # base-passwd: the static users and groups of every Debian system
        *("root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy"),
        *("www-data", "backup", "list", "irc", "gnats", "nobody", "nogroup", "adm", "tty", "disk", "kmem"),
        *("dialout", "fax", "voice", "cdrom", "floppy", "tape", "sudo", "audio", "dip", "operator", "src"),
        *("shadow", "utmp", "video", "sasl", "plugdev", "staff", "users", "input", "render", "kvm", "netdev"),
        *("crontab", "ssl-cert", "lpadmin", "wheel", "admin", "messagebus", "sshd", "polkitd", "tss"),
        # a desktop, its sound, printing and network daemons, the gateway's xrdp and nginx
        *("xrdp", "avahi", "colord", "geoclue", "pulse", "pulse-access", "rtkit", "saned", "scanner"),
        *("lightdm", "sddm", "gdm", "debian-gdm", "usbmux", "dnsmasq", "speech-dispatcher", "hplip"),
        *("nm-openvpn", "bluetooth", "statd", "uuidd", "postfix", "postdrop", "nginx", "fuse"),
        # accounts the collection's own roles make (backup server, citizen portal)
        *("restic-rest", "restic-keeper", "postgres"),
    }
)


def avd_choice(card) -> tuple[str | None, str | None]:
    """(use, session host group) of a card's identity.avd, each None where the card has none or
    the schema refused it."""
    identity = card.get("identity") if isinstance(card, dict) else None
    avd = identity.get("avd") if isinstance(identity, dict) else None
    if not isinstance(avd, dict):
        return None, None
    use = avd.get("use") if avd.get("use") in (AVD_INSTEAD, "beside_desks") else None
    group = avd.get("session_hosts")
    # A group the schema refused never reaches a message again (it may be 10 kB of anything).
    named = isinstance(group, str) and compile_pattern(INVENTORY_NAME_PATTERN).search(group)
    return use, group if named else None


def debian_desks_used(card) -> bool:
    """Whether the workplace runs on Debian desks: unless identity.avd says AVD instead of them."""
    return avd_choice(card)[0] != AVD_INSTEAD


def workplace_problems(card, kept_accounts: Mapping[str, str] | None = None) -> list[tuple[tuple, str]]:
    """Every problem of the workplace section and of identity.avd as (path, message).

    ``kept_accounts`` maps account names the municipality's inventory keeps (operator, the one
    Ansible connects as, break-glass) to what each is; linux_baseline's defaults are always kept."""
    problems = _avd_identity_problems(card)
    workplace = card.get(SECTION) if isinstance(card, dict) else None
    if not isinstance(workplace, dict):
        return problems
    kept = {**DEFAULT_KEPT_ACCOUNTS, **(kept_accounts or {})}
    problems += _desk_count_problems(card, workplace)
    problems += _class_problems(card, workplace)
    problems += _roster_problems(card, workplace, kept)
    return problems


def _avd_identity_problems(card) -> list[tuple[tuple, str]]:
    _, group = avd_choice(card)
    identity = card.get("identity") if isinstance(card, dict) else None
    if group is None or not isinstance(identity, dict):
        return []
    groups = identity.get("groups") if isinstance(identity.get("groups"), dict) else {}
    kind = groups.get(group, identity.get("default"))
    source = f"identity.groups.{group}" if group in groups else "identity.default"
    # Only ad cannot serve AVD; a kind the schema refused is reported there.
    if kind != "ad":
        return []
    return [
        (
            ("identity", "avd", "session_hosts"),
            f"the AVD session hosts of group {group!r} have the identity {kind!r} ({source}); AVD signs people "
            f"in with Microsoft Entra ID, so their identity must be {' or '.join(AVD_IDENTITIES)}",
        )
    ]


def _desk_count_problems(card, workplace: dict) -> list[tuple[tuple, str]]:
    use, group = avd_choice(card)
    desks = workplace.get("desks")
    where = (SECTION, "desks")
    if use == AVD_INSTEAD:
        if "desks" in workplace:
            return [
                (
                    where,
                    f"must be left out: identity.avd.use is {AVD_INSTEAD}, so the workplace runs on the AVD session "
                    f"hosts{f' of group {group!r}' if group else ''} and no Debian desk is made (beside_desks would "
                    "make both)",
                )
            ]
        return []
    if "desks" not in workplace:
        return [
            (
                where,
                "is required: the workplace runs on Debian desks (identity.avd.use: instead_of_desks would run it "
                "on AVD session hosts alone)",
            )
        ]
    roster = workplace.get("roster")
    desks = _bounded(desks, _SCHEMA["desks"])
    if desks is not None and isinstance(roster, list) and desks > len(roster):
        people = f"{len(roster)} {'person' if len(roster) == 1 else 'people'}"
        return [(where, f"is {desks}, but the roster has {people}; a desk nobody logs in to is hardened for nothing")]
    return []


def _bounded(value, schema: dict) -> int | None:
    """``value`` when the schema takes it as a whole number; None when it reported it."""
    if "$ref" in schema:
        schema = _CARD_SCHEMA["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return value if schema.get("minimum", value) <= value <= schema.get("maximum", value) else None


def _roles(workplace: dict) -> list[tuple[int, dict]]:
    roles = workplace.get("roles")
    entries = roles if isinstance(roles, list) else []
    return [(index, role) for index, role in enumerate(entries) if isinstance(role, dict)]


def _class_problems(card, workplace: dict) -> list[tuple[tuple, str]]:
    problems = []
    workplace_class = _bounded(workplace.get("data_classification"), _SCHEMA["data_classification"])
    card_class = _bounded(card.get("data_classification"), _CARD_SCHEMA["properties"]["data_classification"])
    if workplace_class is not None and card_class is not None and workplace_class > card_class:
        problems.append(
            (
                (SECTION, "data_classification"),
                f"is {workplace_class}, above the card's data_classification {card_class}, the highest class "
                "the municipality handles",
            )
        )
    lock = _bounded(workplace.get("idle_lock_minutes"), _SCHEMA["idle_lock_minutes"])
    handles_class4 = False
    for index, role in _roles(workplace):
        name = role.get("name") if isinstance(role.get("name"), str) else f"entry {index}"
        role_lock = _bounded(role.get("idle_lock_minutes"), _SCHEMA["idle_lock_minutes"])
        if lock is not None and role_lock is not None and role_lock > lock:
            problems.append(
                (
                    (SECTION, "roles", index, "idle_lock_minutes"),
                    f"is {role_lock}, longer than workplace.idle_lock_minutes {lock}; a role may only lock sooner",
                )
            )
        if role.get("class4_data") is not True:
            continue
        handles_class4 = True
        if workplace_class is not None and workplace_class < 4:
            problems.append(
                (
                    (SECTION, "roles", index, "class4_data"),
                    f"is true for role {name!r}, but workplace.data_classification is {workplace_class}; "
                    "a role that handles class-4 data makes the workplace class 4",
                )
            )
        for redirection in ("clipboard", "drive_redirection"):
            if role.get(redirection) is True:
                problems.append(
                    (
                        (SECTION, "roles", index, redirection),
                        f"is on for role {name!r}, which handles class-4 data (class4_data: true); clipboard and "
                        "drive redirection stay off for a class-4 role",
                    )
                )
    if workplace_class == 4 and not handles_class4 and _roles(workplace):
        problems.append(
            (
                (SECTION, "data_classification"),
                "is 4, but no role has class4_data: true; say which roles handle class-4 data, so that their "
                "redirection stays off",
            )
        )
    return problems


def _roster_problems(card, workplace: dict, kept: Mapping[str, str]) -> list[tuple[tuple, str]]:
    role_pattern = compile_pattern(ROLE_NAME_PATTERN)
    service_pattern = compile_pattern(SERVICE_NAME_PATTERN)
    account_pattern = compile_pattern(ACCOUNT_NAME_PATTERN)
    role_names = [role["name"] for _, role in _roles(workplace) if isinstance(role.get("name"), str)]
    service_names = [service["name"] for _, service in services_of(card)]
    roster = workplace.get("roster")
    problems = []
    for index, person in enumerate(roster if isinstance(roster, list) else []):
        if not isinstance(person, dict):
            continue
        where = (SECTION, "roster", index)
        name = person.get("name")
        if isinstance(name, str) and account_pattern.search(name):
            reason = _taken_name(name, kept)
            if reason:
                problems.append(((*where, "name"), f"{name!r} {reason}; a person's desk account must be their own"))
        role = person.get("role")
        if isinstance(role, str) and role_pattern.search(role) and role not in role_names:
            valid = ", ".join(known for known in role_names if role_pattern.search(known)) or "it names none"
            problems.append(((*where, "role"), f"{role!r} is not a role of workplace.roles ({valid})"))
        services = person.get("services")
        for entry, service in enumerate(services if isinstance(services, list) else []):
            if isinstance(service, str) and service_pattern.search(service) and service not in service_names:
                valid = ", ".join(known for known in service_names if service_pattern.search(known)) or "it names none"
                problems.append(((*where, "services", entry), f"{service!r} is not a service of this card ({valid})"))
    return problems


def _taken_name(name: str, kept: Mapping[str, str]) -> str | None:
    """Why ``name`` cannot be a person's account, or None."""
    if name in kept:
        return f"is {kept[name]}"
    for prefix in RESERVED_PREFIXES:
        if name.startswith(prefix):
            return f"begins with {prefix!r}, which names accounts and groups of the landing zone or systemd"
    if name in SYSTEM_NAMES:
        return "is an account or group that a Debian desk has already"
    return None
