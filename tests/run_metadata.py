"""The run metadata unit tests give FleetSettings: what `run_metadata` would read from a checkout."""

METADATA = {
    "operator": "unit",
    "project_commit": "0" * 40,
    "collection_version": "0.1.0",
    "ansible_core_version": "2.21.5",
    "catalog_hashes": {},
}
