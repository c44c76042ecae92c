"""Decrypting the card's ansible-vault values, field by field."""

from ansible.errors import AnsibleError
from ansible.parsing.vault import VaultLib, VaultSecret

from landingzone.card.yaml_loading import VaultText
from landingzone.secret_length import MIN_SECRET_LENGTH, too_short


class DecryptedText(str):
    """A value that was vault-encrypted in the card: callers redact these from evidence and logs."""


class Undecryptable(str):
    """Stands in for a value that could not be decrypted, so the rest of the card is still checked."""


def decrypt_values(data, vault_secret: bytes | None):
    """(data with every VaultText decrypted, [(path, problem)] for those that could not be)."""
    vault = VaultLib([("default", VaultSecret(vault_secret))]) if vault_secret is not None else None
    problems: list[tuple[tuple, str]] = []

    def visit(value, path):
        if isinstance(value, dict):
            return {key: visit(item, (*path, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [visit(item, (*path, index)) for index, item in enumerate(value)]
        if not isinstance(value, VaultText):
            return value
        if vault is None:
            problems.append((path, "is vault-encrypted, but no vault password was given"))
            return Undecryptable()
        try:
            plaintext = vault.decrypt(value.ciphertext.encode())
        except AnsibleError as exc:
            # The vault's own message names no file or field; ours does, and never shows the ciphertext.
            reason = "the vault password does not open it" if "no vault secrets" in str(exc) else "not valid vault data"
            problems.append((path, f"cannot decrypt the vault value: {reason}"))
            return Undecryptable()
        try:
            text = plaintext.decode("utf-8")
        except UnicodeDecodeError:
            problems.append((path, "the decrypted vault value is not UTF-8 text"))
            return Undecryptable()
        if len(text) < MIN_SECRET_LENGTH:
            problems.append((path, too_short(len(text))))
            return Undecryptable()
        return DecryptedText(text)

    return visit(data, ()), problems


def secret_values(card) -> list[str]:
    """The plaintexts of the card's vault values, for the runner to redact from logs and evidence."""
    found = []

    def visit(value):
        if isinstance(value, dict):
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)
        elif isinstance(value, DecryptedText) and value and str(value) not in found:
            found.append(str(value))

    visit(card)
    return found
