"""When a promise is due: a phrase said in a call, resolved against the call's time.

`resolve_due("by Friday", reference)` gives the moment the follow-up is due,
in the time zone of `reference` (the call's start in the tenant's time zone).
Pure: no clock is read, so the same phrase and reference always give the
same answer.

This first version understands the commonest phrases (today, end of day,
tonight, tomorrow, a weekday with an optional part of the day); the call
notes work extends it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

WEEKDAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# The hour a part of the day stands for when no time is said.
PARTS_OF_DAY: Final = {"morning": 12, "afternoon": 17, "evening": 20, "tonight": 20}
END_OF_DAY_HOUR: Final = 17

_WORD_RE = re.compile(r"[a-z]+")


def resolve_due(phrase: str, reference: dt.datetime) -> dt.datetime | None:
    """The due moment of `phrase` (aware, in reference's zone), or None if not understood."""
    if reference.tzinfo is None:
        raise ValueError("reference must be an aware datetime (the tenant's time zone)")
    words = _WORD_RE.findall(phrase.lower())
    if not words:
        return None
    day: dt.date | None = None
    hour = END_OF_DAY_HOUR
    for index, word in enumerate(words):
        if word in WEEKDAYS:
            ahead = (WEEKDAYS.index(word) - reference.weekday()) % 7
            if ahead == 0 or (index > 0 and words[index - 1] == "next"):
                ahead = ahead or 7
            day = reference.date() + dt.timedelta(days=ahead)
        elif word == "tomorrow":
            day = reference.date() + dt.timedelta(days=1)
        elif word in ("today", "tonight") or (word == "end" and "day" in words):
            day = day or reference.date()
        if word in PARTS_OF_DAY:
            hour = PARTS_OF_DAY[word]
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time(hour), tzinfo=reference.tzinfo)
