"""new_municipality: a new inventory directory with a card that validates and a hosts.yml to fill in."""

import re
from pathlib import Path

from landingzone.card.errors import CardError
from landingzone.card.load import CARD_FILE

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
NIS_CODE = re.compile(r"^[0-9]{5}$")

# Every value marked CHANGE is a placeholder that validates, so `landingzone validate` works from
# the first minute; the inventory starts without hosts, so nothing runs until a person filled it in.
CARD_TEMPLATE = """\
---
# The municipality card of {name}: the facts the landing zone applies (schema version 1).
# Replace every value marked CHANGE before adding hosts to hosts.yml. Secret or personal values
# may be ansible-vault encrypted strings (`ansible-vault encrypt_string`).
schema_version: 1
name: {name}
nis_code: "{nis}"
cyfun_target_level: {{edition: 2025, level: important}}  # CyberFundamentals edition and assurance level
data_classification: 3  # highest confidentiality class of the data handled, 1..4

contacts:
  - role: security_officer
    name: CHANGE the information security officer
    email: security@{name}.invalid

# SSH to every host is allowed from these networks only: get them right before the first apply.
management_networks:
  - 192.0.2.0/24  # CHANGE

log_collector:
  host: {name}-log1  # CHANGE
  port: 6514  # the first of its ports: each host forwards to a port of its own, in name order

ntp_servers:
  - 0.be.pool.ntp.org
  - 1.be.pool.ntp.org

backup:
  retention:
    keep_daily: 14
    keep_weekly: 8
    keep_monthly: 12
    keep_yearly: 3
  offsite:
    type: s3
    endpoint: https://s3.{name}.invalid  # CHANGE
    bucket: {name}-backup

# Critical citizen services: {{name, hosts, role, health_check, tier, rto_minutes, rpo_minutes}};
# a service a supplier role installs names it (supplier_role) and may leave health_check out;
# depends_on lists the services and hosts it needs back before it (docs/cards.md).
services: []

# Suppliers reaching hosts through the VPN gateway, each with an expiry.
suppliers: []

# Approved exceptions to controls: {{control, hosts, justification, approver, expires, compensating_measure}}
waivers: []

# The disaster-recovery workplace (docs/cards.md, "The workplace"): Debian desks that staff reach
# from a browser or an RDP client after an incident, with local accounts that work while the
# directory is down. First passwords go in the vault (workplace_first_passwords), never here.
# AVD session hosts instead of the desks, or beside them: identity.avd. Uncomment it once services
# lists what the roster may open.
# workplace:
#   desks: 1                    # Debian desks, 1 to the number of people on the roster
#   rto_minutes: 480            # from nothing to every desk logged into
#   data_classification: 3      # the highest class handled on the desks, at most data_classification
#   totp_required: true         # a TOTP code after the password at every login
#   idle_lock_minutes: 10       # 1 to 15; a role may lock sooner
#   roles:                      # each a group lz-desk-<name> on the desks; redirection off unless said
#     - {{name: burgerzaken, class4_data: false, clipboard: false, drive_redirection: false}}
#   roster:                     # a local account each, never operator, breakglass or a Debian account
#     - {{name: jdevos, role: burgerzaken, services: [burgerzaken]}}  # CHANGE
"""

HOSTS_TEMPLATE = """\
---
# Inventory of {name}. Add each host under its group, with ansible_host where DNS does not know it.
all:
  children:
    app_servers:
      hosts: {{}}
    vpn_gateways:
      hosts: {{}}
    backup_servers:
      hosts: {{}}
    log_collectors:
      hosts: {{}}
"""


def new_municipality(fleet_dir, name: str, nis) -> Path:
    """Create ``fleet_dir/<name>/`` with municipality.yml and hosts.yml; returns that directory.

    Refuses a bad name or NIS code, and any existing directory: it never overwrites.
    """
    directory = Path(fleet_dir) / name
    card_path = directory / CARD_FILE
    nis = str(nis)
    problems = []
    if not NAME.match(name):
        problems.append(("name", f"{name!r} is not valid: lower-case letters, digits and hyphens"))
    if not NIS_CODE.match(nis):
        problems.append(("nis_code", f"{nis!r} is not valid: exactly 5 digits"))
    if problems:
        raise CardError(card_path, problems)
    if directory.exists():
        raise CardError(directory, [("(directory)", "exists already; new-municipality never overwrites")])
    directory.mkdir(parents=True)
    card_path.write_text(CARD_TEMPLATE.format(name=name, nis=nis), encoding="utf-8")
    (directory / "hosts.yml").write_text(HOSTS_TEMPLATE.format(name=name), encoding="utf-8")
    return directory
