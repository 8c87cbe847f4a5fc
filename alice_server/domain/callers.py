"""What is known about a caller as a whole: the profile kept across calls."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alice_server.domain.errors import InvalidArgument

MAX_NAME_CHARS = 128
MAX_PREFERENCES_BYTES = 16 * 1024


@dataclass(frozen=True, slots=True)
class CallerProfile:
    """One caller of one tenant: first/last call, how many, the name they gave.

    A profile written by UpdateCallerProfile before the caller's first processed
    call has total_calls 0; its call times then hold its creation time and are
    not reported (the first processed call replaces them)."""

    user_id: str
    first_call_at: dt.datetime
    last_call_at: dt.datetime
    total_calls: int
    preferred_name: str
    preferences: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime


def check_preferred_name(name: str) -> str:
    value = name.strip()
    if len(value) > MAX_NAME_CHARS or not value.isprintable():
        raise InvalidArgument(
            f"preferred_name must be at most {MAX_NAME_CHARS} printable characters"
        )
    return value


def merged_preferences(
    stored: Mapping[str, Any], changes: Mapping[str, Any] | None, replace: bool
) -> dict[str, Any]:
    """Preferences after an update: merged key by key (None removes a key) or replaced."""
    if changes is None:
        if replace:
            raise InvalidArgument("replace_preferences needs preferences")
        return dict(stored)
    result = {} if replace else dict(stored)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    if len(json.dumps(result, ensure_ascii=False).encode()) > MAX_PREFERENCES_BYTES:
        raise InvalidArgument(
            f"preferences must be at most {MAX_PREFERENCES_BYTES // 1024} KiB once merged"
        )
    return result
