"""Values as they may enter an nftables file: the one place that encodes for nft.

nft's quoted strings have no escapes: a double quote ends one, and what follows is read as
rules. Addresses are worse: Python's ipaddress accepts anything after ``%`` as an IPv6 zone
and writes it back out, newlines and ``$(...)`` included. So a comment keeps only what nft can
carry, and networks are written from their numbers, never from the text they came as.
"""

from __future__ import annotations

import ipaddress

# nft's limit for a rule's comment, in bytes (the terminating NUL included).
NFT_COMMENT_BYTES = 128


def nft_comment_text(text: str) -> str:
    """``text`` as the inside of an nft comment. A comment only labels a rule, so what nft
    cannot carry is dropped rather than refused: double quotes, backslashes and characters
    that are not printable (newlines, NUL, direction overrides) become spaces, runs of spaces
    one, and the text is cut at a character boundary to nft's length limit."""
    words = "".join(char if char.isprintable() and char not in '"\\' else " " for char in text).split()
    return " ".join(words).encode()[: NFT_COMMENT_BYTES - 1].decode(errors="ignore")


def nft_network(value) -> str:
    """A network (text or an ipaddress network) as nft reads it: address/prefix, no zone."""
    network = value if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network) else None
    if network is None:
        text = str(value)
        if "%" in text:
            raise ValueError(f"{text!r} is not a network: a zone (%...) has no place in a firewall rule")
        network = ipaddress.ip_network(text, strict=False)
    # Rebuilt from its integer: a zone the parsed value carried does not survive.
    return str(type(network)((int(network.network_address), network.prefixlen)))
