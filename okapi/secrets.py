"""Secrets Okapi must read back (SQL source URLs, chat webhook URLs, webhook signing secrets):
encrypted with Fernet under a key derived from OKAPI_SECRET_KEY, never stored or logged in
clear. Changing OKAPI_SECRET_KEY makes them unreadable: they must be set again."""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import Any

from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Any:
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    # The `info` label predates the other secrets; changing it would orphan stored ones.
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"okapi", info=b"okapi kpi source secrets"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(text: str) -> str:
    return str(_fernet(settings.SECRET_KEY).encrypt(text.encode()).decode("ascii"))


def decrypt(token: str) -> str:
    """The clear text; ValueError when it cannot be decrypted (OKAPI_SECRET_KEY changed)."""
    from cryptography.fernet import InvalidToken

    try:
        return str(_fernet(settings.SECRET_KEY).decrypt(token.encode("ascii")).decode())
    except (InvalidToken, ValueError):
        raise ValueError("cannot be decrypted (was OKAPI_SECRET_KEY changed?)") from None
