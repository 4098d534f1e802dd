"""The audit signing keys: loaded from the files `Settings` names, with typed errors.

Every door that signs or checks a signature (the CLI's `cme audit ...`, the scheduler's nightly
checkpoint, later the web application) loads its keys here. A key that cannot be used is a
`BadKey` (part of the application layer's error tree, `cme.services.errors.ServiceRefusal`):
the CLI turns it into exit status 2, the scheduler logs it and signs nothing.

`cryptography` is imported when a key is loaded, not when this module is.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from cme.services.errors import ServiceRefusal

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )


class BadKey(ServiceRefusal):
    """A configured audit key cannot be read, or is not an Ed25519 key; nothing was signed."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        super().__init__(f"audit_key: {problem}")


def key_id(public: Ed25519PublicKey) -> str:
    """sha256 of the raw public key, hex: names the key that signed."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return hashlib.sha256(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()


def load_private_key(path: Path | None) -> Ed25519PrivateKey | None:
    """The Ed25519 private key in `path` (PEM); None when no file is configured.

    Raises `BadKey` when the file cannot be read or holds another kind of key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    if path is None:
        return None
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise BadKey(path, f"cannot load the private key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise BadKey(path, f"{path} is not an Ed25519 private key")
    return key


def load_public_key(private: Path | None, public: Path | None) -> Ed25519PublicKey | None:
    """The public key checking signatures: the private key's half when one is configured, else
    the public key file; None when neither is. Raises `BadKey` as `load_private_key` does."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    signing = load_private_key(private)
    if signing is not None:
        return signing.public_key()
    if public is None or not str(public):
        return None
    try:
        key = load_pem_public_key(public.read_bytes())
    except (OSError, ValueError) as exc:
        raise BadKey(public, f"cannot load the public key {public}: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise BadKey(public, f"{public} is not an Ed25519 public key")
    return key


__all__ = ["BadKey", "key_id", "load_private_key", "load_public_key"]
