"""Password hashing for staff accounts (argon2id, via argon2-cffi)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8
"""Shortest password accepted for a staff account."""

_DEFAULT = PasswordHasher()
_DUMMY_HASH = _DEFAULT.hash("not a password of anyone")
"""Verified against when the user does not exist, so both cases take the same time."""


def hash_password(password: str, hasher: PasswordHasher = _DEFAULT) -> str:
    """An argon2id hash of `password` (salt and parameters included)."""
    return hasher.hash(password)


def verify_password(password_hash: str | None, password: str, hasher: PasswordHasher = _DEFAULT) -> bool:
    """Whether `password` matches `password_hash`; `None` (no such user) never matches but costs as much."""
    try:
        return hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable (English, for the command line), or `None`."""
    if len(password) < MIN_LENGTH:
        return f"the password must have at least {MIN_LENGTH} characters"
    if password.strip() != password:
        return "the password must not start or end with a space"
    return None
