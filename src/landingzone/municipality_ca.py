"""A municipality's own issuing CA, under the fleet CA, kept in the fleet repository under the vault.

The log collector trusts only its municipality's CA (not the fleet CA above it), so a certificate
of another municipality is refused even though both chain up to the same fleet CA. The CA lives
in ``<fleet>/pki/municipalities/<name>/`` (``ca.crt``, ``ca.key.vault``), and issues into its
own ``<purpose>/`` directories the way the fleet CA does into its own.
"""

from pathlib import Path

from cryptography import x509

from landingzone.card.scaffold import NAME as MUNICIPALITY_NAME
from landingzone.errors import LandingzoneError
from landingzone.fleet_pki import FleetCA
from landingzone.inventory import municipality_dir
from landingzone.pki import new_ca


class MunicipalityCA(FleetCA):
    """Issues like the fleet CA, from its own directory and key."""

    def __init__(self, fleet: Path, municipality: str):
        if not MUNICIPALITY_NAME.match(municipality):
            raise LandingzoneError(
                f"pki: --municipality: {municipality!r} is not a municipality name (lower-case letters, digits, "
                "hyphens)"
            )
        super().__init__(fleet)
        self.fleet_ca = FleetCA(fleet)
        self.municipality = municipality
        self.directory = self.fleet_ca.directory / "municipalities" / municipality
        self.cert_path = self.directory / "ca.crt"
        self.key_path = self.directory / "ca.key.vault"

    def init(self, common_name: str, password: str) -> Path:
        """Create the municipality's CA, signed by the fleet CA; once, never replaced."""
        if self.cert_path.exists() or self.key_path.exists():
            raise LandingzoneError(
                f"{self.directory}: pki municipality-ca: {self.municipality} already has a CA; it is never replaced"
            )
        fleet_cert, fleet_key = self.fleet_ca._signing_material(password)
        constraints = fleet_cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        if constraints.path_length == 0:
            raise LandingzoneError(
                f"{self.fleet_ca.cert_path}: pki municipality-ca: this fleet CA was made to sign hosts only "
                "(path length 0) and cannot sign a municipality's CA"
            )
        name = common_name or f"landingzone {self.municipality} CA"
        return self._store(*new_ca(name, issuer=(fleet_cert, fleet_key)), password)

    def _signing_material(self, password: str):
        if not self.exists():
            raise LandingzoneError(
                f"{self.directory}: {self.municipality} has no CA yet: run `landingzone pki municipality-ca "
                f"{self.municipality}` first"
            )
        return super()._signing_material(password)


def add_municipality_ca_parser(actions) -> None:
    """`landingzone pki municipality-ca NAME`."""
    parser = actions.add_parser(
        "municipality-ca", help="create a municipality's own CA under the fleet CA (once); its log certificates"
    )
    parser.add_argument("municipality", help="a municipality of the fleet")
    parser.add_argument("--common-name", default="", metavar="CN", help="default: landingzone <municipality> CA")


def municipality_ca(fleet: Path, args) -> FleetCA:
    """The CA a `pki` command works with: the fleet's, or a municipality's of this fleet."""
    municipality = getattr(args, "municipality", None)
    if args.action == "issue" and args.purpose == "log" and not municipality:
        raise LandingzoneError(
            "pki issue: --municipality: a log certificate comes from its municipality's CA, the only CA that "
            "municipality's collector trusts"
        )
    if not municipality:
        return FleetCA(fleet)
    ca = MunicipalityCA(fleet, municipality)
    municipality_dir(fleet, municipality)  # a municipality the fleet does not have is a typo
    return ca
