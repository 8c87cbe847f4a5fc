"""What is known about a caller as a whole: the profile kept across calls."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class CallerProfile:
    """One caller of one tenant: first/last call, how many, the name they gave."""

    user_id: str
    first_call_at: dt.datetime
    last_call_at: dt.datetime
    total_calls: int
    preferred_name: str
    preferences: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
