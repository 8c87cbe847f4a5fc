"""Per-tenant counts for an admin screen."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TenantStats:
    caller_memory_count: int
    shared_memory_count: int
    caller_count: int
    processed_call_count: int
    recorded_call_count: int
    transcript_turn_count: int
    last_call_at: dt.datetime | None
