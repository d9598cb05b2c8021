"""Passwords (scrypt, from the standard library) and API tokens (stored as their sha256).

SCRYPT_N is the scrypt cost of new password hashes (2**14). Each stored hash records its own
cost, so a lower one (tests) never weakens hashes made with the default, nor breaks them."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from .errors import Problem

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD, MAX_PASSWORD = 10, 200


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    n = SCRYPT_N
    dk = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${base64.b64encode(salt).decode()}${base64.b64encode(dk).decode()}"


def check_password(stored: str, password: str) -> bool:
    try:
        algo, n, r, p, salt, dk = stored.split("$")
        if algo != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(base64.b64decode(dk)))
        return hmac.compare_digest(got, base64.b64decode(dk))
    except (ValueError, TypeError):
        return False


def session_stamp(password_hash: str) -> str:
    """Changes whenever the password does: sessions carry it, and end when it changes."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def new_token() -> str:
    return "cf_" + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(token: object) -> bool:
    return isinstance(token, str) and token.startswith("cf_") and len(token) <= 200


def password_problem(password: str) -> Problem | None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        return Problem("password.short", n=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        return Problem("password.long", n=MAX_PASSWORD)
    return None
