"""The card and evidence libraries the runner calls, or thin stand-ins until they land.

`landingzone.card` validates municipality cards and turns them into role
variables; `landingzone.evidence` writes results.json, junit.xml, report.html and
the manifest, and redacts secrets. The stand-ins keep fleet runs working (and
tested) with only what the runner itself depends on.
"""

import datetime
import hashlib
import json
import re
from pathlib import Path

import yaml

from landingzone.errors import LandingzoneError

try:  # pragma: no cover - which branch runs depends on the checkout
    from landingzone.card import (
        CARD_FILE,
        CardError,
        card_to_vars,
        known_control_ids,
        load_card,
        new_municipality,
        secret_values,
    )
except ImportError:  # pragma: no cover
    CARD_FILE = "municipality.yml"
    CardError = LandingzoneError

    def load_card(path: Path, *, inventory_hosts, known_control_ids, vault_secret, inventory_groups=()) -> dict:
        try:
            card = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise CardError(f"{path}: cannot be read: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise CardError(f"{path}: is not valid YAML: {exc}") from None
        if not isinstance(card, dict):
            raise CardError(f"{path}: must be a mapping")
        for field in ("name", "nis_code"):
            if field not in card:
                raise CardError(f"{path}: {field}: is required")
        if not re.fullmatch(r"\d{5}", str(card["nis_code"])):
            raise CardError(f"{path}: nis_code: {card['nis_code']!r} is not five digits")
        return card

    def card_to_vars(card: dict) -> dict:
        return {}

    def known_control_ids(root: Path) -> set:
        ids = set()
        for catalog in Path(root).glob("roles/*/controls/*.yml"):
            for controls in (yaml.safe_load(catalog.read_text(encoding="utf-8")) or {}).values():
                ids.update(control["id"] for control in controls or [] if isinstance(control, dict))
        return ids

    def secret_values(card: dict) -> list[str]:
        return []

    def new_municipality(fleet_dir: Path, name: str, nis: str) -> Path:
        raise LandingzoneError("new-municipality needs the landingzone.card library, which this checkout lacks")


try:  # pragma: no cover
    from landingzone.evidence import fleet_index, redact, write_evidence
except ImportError:  # pragma: no cover

    def redact(obj, secrets):
        ordered = sorted((s for s in secrets if s), key=len, reverse=True)

        def scrub(value):
            if isinstance(value, str):
                for secret in ordered:
                    value = value.replace(secret, "********")
                return value
            if isinstance(value, dict):
                return {scrub(k): scrub(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [scrub(v) for v in value]
            return value

        return scrub(obj)

    def write_evidence(run_dir: Path, run: dict, results: list[dict]) -> dict[str, Path]:
        run_dir.mkdir(parents=True, exist_ok=True)
        secrets = run.get("secrets", [])
        public_run = {k: v for k, v in run.items() if k != "secrets"}
        document = redact({"schema_version": 0, "run": public_run, "results": results}, secrets)
        results_path = run_dir / "results.json"
        results_path.write_text(json.dumps(document, indent=2, sort_keys=True), encoding="utf-8")
        manifest = run_dir / "manifest.sha256"
        digest = hashlib.sha256(results_path.read_bytes()).hexdigest()
        manifest.write_text(f"{digest}  results.json\n", encoding="utf-8")
        return {"results.json": results_path, "manifest.sha256": manifest}

    def fleet_index(evidence_root: Path) -> Path:
        rows = []
        for results in sorted(Path(evidence_root).glob("*/*/results.json")):
            run = json.loads(results.read_text(encoding="utf-8"))["run"]
            rows.append({"municipality": results.parent.parent.name, "ident": results.parent.name, "run": run})
        index = Path(evidence_root) / "index.json"
        stamp = datetime.datetime.now(datetime.UTC).isoformat()
        index.write_text(json.dumps({"generated": stamp, "runs": rows}, indent=2), encoding="utf-8")
        return index


__all__ = [
    "CARD_FILE",
    "CardError",
    "card_to_vars",
    "fleet_index",
    "known_control_ids",
    "load_card",
    "new_municipality",
    "redact",
    "secret_values",
    "write_evidence",
]
