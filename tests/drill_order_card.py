"""A copy of the demo card whose services make `drill demo --all` order its steps across hosts.

- ``bevolkingsregister`` runs on two hosts, the app host and the log collector's host: it comes
  back on both, each from the backup of the host it stands in for.
- ``meldingen`` runs on the log collector's host, which the drill rebuilds first, and needs the
  portal, which runs on the app host, rebuilt later: gone through host by host, it would come
  before the portal and fail.
- ``citizen-portal`` needs the host demo-app2 and nothing of the card runs there but the tier-2
  ``website``: that host is back only with the website, which comes back before the portal.

Each service's data is a directory the seeds below fill on the lab's hosts, checked against the
backup's manifest, apart from the portal (its supplier role's contract).
"""

import shutil
from pathlib import Path

import yaml

SERVICES = [
    {
        "name": "bevolkingsregister",
        "hosts": ["demo-app1", "demo-log1"],
        "role": "population registry front office",
        "health_check": "manifest:///srv/bevolkingsregister",
        "tier": 1,
        "rto_minutes": 240,
        "rpo_minutes": 60,
    },
    {
        "name": "meldingen",
        "hosts": ["demo-log1"],
        "role": "notices to citizens",
        "health_check": "manifest:///srv/meldingen",
        "tier": 1,
        "rto_minutes": 240,
        "rpo_minutes": 60,
        "depends_on": ["citizen-portal"],
    },
    {
        "name": "citizen-portal",
        "hosts": ["demo-app1"],
        "role": "citizen appointment portal",
        "supplier_role": "citizen_portal",
        "tier": 1,
        "rto_minutes": 240,
        "rpo_minutes": 60,
        "depends_on": ["demo-log1", "demo-app2"],
    },
    {
        "name": "website",
        "hosts": ["demo-app2"],
        "role": "municipal website and e-loket",
        "health_check": "manifest:///srv/website",
        "tier": 2,
        "rto_minutes": 1440,
        "rpo_minutes": 1440,
    },
]

# What each lab host holds besides the app host's register (test_restore_drill's SEED): files that
# differ from host to host, so that a restore from the wrong host's backup shows.
SEEDS = {
    "demo-log1": """
set -e
install -d -m 0750 /srv/bevolkingsregister /srv/meldingen
printf 'kantoor;adres\\nloket-noord;Markt 1\\n' > /srv/bevolkingsregister/bijkantoren.csv
printf 'De dienstverlening loopt weer.\\n' > /srv/meldingen/storing.txt
head -c 20000 /dev/urandom > /srv/meldingen/bijlage.bin
""",
    "demo-app2": """
set -e
install -d -m 0755 /srv/website
printf '<h1>Gemeente Demo</h1>\\n' > /srv/website/index.html
""",
}


def write_fleet(demo: Path, fleet: Path) -> Path:
    """A fleet holding a copy of the demo inventory with these services; its card's path."""
    shutil.copytree(demo, fleet / "demo", symlinks=True)
    card_path = fleet / "demo" / "municipality.yml"
    card = yaml.safe_load(card_path.read_text())
    card["services"] = SERVICES
    card_path.write_text(yaml.safe_dump(card, sort_keys=False, allow_unicode=True))
    return card_path
