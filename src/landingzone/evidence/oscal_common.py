"""What both OSCAL exports share: stable UUIDs, this project's property namespace, and file hashes.

UUIDs are derived (version 5) from what they name, so exporting the same catalog or run twice
gives the same document, and a finding keeps its UUID across exports.
"""

import hashlib
import uuid
from pathlib import Path

from trestle.oscal import common

# The namespace of the properties OSCAL does not define itself (level, risk, references ...).
NAMESPACE = "urn:cyberveilig:landingzone"
_UUID_ROOT = uuid.uuid5(uuid.NAMESPACE_URL, NAMESPACE)


def stable_uuid(*parts: str) -> str:
    return str(uuid.uuid5(_UUID_ROOT, "\x1f".join(parts)))


def prop(name: str, value: str, class_: str | None = None) -> common.Property:
    return common.Property(name=name, ns=NAMESPACE, value=str(value).strip(), class_=class_)


def file_link(href: str, path: Path) -> common.Rlink:
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return common.Rlink(href=href, hashes=[common.Hash(algorithm="SHA-256", value=digest)])
