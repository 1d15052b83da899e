"""Encryption at rest and keyed hashes for the personal data the portal itself holds.

- Free text about people (case details, notes, identity evidence, connector secrets) is stored
  encrypted with Fernet (AES-128-CBC + HMAC-SHA256). FIELD_ENCRYPTION_KEYS lists the keys,
  newest first: new values use the first, old values still decrypt with any of them, and
  `rotate()` re-encrypts a value under the newest key.
- Identifiers that must stay findable (an email address) are also stored as a keyed hash
  (HMAC-SHA256 with IDENTIFIER_HASH_KEY), so an exact lookup needs no plaintext column.
"""

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "enc1:"


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must hold Fernet keys (32 url-safe base64-encoded bytes)."
        ) from error


def _current() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    if plaintext == "":
        return ""
    return PREFIX + _current().encrypt(plaintext.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        raise ValueError("value is not encrypted")
    try:
        return _current().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as error:
        raise ValueError("value cannot be decrypted with any configured key") from error


def rotate(stored: str) -> str:
    """The same value encrypted under the newest key (for the re-encryption command)."""
    if not stored:
        return stored
    return PREFIX + _current().rotate(stored[len(PREFIX) :].encode()).decode()


def keyed_hash(value: str) -> str:
    """A stable, keyed fingerprint of an identifier, for exact lookups without plaintext."""
    key = settings.IDENTIFIER_HASH_KEY.encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def generate_key() -> str:
    return Fernet.generate_key().decode()


def encrypt_bytes(data: bytes) -> bytes:
    """Files at rest (exports, evidence): Fernet-encrypted under the newest key."""
    return _current().encrypt(data)


def decrypt_bytes(sealed: bytes) -> bytes:
    try:
        return _current().decrypt(sealed)
    except InvalidToken as error:
        raise ValueError("file cannot be decrypted with any configured key") from error


def rotate_bytes(sealed: bytes) -> bytes:
    return _current().rotate(sealed)
