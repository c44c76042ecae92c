"""Where `make test` finds molecule scenarios: the collection's own in molecule/, and those a
role keeps in roles/<role>/molecule/ (as a role made by `landingzone new-supplier-role` does)."""

from pathlib import Path


def scenarios(root: Path) -> list[tuple[str, Path, str]]:
    """(test id, directory molecule runs in, scenario name) of every scenario under `root`."""
    found = [(path.parent.name, root, path.parent.name) for path in (root / "molecule").glob("*/molecule.yml")]
    for path in (root / "roles").glob("*/molecule/*/molecule.yml"):
        role, scenario = path.parents[2], path.parent.name
        found.append((f"{role.name}-{scenario}", role, scenario))
    return sorted(found)
