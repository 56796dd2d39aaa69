"""Verification codes: 20 Crockford base-32 characters (100 random bits), read aloud in groups
of five, typed back leniently (any case, any separators, O for 0, I or L for 1)."""

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
LENGTH = 20  # 20 × 5 bits = 100 bits of randomness
GROUP = 5
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-–—_.·]+")


def new() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def group(code: str) -> str:
    """ "K7QX29MNP4…" → "K7QX2-9MNP4-…"."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalize(text: str) -> str | None:
    """The stored form of a typed code, or None when it cannot be one."""
    code = _SEPARATORS.sub("", text.upper()).translate(_LOOKALIKES)
    if len(code) != LENGTH or any(character not in ALPHABET for character in code):
        return None
    return code


def mask_name(name: str, style: str) -> str:
    """The holder's name as the public page shows it: in full, 张*英, or 张**."""
    if style == "full" or len(name) < 2:
        return name
    if style == "surname":
        return name[0] + "*" * (len(name) - 1)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
