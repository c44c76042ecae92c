"""The control catalogs as an OSCAL component definition: one component per role, one
implemented requirement per control, with its level, risk, type and every reference it has.

References are whatever list fields a control carries beyond the ones that describe the
control itself (cyfun, cis, ms_baseline today; anssi or a later CyFun edition when the catalog
gains them): each becomes a property named after its field, so no framework is left out.
"""

import datetime
from pathlib import Path

import yaml
from trestle.oscal import OSCAL_VERSION, common
from trestle.oscal.component import ComponentDefinition, ControlImplementation, DefinedComponent, ImplementedRequirement

from landingzone.card.catalogs import catalog_files
from landingzone.errors import LandingzoneError
from landingzone.evidence.oscal_common import file_link, prop, stable_uuid

# Fields that describe a control rather than cite a framework.
DESCRIPTIVE_FIELDS = frozenset(
    {"id", "title", "rationale", "level", "applies_to", "risk", "type", "params", "configured_when"}
    | {"breaks_transport", "management_path"}
)
REFERENCE_TITLES = {
    "cyfun": "CyberFundamentals 2023",
    "cyfun_2025": "CyberFundamentals 2025",
    "cis": "CIS Benchmark",
    "cis_debian13": "CIS Debian Linux 13 Benchmark",
    "ms_baseline": "Microsoft security baseline",
    "anssi": "ANSSI",
}


def role_catalogs(root: Path) -> dict[str, list[tuple[Path, list[dict]]]]:
    """{role: [(file, controls)]} of every roles/<role>/controls/*.yml."""
    catalogs: dict[str, list[tuple[Path, list[dict]]]] = {}
    for path in catalog_files(root):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise LandingzoneError(f"{path}: a catalog is a mapping of area name to a list of controls")
        controls = [control for area in data.values() for control in area or []]
        catalogs.setdefault(path.parent.parent.name, []).append((path, controls))
    return catalogs


def references(control: dict) -> list[tuple[str, str]]:
    """(field, reference) for every reference of a control, in field order."""
    found = []
    for field, value in control.items():
        if field in DESCRIPTIVE_FIELDS or not isinstance(value, list):
            continue
        found += [(field, str(item)) for item in value if str(item).strip()]
    return found


def _requirement(role: str, control: dict) -> ImplementedRequirement:
    props = [prop("level", control["level"])]
    props += [prop("level-2025", control["level_2025"])] if control.get("level_2025") else []
    props += [prop("risk", control["risk"]), prop("type", control["type"])]
    props += [prop("applies-to", kind) for kind in control.get("applies_to") or []]
    props += [prop(field, reference, class_="reference") for field, reference in references(control)]
    return ImplementedRequirement(
        uuid=stable_uuid("requirement", role, control["id"]),
        control_id=control["id"],
        description=f"{control['title']}. {control.get('rationale', '')}".strip(),
        props=props,
    )


def _component(root: Path, role: str, files: list[tuple[Path, list[dict]]]) -> tuple[DefinedComponent, common.Resource]:
    resource = common.Resource(
        uuid=stable_uuid("catalog", role),
        title=f"The control catalog of the {role} role",
        rlinks=[file_link(path.relative_to(root).as_posix(), path) for path, _ in files],
    )
    controls = [control for _, file_controls in files for control in file_controls]
    implementation = ControlImplementation(
        uuid=stable_uuid("implementation", role),
        source=f"#{resource.uuid}",
        description=f"The {role} role checks and enforces each control with one engine call per host.",
        implemented_requirements=[_requirement(role, control) for control in controls],
    )
    frameworks = sorted({field for control in controls for field, _ in references(control)})
    component = DefinedComponent(
        uuid=stable_uuid("component", role),
        type="software",
        title=role,
        description=f"The Ansible role cyberveilig.landingzone.{role} and its {len(controls)} controls.",
        props=[prop("framework", REFERENCE_TITLES.get(field, field), class_=field) for field in frameworks] or None,
        control_implementations=[implementation],
    )
    return component, resource


def component_definition(root: Path, version: str, now: datetime.datetime | None = None) -> ComponentDefinition:
    root = Path(root)
    catalogs = role_catalogs(root)
    if not catalogs:
        raise LandingzoneError(f"{root}: no roles/*/controls/*.yml to export")
    pairs = [_component(root, role, files) for role, files in sorted(catalogs.items())]
    return ComponentDefinition(
        uuid=stable_uuid("component-definition", version),
        metadata=common.Metadata(
            title="cyberveilig.landingzone: the landing zone's controls",
            last_modified=now or datetime.datetime.now(datetime.UTC),
            version=version,
            oscal_version=OSCAL_VERSION,
        ),
        components=[component for component, _ in pairs],
        back_matter=common.BackMatter(resources=[resource for _, resource in pairs]),
    )
