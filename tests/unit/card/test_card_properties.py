"""Property tests over the card schema: cards generated from the schema itself validate, every
mutation of one is refused with exit 2 naming the field, and no input ends in a traceback.

The cards come from hypothesis-jsonschema, fed the card's own schema with the checks that
need the world (inventory hosts and groups, control ids, supplier roles) narrowed to the
fixture inventory, and one service and one supplier (names unique, tunnels apart) so that
everything the generator makes is valid by construction.
"""

import copy
import datetime
import ipaddress

import pytest
import yaml
from card_testdata import FIXTURE_GROUPS, FIXTURE_HOSTS
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from landingzone.card import CardError, card_to_vars, load_card
from landingzone.card.fields import field_path, walk
from landingzone.card.validation import JINJA_MARKERS, card_schema

CONTROL = "LZ-SSH-009"
DEPENDENCY = "gem-log1"
PROPERTY_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


TUNNEL_NETWORKS = ["10.231.201.0/24", "fd00:231:201::/64"]
TUNNEL_ADDRESSES = ["10.231.201.2/32", "fd00:231:201::2/128"]
SERVICE_NETWORKS = ["10.231.250.0/24", "fd00:231:250::/64", "192.168.7.0/24"]
MANAGEMENT_NETWORKS = ["10.231.209.0/24", "fd00:231:209::/64", "172.16.0.0/12"]


def generation_schema() -> dict:
    """The card schema, with what depends on the world narrowed to the fixture inventory."""
    schema = copy.deepcopy(card_schema())
    properties = schema["properties"]
    properties["name"] = {"const": "gemtest"}
    # hypothesis-jsonschema knows draft 7's spelling of dependentRequired.
    offsite = properties["backup"]["properties"]["offsite"]
    offsite["dependencies"] = offsite.pop("dependentRequired")
    hosts = {"enum": sorted(FIXTURE_HOSTS)}
    services = properties["services"]
    services["maxItems"] = 1
    del services["items"]["properties"]["supplier_role"]
    # A service needs back a host of the inventory that is not one of its own (card/dependencies.py):
    # its own hosts are drawn without the log collector, which is the one it may depend on.
    services["items"]["properties"]["hosts"]["items"] = {"enum": sorted(FIXTURE_HOSTS - {DEPENDENCY})}
    services["items"]["properties"]["depends_on"]["items"] = {"enum": [DEPENDENCY]}
    suppliers = properties["suppliers"]
    suppliers["maxItems"] = 1
    vpn = suppliers["items"]["properties"]["vpn"]
    for rotation in ("next_public_key", "next_tunnel_address"):
        del vpn["properties"][rotation]
    del vpn["dependentRequired"]
    suppliers["items"]["properties"]["access"]["items"]["properties"]["host"] = hosts
    # A tunnel address lies inside the gateway's tunnel network, which stays clear of the
    # management and service networks (card/vpn_networks.py): networks chosen apart.
    vpn["properties"]["tunnel_address"] = {"enum": [*TUNNEL_ADDRESSES, TUNNEL_ADDRESSES]}
    properties["vpn"]["properties"]["tunnel_networks"] = {"const": TUNNEL_NETWORKS}
    properties["vpn"]["properties"]["service_networks"]["items"] = {"enum": SERVICE_NETWORKS}
    properties["management_networks"]["items"] = {"enum": MANAGEMENT_NETWORKS}
    waiver = properties["waivers"]["items"]["properties"]
    waiver["control"] = {"const": CONTROL}
    waiver["hosts"] = {
        "type": "array",
        "minItems": 1,
        "maxItems": 2,
        "uniqueItems": True,
        "items": {"enum": ["all", *sorted(FIXTURE_GROUPS - {"all"}), *sorted(FIXTURE_HOSTS)]},
    }
    properties["identity"]["else"]["properties"]["groups"]["propertyNames"] = {"enum": sorted(FIXTURE_GROUPS)}
    # The workplace names the card's services and roles and depends on identity.avd and the data
    # class (card/workplace.py): made at random it would be refused; test_card_workplace.py covers it.
    del properties["workplace"]
    del properties["identity"]["else"]["properties"]["avd"]
    return schema


def _network(version: int):
    bits = 32 if version == 4 else 128
    return st.tuples(st.integers(0, 2**bits - 1), st.integers(8, bits)).map(
        lambda pair: str(ipaddress.ip_network((pair[0], pair[1]), strict=False))
    )


LABEL = r"[a-z]([a-z0-9-]{0,8}[a-z0-9])?"
FORMATS = {
    "cidr": st.one_of(_network(4), _network(6)),
    "hostname": st.one_of(
        st.from_regex(rf"{LABEL}(\.{LABEL}){{0,2}}", fullmatch=True),
        st.ip_addresses().map(str),
    ),
    "email": st.from_regex(rf"[a-z0-9._%+-]{{1,10}}@{LABEL}\.[a-z]{{2,6}}", fullmatch=True),
    "date": st.dates(datetime.date(2000, 1, 1), datetime.date(2099, 12, 31)).map(str),
    "date-time": st.datetimes(datetime.datetime(2000, 1, 1), datetime.datetime(2099, 12, 31)).map(
        lambda moment: moment.replace(microsecond=0).isoformat() + "+01:00"
    ),
}
# Built on first use, not at import: hypothesis-jsonschema takes seconds to canonicalise the card's
# schema, and every pytest worker imports this module to collect it, whether it runs it or not.
CARDS = st.deferred(lambda: from_schema(generation_schema(), custom_formats=FORMATS))
# One value of every JSON type: whatever a field holds, one of these is of another type.
OTHER_TYPES = [5, 1.5, True, None, "text", [], [1], {}, {"a": 1}]


def json_type(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object", type(None): "null"}[type(value)]


field_name = field_path


def no_template_markers(card) -> bool:
    return not any(isinstance(v, str) and any(m in v for m in JINJA_MARKERS) for _, v in walk(card))


def load(tmp_path_factory, card, control_ids):
    path = tmp_path_factory.mktemp("card") / "gemtest" / "municipality.yml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(card) if not isinstance(card, str) else card)
    return path, load_card(
        path,
        inventory_hosts=FIXTURE_HOSTS,
        inventory_groups=FIXTURE_GROUPS,
        known_control_ids=control_ids,
        vault_secret=None,
    )


def load_refused(tmp_path_factory, card, control_ids):
    with pytest.raises(CardError) as caught:
        load(tmp_path_factory, card, control_ids)
    assert caught.value.exit_code == 2
    return caught.value


@PROPERTY_SETTINGS
@given(card=CARDS)
def test_a_card_made_from_the_schema_validates(tmp_path_factory, control_ids, control_roles, card):
    assume(no_template_markers(card))
    _, loaded = load(tmp_path_factory, card, control_ids)
    assert loaded == card
    # And becomes the roles' variables without a surprise.
    assert card_to_vars(loaded, control_roles)["landingzone_municipality"]["name"] == "gemtest"


@PROPERTY_SETTINGS
@given(card=CARDS, data=st.data())
def test_a_value_of_another_type_is_refused_naming_its_field(tmp_path_factory, control_ids, card, data):
    assume(no_template_markers(card))
    paths = [path for path, _ in walk(card) if path]
    path = data.draw(st.sampled_from(paths), label="path")
    target = card
    for step in path[:-1]:
        target = target[step]
    original = target[path[-1]]
    target[path[-1]] = data.draw(st.sampled_from([v for v in OTHER_TYPES if json_type(v) != json_type(original)]))
    error = load_refused(tmp_path_factory, card, control_ids)
    named = [field for field, _ in error.problems]
    # The field itself, or the mapping or list that holds it (e.g. a list that lost its minimum), or,
    # where the field takes either form (cyfun_target_level: a level, or an edition and a level),
    # what the other form lacks.
    within = field_name(path) + "."
    assert any(field_name(path[:cut]) in named for cut in range(len(path), -1, -1)) or any(
        field.startswith(within) for field in named
    ), (field_name(path), named)


@PROPERTY_SETTINGS
@given(card=CARDS, data=st.data())
def test_a_missing_or_unknown_field_is_refused(tmp_path_factory, control_ids, card, data):
    assume(no_template_markers(card))
    mappings = [(path, value) for path, value in walk(card) if isinstance(value, dict) and value]
    path, mapping = data.draw(st.sampled_from(mappings), label="mapping")
    if data.draw(st.booleans(), label="remove a field"):
        required = _required_at(path)
        assume(set(required) & set(mapping))
        key = data.draw(st.sampled_from(sorted(set(required) & set(mapping))))
        del mapping[key]
    else:
        assume(path[-1:] != ("groups",))  # identity groups take any group of the inventory as key
        key = "surprise"
        mapping[key] = 1
    error = load_refused(tmp_path_factory, card, control_ids)
    assert field_name((*path, key)) in [field for field, _ in error.problems]


def _required_at(path) -> list[str]:
    schema = card_schema()
    for step in path:
        schema = schema["items"] if isinstance(step, int) else schema.get("properties", {}).get(step, {})
        if "$ref" in schema:
            schema = card_schema()["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    return schema.get("required", [])


@PROPERTY_SETTINGS
@given(
    text=st.one_of(
        st.text(max_size=400),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
            max_leaves=20,
        ).map(lambda data: yaml.safe_dump(data)),
    )
)
def test_no_input_ends_in_anything_but_a_card_or_a_card_error(tmp_path_factory, control_ids, text):
    try:
        load(tmp_path_factory, text, control_ids)
    except CardError as error:
        assert error.exit_code == 2
