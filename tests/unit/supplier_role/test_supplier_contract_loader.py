"""The supplier contract's schema and loader: good contracts load, bad ones name file and field."""

import copy

import pytest
import yaml

from landingzone.supplier_role import CONTRACT_FILE, ContractError, load, load_all, validate

GOOD = {
    "contract_version": 1,
    "role": "example_app",
    "ports": [{"port": 443, "proto": "tcp", "sources": ["any"], "purpose": "HTTPS"}],
    "backup": {"paths": ["/srv/example"], "databases": [{"engine": "postgresql", "name": "example"}]},
    "health_check": {"https": {"path": "/health", "expect": "ok"}, "timeout": 10},
    "waiver_requests": [{"control": "LZ-PERM-003", "justification": "The vendor's client writes the group file."}],
}


def changed(path, value):
    data = copy.deepcopy(GOOD)
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


def problems(data):
    with pytest.raises(ContractError) as caught:
        validate(data, "roles/example_app/meta/landingzone.yml")
    return caught.value


def test_a_good_contract_validates():
    contract = validate(GOOD, "x.yml")
    assert contract.role == "example_app"
    assert contract.data == GOOD


def test_the_reference_role_keeps_the_contract():
    root = __import__("pathlib").Path(__file__).resolve().parents[3]
    assert load(root / "roles" / "citizen_portal").data["ports"][0]["port"] == 443


@pytest.mark.parametrize(
    ("path", "value", "field", "words"),
    [
        (("contract_version",), 2, "contract_version", "must be 1"),
        (("ports", 0, "port"), 70000, "ports[0].port", "70000"),
        (("ports", 0, "proto"), "sctp", "ports[0].proto", "must be one of tcp, udp"),
        (("ports", 0, "sources"), ["10.1.2.3/24"], "ports[0].sources[0]", "CIDR"),
        (("ports", 0, "sources"), ["everyone"], "ports[0].sources[0]", "neither management"),
        (("ports", 0, "sources"), ["any", "management"], "ports[0].sources", "list it alone"),
        (("backup", "paths"), ["relative/path"], "backup.paths[0]", "is not valid"),
        (("backup", "databases", 0, "engine"), "oracle", "backup.databases[0].engine", "one of postgresql, mariadb"),
        (("health_check",), {"https": {"path": "/x", "expect": "ok"}, "command": {"argv": ["x"], "expect": "y"}},
         "health_check", "exactly one of"),
        (("waiver_requests", 0, "control"), "PERM-3", "waiver_requests[0].control", "is not valid"),
        (("waiver_requests", 0, "justification"), "because", "waiver_requests[0].justification", "at least 20"),
        (("backup",), KeyError, "backup", "is required"),
        (("ports", 0, "prot"), "tcp", "ports[0].prot", "is not a field of the contract"),
        (("services",), ["citizen portal.service"], "services[0]", "must be a systemd service unit"),
        (("services",), ["citizen-portal"], "services[0]", "ending in .service"),
        (("services",), ["app.service", "app.service"], "services", "lists 'app.service' more than once"),
        (("services",), "app.service", "services", "is not of type 'array'"),
    ],
)  # fmt: skip
def test_a_bad_contract_names_file_and_field(path, value, field, words):
    error = problems(changed(path, value))
    assert any(name == field and words in message for name, message in error.problems), error.problems
    assert str(error).startswith("roles/example_app/meta/landingzone.yml: ")


def test_services_are_optional_and_take_unit_names():
    units = ["citizen-portal.service", "worker@1.service", "app_v2.legacy.service"]
    assert validate(changed(("services",), units), "x.yml").data["services"] == units
    assert "services" not in validate(GOOD, "x.yml").data


def test_a_port_declared_twice_is_an_error():
    data = changed(("ports",), GOOD["ports"] * 2)
    error = problems(data)
    assert ("ports[1]", "443/tcp is declared already by entry 0") in error.problems


def test_the_role_field_must_match_the_directory(tmp_path):
    role = tmp_path / "other_app"
    (role / "meta").mkdir(parents=True)
    (role / CONTRACT_FILE).write_text(yaml.safe_dump(GOOD))
    with pytest.raises(ContractError, match=r"other_app/meta/landingzone.yml: role: says 'example_app'"):
        load(role)


def test_a_missing_or_broken_file_is_named(tmp_path):
    role = tmp_path / "example_app"
    with pytest.raises(ContractError, match=r"example_app/meta/landingzone.yml: \(file\): missing"):
        load(role)
    (role / "meta").mkdir(parents=True)
    (role / CONTRACT_FILE).write_text("ports: [\n")
    with pytest.raises(ContractError, match=r"line \d+: not valid YAML"):
        load(role)


def test_every_supplier_role_of_a_roles_directory_is_loaded(tmp_path):
    (tmp_path / "linux_baseline" / "meta").mkdir(parents=True)  # a role of the landing zone: no contract
    role = tmp_path / "example_app"
    (role / "meta").mkdir(parents=True)
    (role / CONTRACT_FILE).write_text(yaml.safe_dump(GOOD))
    assert [contract.role for contract in load_all(tmp_path)] == ["example_app"]
    assert load_all(tmp_path / "absent") == []
    broken = tmp_path / "broken_app"
    (broken / "meta").mkdir(parents=True)
    (broken / CONTRACT_FILE).write_text(yaml.safe_dump(dict(GOOD, role="broken_app", ports="443")))
    with pytest.raises(ContractError, match=r"broken_app/meta/landingzone.yml: ports: "):
        load_all(tmp_path)
