"""Mailbox passwords: encrypted at rest, or taken from the environment.

A stored value is one of
- ``""``: no password;
- ``env:NAME``: read the environment variable ``NAME`` when connecting (nothing secret in the
  database);
- ``enc:v1:<token>``: a Fernet token (AES-128-CBC + HMAC-SHA256) under a key derived from
  ``ZABOTA_ENCRYPTION_KEY``, else from ``SECRET_KEY``. Rotating ``SECRET_KEY`` without setting
  ``ZABOTA_ENCRYPTION_KEY`` to the old one makes stored passwords unreadable: re-enter them.
"""

from __future__ import annotations

import base64
import os

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from zabota.config.env import env_str

PREFIX = "enc:v1:"
ENV_PREFIX = "env:"


class SecretUnavailable(Exception):
    pass


def _fernet() -> Fernet:
    material = (env_str("ZABOTA_ENCRYPTION_KEY") or settings.SECRET_KEY).encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"zabota-mailbox", info=b"credentials").derive(
        material
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(password: str) -> str:
    """What to store for ``password`` as typed in the settings form (``env:NAME`` is kept)."""
    if not password:
        return ""
    if password.startswith(ENV_PREFIX):
        return password
    return PREFIX + _fernet().encrypt(password.encode()).decode()


def reveal(stored: str) -> str:
    if not stored:
        return ""
    if stored.startswith(ENV_PREFIX):
        name = stored[len(ENV_PREFIX) :]
        value = os.environ.get(name)
        if value is None:
            raise SecretUnavailable(f"the environment variable {name} is not set")
        return value
    if stored.startswith(PREFIX):
        try:
            return _fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
        except InvalidToken as exc:
            raise SecretUnavailable(
                "the stored password cannot be decrypted (was SECRET_KEY changed?)"
            ) from exc
    raise SecretUnavailable("the stored password is in an unknown format; enter it again")
