"""Validation and normalisation of the ids callers send.

A caller (user_id) is usually a phone number, written in many ways by the
telephony layer: "5551234567", "(555) 123-4567" and "+15551234567" must name
one caller, so phone-like values are normalised to E.164 with a default region.
Anything else (an account number, "admin") is kept as given.
"""

from __future__ import annotations

import functools
import re
import uuid

import phonenumbers

from alice_server.domain.errors import InvalidArgument

MAX_ID_CHARS = 128
_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]+$")
_MIN_PHONE_DIGITS = 7
# How many normalised caller ids each normaliser remembers.
CACHED_IDS = 8192


class UserIdNormalizer:
    """Turns the user_id of a request into the caller's canonical id."""

    def __init__(self, default_region: str) -> None:
        self._region = default_region
        # Parsing a phone number (phonenumbers) is the costly step of every
        # caller-keyed RPC and a pure function of the value: the results of the
        # values seen lately are kept (bounded; the ids stay in this process's
        # memory only, as the requests themselves do).
        self._as_e164 = functools.lru_cache(maxsize=CACHED_IDS)(self._parse_e164)

    def __call__(self, raw: str, *, field: str = "user_id") -> str:
        value = raw.strip()
        if not value:
            raise InvalidArgument(f"{field} is required")
        if len(value) > MAX_ID_CHARS or not value.isprintable():
            raise InvalidArgument(f"{field} must be 1-{MAX_ID_CHARS} printable characters")
        phone = self._as_e164(value)
        return phone if phone is not None else value

    def _parse_e164(self, value: str) -> str | None:
        if not _PHONE_LIKE.match(value) or sum(c.isdigit() for c in value) < _MIN_PHONE_DIGITS:
            return None
        try:
            number = phonenumbers.parse(value, self._region)
        except phonenumbers.NumberParseException:
            return None
        # IS_POSSIBLE only: a 7-digit "local only" number has no area code and
        # cannot be written in E.164.
        reason = phonenumbers.is_possible_number_with_reason(number)
        if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
            return None
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_token(value: str, field: str, *, max_chars: int = MAX_ID_CHARS) -> str:
    """A required printable identifier such as a call_id."""
    if not value or len(value) > max_chars or not value.isprintable() or value != value.strip():
        raise InvalidArgument(
            f"{field} must be 1-{max_chars} printable characters without surrounding spaces"
        )
    return value


def parse_uuid(value: str, field: str = "id") -> uuid.UUID:
    """A resource id; malformed ids are INVALID_ARGUMENT (missing ones are NOT_FOUND later)."""
    try:
        parsed = uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise InvalidArgument(
            f"{field} must be a UUID such as 123e4567-e89b-12d3-a456-426614174000"
        ) from None
    return parsed
