"""A fresh, empty host for a restore drill, started beside a municipality's lab.

The drill proves that a service comes back on a machine that has nothing: so its target
is a new container from the same image as the service's host, on the lab network at
addresses of its own (of both families where that host is dual stack), with the operator's
key and nothing else. Its new SSH host key is certified by the lab for the target's own name
and address (never for the host it stands in for), so the drill's run trusts it without a
manual step and would refuse anything else at that address. It carries the lab's label
(`lab down` removes it too) and is removed when the drill ends, whatever happened.
"""

import dataclasses
import datetime
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from landingzone.errors import LandingzoneError
from landingzone.lab.lab_addresses import addresses_in_use, free_address
from landingzone.lab.municipality_lab import Lab, LabHost, load_lab, start_host, write_ssh_config
from landingzone.lab.podman import Podman
from landingzone.pki import CertificateAuthority

# Its SSH host certificate outlives no drill: a later target may get the same name and address.
CERTIFICATE_LIFETIME = datetime.timedelta(days=1)


def target_name(municipality: str, service: str) -> str:
    """`<municipality>-drill-<service>`, in the letters a host name and a container name both allow."""
    slug = re.sub(r"[^a-z0-9-]+", "-", service.lower()).strip("-") or "service"
    return f"{municipality}-drill-{slug}"[:63].rstrip("-")


@contextmanager
def drill_target(root: Path, fleet: Path, municipality: str, service: str, source_host: str) -> Iterator[LabHost]:
    """Start the target of one service's drill, yield it, and always remove it afterwards."""
    with drill_targets(root, fleet, municipality, [(target_name(municipality, service), source_host)]) as (target,):
        yield target


@contextmanager
def drill_targets(
    root: Path, fleet: Path, municipality: str, wanted: list[tuple[str, str]], images: dict[str, str] | None = None
) -> Iterator[list[LabHost]]:
    """Start a target for each (name, source host), in that order, yield them, and always remove
    them all (and their ssh_config entries) afterwards. Each one resolves the others' names: a
    rebuilt host reaches the rebuilt hosts it depends on, by the names their certificates carry.
    A target named in ``images`` starts from that image rather than its source's (a desk from the
    desk image)."""
    lab = load_lab(root, fleet, municipality)
    by_name = {host.name: host for host in lab.hosts}
    for _, source_host in wanted:
        if source_host not in by_name:
            raise LandingzoneError(f"lab {municipality}: the service's host {source_host!r} is not a lab host")
    podman = Podman(root)
    if not podman.exists("network", lab.network):
        raise LandingzoneError(f"lab {municipality} is not up: run `landingzone lab up {municipality}` first")
    for name, _ in wanted:
        if podman.exists("container", name):
            raise LandingzoneError(f"{name}: a drill target of this name exists already (another drill running?)")
    taken = addresses_in_use(podman, lab.network)
    targets = []
    for name, source_host in wanted:
        source = by_name[source_host]
        # Like the source, dual stack where the source is; never at one of the source's addresses.
        address = free_address(lab, taken)
        address6 = free_address(lab, taken | {address}, version=6) if source.address6 else ""
        taken |= {address, address6} - {""}
        image = (images or {}).get(name, source.image)
        targets.append(dataclasses.replace(source, name=name, address=address, address6=address6, image=image))
    with_targets = dataclasses.replace(lab, hosts=[*lab.hosts, *targets])
    try:
        write_ssh_config(with_targets)
        public_key = lab.key_path.with_suffix(".pub").read_bytes()
        for target, (_, source_host) in zip(targets, wanted, strict=True):
            _issue_tls_certificate(lab, target, source_host)
            start_host(podman, with_targets, target, public_key, certificate_lifetime=CERTIFICATE_LIFETIME)
        yield targets
    finally:
        for target in targets:
            podman.run("rm", "--force", "--time", "5", target.name, check=False)
        write_ssh_config(lab)


def _issue_tls_certificate(lab: Lab, target: LabHost, source_host: str) -> None:
    """Its own certificate of the lab CA, as `lab up` gives every host: the baseline's log
    forwarding and the roles find it by host name. It also carries the name of the host it
    stands in for, which the drill leads here: a service restored on it (a supplier role's web
    front) answers to the name its users know, and is verified against it. Issued afresh for
    every drill: its address may differ from the last one's."""
    pki = lab.state_dir / "pki"
    for old in (pki / f"{target.name}.crt", pki / f"{target.name}.key"):
        old.unlink(missing_ok=True)
    addresses = [target.address, *([target.address6] if target.address6 else [])]
    CertificateAuthority(pki).issue(target.name, [target.name, *addresses, source_host])
