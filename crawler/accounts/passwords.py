"""Password hashing with Argon2id (argon2-cffi, its RFC 9106 low-memory defaults) and password generation."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's defaults."""
    return _hasher().check_needs_rehash(stored_hash)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def burn_time(password: str) -> None:
    """Verify against a throwaway hash, so an unknown username costs as long as a wrong password."""
    verify_password(_dummy_hash(), password)


def generate_password() -> str:
    """About 120 bits, URL-safe, easy to paste (printed once, never stored in clear)."""
    return secrets.token_urlsafe(15)
