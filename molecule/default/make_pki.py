"""The scenario's certificates: a fleet CA; under it the municipality's own CA, which issues every
platform's certificate (what the collector trusts); and what an intruder brings to the collector:

- other-municipality: a certificate with a platform's very name, from another municipality's CA
  under the same fleet CA (other-municipality-chain.pem holds that CA and the fleet CA);
- wildcard: this municipality's CA, naming every host (*) but none exactly;
- server-only: this municipality's CA, a platform's name, for TLS servers only (no clientAuth).

    python make_pki.py DIR NAME[,NAME...]
"""

import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from landingzone.pki import SERVER_ONLY, issue_certificate, key_pem, new_ca


def _pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _write(directory: Path, name: str, cert, key) -> None:
    (directory / f"{name}.crt").write_bytes(_pem(cert))
    key_path = directory / f"{name}.key"
    key_path.touch(mode=0o600)
    key_path.write_bytes(key_pem(key))


def main(directory: str, names: str) -> int:
    out = Path(directory)
    if (out / "ca.crt").exists():
        return 0
    (out / "intruder").mkdir(parents=True, exist_ok=True)
    fleet = new_ca("molecule fleet CA", path_length=1)
    ours = new_ca("molecule municipality CA", issuer=fleet)
    theirs = new_ca("molecule other municipality CA", issuer=fleet)
    hosts = sorted(names.split(","))  # hosts[0] is the tests' "own" sender
    for name in hosts:
        _write(out, name, *issue_certificate(*ours, name, [name, "localhost", "127.0.0.1"]))
    _write(out / "intruder", "other-municipality", *issue_certificate(*theirs, hosts[0], [hosts[0]]))
    (out / "intruder" / "other-municipality-chain.pem").write_bytes(_pem(theirs[0]) + _pem(fleet[0]))
    _write(out / "intruder", "wildcard", *issue_certificate(*ours, "*", ["*", "*.invalid"]))
    _write(out / "intruder", "server-only", *issue_certificate(*ours, hosts[0], [hosts[0]], SERVER_ONLY))
    (out / "ca.crt").write_bytes(_pem(ours[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:3]))
