"""When a promise is due: a phrase said in a call, resolved against the call's time.

`resolve_due("by Friday", reference)` gives the moment the follow-up is due,
in the time zone of `reference` (the call's start in the tenant's time zone).
`find_due_phrase(text)` picks the words of a sentence that set a deadline
("I'll call you back on Thursday morning with a quote" -> "on Thursday
morning"). Both are pure: no clock is read, so the same input always gives
the same answer. English only. docs/summarizer.md lists the rules; in short:

* A day without a time is due at the end of the business day (17:00); parts of
  the day stand for their end: morning 12:00, afternoon 17:00, evening and
  tonight 20:00; "first thing" is 10:00; "noon" 12:00.
* "in/within N minutes or hours" (and "right away", "in a few minutes") is an
  exact offset from the reference, counted in real time across a DST change;
  "in N days/weeks/months" and "within N business days" land on a day, 17:00.
* A bare weekday is the next one (said on a Thursday, "Thursday" is a week
  later); "this Thursday" may be today. "next week" ends on its Friday, "by next
  week" is its Monday, "early next week" its Tuesday; "end of the week" and
  "this week" are this Friday.
* "the 15th" is the next 15th (today included); "June 14th" and "6/14" are the
  next such date. "before <day>" is the end of the day before it; "before <time>"
  is that time.
* A bare hour: 1-6 is afternoon, 7-11 morning. An hour of today that has passed
  is tomorrow's; a same-day deadline already past at the reference ("by end of
  day" said at 18:00) becomes 23:59 of that day.
* When several days are said ("by the 12th, no wait, the 14th", "Monday or
  Tuesday"), the last one counts.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Final, NamedTuple

WEEKDAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_SHORT: Final = {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3,
                        "fri": 4, "sat": 5, "sun": 6}  # fmt: skip
MONTHS: Final = ("january", "february", "march", "april", "may", "june", "july", "august",
                 "september", "october", "november", "december")  # fmt: skip
MONTH_SHORT: Final = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
                      "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12}  # fmt: skip
# The hour a part of the day stands for when no time is said.
PARTS_OF_DAY: Final = {"morning": 12, "afternoon": 17, "evening": 20, "tonight": 20, "night": 20}
END_OF_DAY_HOUR: Final = 17
FIRST_THING_HOUR: Final = 10
LAST_MINUTE: Final = dt.time(23, 59)
IMMEDIATE: Final = dt.timedelta(hours=1)
"""What "right away", "right after this call" or "in a few minutes" give: an hour."""

ONES: Final = {
    "zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
TENS: Final = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
               "seventy": 70, "eighty": 80, "ninety": 90}  # fmt: skip
ORDINAL_WORDS: Final = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}  # fmt: skip
VAGUE_COUNTS: Final = {"a": 1, "an": 1, "couple": 2, "few": 3, "several": 3}
UNITS: Final = {
    "minute": "minutes", "minutes": "minutes", "min": "minutes", "mins": "minutes",
    "hour": "hours", "hours": "hours", "hr": "hours", "hrs": "hours",
    "day": "days", "days": "days", "week": "weeks", "weeks": "weeks",
    "month": "months", "months": "months",
}  # fmt: skip
CORRECTIONS: Final = frozenset({"sorry", "wait", "mean", "actually", "correction", "rather"})
"""Words after which a new day replaces the one said before ("the 12th, no wait, the 14th")."""

_TOKEN_RE = re.compile(
    r"\d{1,2}:\d{2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?|\d+(?:st|nd|rd|th)?|[a-z_]+(?:'[a-z]+)?"
)
_AMPM_RE = re.compile(r"\b([ap])\.\s?m\b\.?|\b([ap])m\b", re.IGNORECASE)
_ORDINAL_RE = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)$")

# Multi-word expressions, rewritten to one word before reading (on the words joined by spaces).
_PHRASES: Final = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\b(?:no later than|not later than)\b", "by"),
        (r"\b(in|within) (?:about|around|roughly|approximately|like|maybe|say)\b", r"\1"),
        (r"\bat the (?:very )?latest\b", ""),
        (r"\b(?:the )?(?:end|close) of (?:the )?(?:business )?day\b", "_eod"),
        (r"\b(?:the )?(?:end|close) of (?:the )?business\b", "_eod"),
        (r"\b(?:eod|cob)\b", "_eod"),
        (r"\bfirst thing\b", "_first"),
        (r"\b(?:the )?day after tomorrow\b", "_overmorrow"),
        (r"\b(?:the )?week after next\b", "_weekafternext"),
        (r"\b(?:the )?end of next week\b", "_nextweek"),
        (r"\bearly next week\b", "_earlynextweek"),
        (r"\bby next week\b", "by _startnextweek"),
        (r"\bnext week\b", "_nextweek"),
        (r"\b(?:by )?(?:the )?end of (?:the |this )?week\b", "_thisweek"),
        (r"\b(?:later |sometime )?this week\b", "_thisweek"),
        (r"\bby (?:the |this )weekend\b", "by _beforeweekend"),
        (r"\bnext weekend\b", "_nextweekend"),
        (r"\b(?:over |this |the )+weekend\b", "_weekend"),
        (r"\b(?:the )?end of (?:the |this )?month\b", "_endofmonth"),
        (r"\b(?:the )?end of next month\b", "_endofnextmonth"),
        (r"\bby next month\b", "by _startnextmonth"),
        (r"\bnext month\b", "_endofnextmonth"),
        (r"\b(?:in|within) (?:the )?(?:next |coming )?(?:an |one )?hour\b", "in 1 hour"),
        (r"\b(in|within|over) the (?:next|coming)\b", r"\1"),
        (r"\b(?:an|one) hour and a half\b", "90 minutes"),
        (r"\bhalf an hour\b", "30 minutes"),
        (r"\b(?:right away|right now|immediately|as soon as we hang up)\b", "_now"),
        (r"(?<!from )(?<!for )(?<!until )\bnow\b", "_now"),
        (r"\bright after\b", "_now"),
        (r"\bin a (?:few|couple of|couple) minutes\b|\bin a (?:minute|sec|second|bit)\b", "_now"),
        (r"\blater today\b", "today"),
        (r"\btomorrow night\b", "tomorrow evening"),
    )
)


class Token(NamedTuple):
    """A word and its span (a named tuple: built for every word of every sentence read, and a
    frozen dataclass costs several times as much to build)."""

    text: str
    start: int
    end: int


def tokens(text: str) -> list[Token]:
    """Lower-case tokens with their spans in `text` ("p.m." becomes "pm" in place)."""

    def ampm(match: re.Match[str]) -> str:
        letter = match.group(1) or match.group(2)
        return (letter.lower() + "m").ljust(len(match.group()))

    lowered = _AMPM_RE.sub(ampm, text.lower())
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(lowered)]


def _canonical(words: list[str]) -> list[str]:
    joined = " " + " ".join(words) + " "
    for pattern, replacement in _PHRASES:
        joined = pattern.sub(replacement, joined)
    return joined.split()


def weekday_of(word: str) -> int | None:
    if word in WEEKDAYS:
        return WEEKDAYS.index(word)
    if word.endswith("s") and word[:-1] in WEEKDAYS:  # "mondays"
        return WEEKDAYS.index(word[:-1])
    return WEEKDAY_SHORT.get(word)


def month_of(word: str) -> int | None:
    if word in MONTHS:
        return MONTHS.index(word) + 1
    return MONTH_SHORT.get(word)


def number_at(words: list[str], index: int) -> tuple[int, int] | None:
    """A cardinal at words[index] ("48", "forty eight", "two"): (value, words used)."""
    word = words[index]
    if word.isdigit():
        return int(word), 1
    if word in TENS:
        following = words[index + 1] if index + 1 < len(words) else ""
        if 0 < ONES.get(following, 0) < 10:
            return TENS[word] + ONES[following], 2
        return TENS[word], 1
    if word in ONES:
        return ONES[word], 1
    return None


def day_of_month_at(words: list[str], index: int) -> tuple[int, int] | None:
    """A day of the month at words[index] ("14th", "14", "fourteenth", "twenty first")."""
    if index >= len(words):
        return None
    word = words[index]
    match = _ORDINAL_RE.match(word)
    if match:
        value = int(match.group(1))
        return (value, 1) if 1 <= value <= 31 else None
    if word.isdigit() and len(word) <= 2 and 1 <= int(word) <= 31:
        return int(word), 1
    if word in ORDINAL_WORDS:
        return ORDINAL_WORDS[word], 1
    if word in ("twenty", "thirty") and index + 1 < len(words):
        following = words[index + 1]
        if ORDINAL_WORDS.get(following, 10) < 10:
            return TENS[word] + ORDINAL_WORDS[following], 2
    return None


_TIME_INTRODUCERS: Final = frozenset(
    {
        "at",
        "by",
        "before",
        "around",
        "till",
        "until",
        "about",
        "after",
        "and",
        "to",
        "_first",
        "between",
    }
)


def clock_at(words: list[str], index: int, *, introduced: bool) -> tuple[dt.time, int] | None:
    """A time of day at words[index]: "3", "3:30", "3 pm", "three thirty", "10 o'clock".

    A bare hour is a time only after "at", "by", "before"... (`introduced`) or
    before "am"/"pm"/"o'clock"; without am/pm, 1-6 are afternoon hours.
    """
    word = words[index]
    used, minute, explicit = 1, 0, False
    if ":" in word:
        hour, minute = (int(part) for part in word.split(":"))
        explicit = True
    else:
        number = number_at(words, index)
        if number is None or number[1] != 1:
            return None
        hour = number[0]
        following = words[index + 1] if index + 1 < len(words) else ""
        if (following in TENS and following != "twenty") or following == "fifteen":
            minutes = number_at(words, index + 1)
            if minutes is not None:
                minute, extra = minutes
                used += extra
                explicit = True
    if hour > 23 or minute > 59:
        return None
    following = words[index + used] if index + used < len(words) else ""
    if following in ("am", "pm"):
        if not 1 <= hour <= 12:
            return None
        return dt.time(hour % 12 + (12 if following == "pm" else 0), minute), used + 1
    if following == "o'clock":
        used += 1
    elif not (introduced or explicit):
        return None
    if 1 <= hour <= 6:
        hour += 12
    if hour == 0:
        return None
    return dt.time(hour, minute), used


def _offset(words: list[str], index: int) -> tuple[str, int, bool, int] | None:
    """After "in"/"within": "(a couple of|48|forty eight|an) (business) (minutes|...|months)".

    (unit, amount, vague, words used) or None.
    """
    position = index
    vague = False
    if position >= len(words):
        return None
    word = words[position]
    if word in VAGUE_COUNTS:
        amount = VAGUE_COUNTS[word]
        vague = True
        position += 1
        if word in ("a", "an") and position < len(words) and words[position] in ("couple", "few"):
            amount = VAGUE_COUNTS[words[position]]
            position += 1
        if position < len(words) and words[position] == "of":
            position += 1
    else:
        number = number_at(words, position)
        if number is None:
            return None
        amount, used = number
        position += used
    business = position < len(words) and words[position] in ("business", "working")
    position += business
    if position >= len(words) or words[position] not in UNITS:
        return None
    unit = UNITS[words[position]]
    if business:
        if unit != "days":
            return None
        unit = "business_days"
    return unit, amount, vague, position + 1 - index


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _this_friday(today: dt.date) -> dt.date:
    friday = _monday(today) + dt.timedelta(days=4)
    return friday if today <= friday else friday + dt.timedelta(days=7)


def _coming_saturday(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=(5 - today.weekday()) % 7) if today.weekday() != 6 else today


def _first_of_next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _add_business_days(day: dt.date, count: int) -> dt.date:
    while count > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _date_from(month: int, day: int, year: int | None, today: dt.date) -> dt.date | None:
    """The date (month, day) in `year`, else this year or, when it has passed, next year."""
    for candidate_year in (year,) if year is not None else (today.year, today.year + 1):
        try:
            candidate = dt.date(candidate_year, month, day)
        except ValueError:
            continue
        if year is not None or candidate >= today:
            return candidate
    return None


def _next_day_of_month(value: int, today: dt.date) -> dt.date | None:
    """The next day with this number: this month if not past, else the next month that has it."""
    year, month = today.year, today.month
    for _ in range(3):
        if value <= calendar.monthrange(year, month)[1]:
            candidate = dt.date(year, month, value)
            if candidate >= today:
                return candidate
        month, year = (1, year + 1) if month == 12 else (month + 1, year)
    return None


def _numeric_date(word: str, today: dt.date) -> dt.date | None:
    """ "6/14" or "6/14/2026" (month first, as in the US)."""
    parts = [int(p) for p in word.split("/")]
    year = None
    if len(parts) == 3:
        year = parts[2] + (2000 if parts[2] < 100 else 0)
    if not (1 <= parts[0] <= 12 and 1 <= parts[1] <= 31):
        return None
    return _date_from(parts[0], parts[1], year, today)


def is_may_month(words: list[str], index: int) -> bool:
    """ "may" is the month only next to a day number ("may 3rd", "the 3rd of may")."""
    if day_of_month_at(words, index + 1) is not None:
        return True
    return index >= 2 and words[index - 1] == "of" and day_of_month_at(words, index - 2) is not None


@dataclass(slots=True)
class _Reading:
    """What a phrase said, before it is resolved against the reference."""

    day: dt.date | None = None
    day_is_date: bool = False  # a calendar date, which a weekday said after it does not move
    time: dt.time | None = None
    part_hour: int | None = None
    exact: dt.timedelta | None = None
    same_day: bool = False  # "today", "end of day", "this afternoon": may become 23:59
    before: bool = False  # "before" said before any day: the deadline is the day before
    understood: bool = False

    def set_day(self, day: dt.date | None, *, date: bool = False) -> None:
        if day is None:
            return
        self.day = day
        self.day_is_date = date
        self.exact = None
        self.same_day = False
        self.understood = True


def _read(words: list[str], reference: dt.datetime) -> _Reading:
    today = reference.date()
    reading = _Reading()
    index = 0
    while index < len(words):
        word = words[index]
        previous = words[index - 1] if index > 0 else ""
        following = words[index + 1] if index + 1 < len(words) else ""
        step = 1
        if word in ("in", "within") and (offset := _offset(words, index + 1)) is not None:
            unit, amount, vague, used = offset
            step += used
            if unit in ("minutes", "hours"):
                minutes = amount * (60 if unit == "hours" else 1)
                reading.exact = (
                    IMMEDIATE if vague and unit == "minutes" else (dt.timedelta(minutes=minutes))
                )
                reading.day = None
                reading.understood = True
            elif unit == "days":
                reading.set_day(today + dt.timedelta(days=amount))
            elif unit == "weeks":
                reading.set_day(today + dt.timedelta(days=7 * amount))
            elif unit == "months":
                reading.set_day(_add_months(today, amount))
            else:
                reading.set_day(_add_business_days(today, amount))
        elif word in CORRECTIONS and reading.understood:
            reading.time = None
            reading.part_hour = None
        elif word == "before" and reading.day is None:
            reading.before = True
        elif word == "_now":
            reading.exact = IMMEDIATE
            reading.day = None
            reading.understood = True
        elif word == "today":
            reading.set_day(today)
            reading.same_day = True
        elif word == "tonight":
            reading.set_day(today)
            reading.part_hour = PARTS_OF_DAY["tonight"]
            reading.same_day = True
        elif word == "_eod":
            if reading.day is None:
                reading.set_day(today)
                reading.same_day = True
            reading.part_hour = END_OF_DAY_HOUR
            reading.understood = True
        elif word == "tomorrow":
            reading.set_day(today + dt.timedelta(days=1))
        elif word == "_overmorrow":
            reading.set_day(today + dt.timedelta(days=2))
        elif word == "_thisweek":
            reading.set_day(_this_friday(today))
        elif word in ("_nextweek", "_earlynextweek", "_startnextweek"):
            monday = _monday(today) + dt.timedelta(days=7)
            said = weekday_of(following) if following else None
            if said is None and previous:
                said = weekday_of(previous)
            if said is not None:
                reading.set_day(monday + dt.timedelta(days=said))
                step += weekday_of(following) is not None if following else 0
            else:
                extra = {"_nextweek": 4, "_earlynextweek": 1, "_startnextweek": 0}[word]
                reading.set_day(monday + dt.timedelta(days=extra))
        elif word == "_weekafternext":
            reading.set_day(_monday(today) + dt.timedelta(days=18))
        elif word == "_beforeweekend":
            reading.set_day(_coming_saturday(today) - dt.timedelta(days=1))
        elif word == "_weekend":
            reading.set_day(_coming_saturday(today) + dt.timedelta(days=1))
        elif word == "_nextweekend":
            reading.set_day(_coming_saturday(today) + dt.timedelta(days=8))
        elif word == "_endofmonth":
            reading.set_day(_first_of_next_month(today) - dt.timedelta(days=1), date=True)
        elif word == "_endofnextmonth":
            following_month = _first_of_next_month(_first_of_next_month(today))
            reading.set_day(following_month - dt.timedelta(days=1), date=True)
        elif word == "_startnextmonth":
            reading.set_day(_first_of_next_month(today), date=True)
        elif word == "_first":
            reading.part_hour = FIRST_THING_HOUR
            reading.understood = True
        elif (said := weekday_of(word)) is not None:
            if not (reading.day_is_date and previous not in CORRECTIONS):
                ahead = (said - today.weekday()) % 7
                if ahead == 0 and previous != "this":
                    ahead = 7
                reading.set_day(today + dt.timedelta(days=ahead))
        elif word in PARTS_OF_DAY:
            if reading.part_hour not in (END_OF_DAY_HOUR, FIRST_THING_HOUR) or (
                reading.part_hour == END_OF_DAY_HOUR and word != "afternoon"
            ):
                reading.part_hour = PARTS_OF_DAY[word]
            if previous == "this":
                reading.set_day(today)
                reading.same_day = True
            reading.understood = True
        elif word in ("noon", "midday", "lunchtime"):
            reading.time = dt.time(12)
            reading.understood = True
        elif word == "midnight":
            reading.time = LAST_MINUTE
            reading.understood = True
        elif (month := month_of(word)) is not None and (
            word != "may" or is_may_month(words, index)
        ):
            position = index + 1 + (following == "the")
            found = day_of_month_at(words, position)
            if found is not None:
                value, used = found
                position += used
                year = None
                if (
                    position < len(words)
                    and len(words[position]) == 4
                    and words[position].isdigit()
                ):
                    year = int(words[position])
                    position += 1
                reading.set_day(_date_from(month, value, year, today), date=True)
                step = position - index
        elif "/" in word:
            reading.set_day(_numeric_date(word, today), date=True)
        elif (found := day_of_month_at(words, index)) is not None and (
            previous == "the" or _ORDINAL_RE.match(word)
        ):
            value, used = found
            after = words[index + used : index + used + 2]
            if len(after) == 2 and after[0] == "of" and (month := month_of(after[1])) is not None:
                reading.set_day(_date_from(month, value, None, today), date=True)
                step = used + 2
            else:
                reading.set_day(_next_day_of_month(value, today), date=True)
                step = used
        elif (
            clock := clock_at(words, index, introduced=previous in _TIME_INTRODUCERS)
        ) is not None:
            reading.time, step = clock
            reading.understood = True
        index += step
    return reading


def resolve_due(phrase: str, reference: dt.datetime) -> dt.datetime | None:
    """The due moment of `phrase` (aware, in reference's zone), or None if not understood."""
    if reference.tzinfo is None:
        raise ValueError("reference must be an aware datetime (the tenant's time zone)")
    words = _canonical([t.text for t in tokens(phrase)])
    if not words:
        return None
    reading = _read(words, reference)
    if not reading.understood:
        return None
    zone = reference.tzinfo
    if reading.exact is not None:
        # Real elapsed time: across a DST change the wall clock moves by more or less.
        return (reference.astimezone(dt.UTC) + reading.exact).astimezone(zone)
    today = reference.date()
    day = reading.day
    if reading.time is not None:
        time = reading.time
    elif reading.part_hour is not None:
        time = dt.time(reading.part_hour)
    elif day is not None:
        time = dt.time(END_OF_DAY_HOUR)
    else:
        return None
    if day is None:
        # Only a time of day ("at 3", "first thing"): today, or tomorrow once it has passed.
        day = today
        if dt.datetime.combine(day, time, tzinfo=zone) <= reference:
            day += dt.timedelta(days=1)
        return dt.datetime.combine(day, time, tzinfo=zone)
    if reading.before and reading.time is None:
        day -= dt.timedelta(days=1)
        time = dt.time(END_OF_DAY_HOUR)
    due = dt.datetime.combine(day, time, tzinfo=zone)
    if due <= reference and day == today and reading.same_day:
        due = max(dt.datetime.combine(day, LAST_MINUTE, tzinfo=zone), reference)
    return due


# --- finding the deadline words in a sentence -------------------------------------------------

_ANCHORS: Final = frozenset(
    {"today", "tonight", "tomorrow", "weekend", "eod", "cob", "noon", "midday", "midnight",
     "morning", "afternoon", "evening", "immediately", "asap", "lunchtime"}
    | set(WEEKDAYS) | set(MONTHS) - {"may"} | set(WEEKDAY_SHORT) - {"sat", "sun", "wed"}
    | set(MONTH_SHORT) - {"mar", "jan"}
)  # fmt: skip
_LINKS: Final = frozenset(
    {"by", "before", "on", "at", "within", "in", "no", "not", "later", "than", "until", "till",
     "the", "of", "this", "next", "coming", "early", "end", "first", "thing", "latest", "very",
     "or", "a", "an", "couple", "few", "half", "business", "working", "close", "right",
     "after", "o'clock", "am", "pm", "around", "sometime", "say", "mean", "sorry", "wait",
     "actually", "from", "then", "and", "i", "between", "about"}
    | set(ONES) | set(TENS)
)  # fmt: skip
_GAP_INTRODUCERS: Final = frozenset({"before", "until", "till"})
_MAX_GAP: Final = 3
_ANCHOR_WORDS: Final = frozenset(
    set(UNITS) | set(PARTS_OF_DAY) | set(ORDINAL_WORDS) | set(ONES) | _ANCHORS
    | {"business", "now", "away", "after", "may", "night", "am", "pm"}
)  # fmt: skip
"""Every word of letters only that `_is_anchor` can take: the others are rejected at once."""
_SLASH_DATE_RE: Final = re.compile(r"\d{1,2}/\d{1,2}(/\d+)?")


def _is_anchor(words: list[str], index: int) -> bool:
    """Whether words[index] on its own says when (a day, a time, an offset's unit)."""
    word = words[index]
    if word not in _ANCHOR_WORDS and word.isalpha():
        return False
    previous = words[index - 1] if index > 0 else ""
    window = words[max(0, index - 5) : index]
    if word in UNITS:
        if word in ("week", "month", "day") and previous in ("next", "this", "the", "of"):
            return word != "day" or "end" in window or "close" in window
        # "within 48 hours" is a deadline; "call 30 minutes before arriving" is not.
        return "in" in window or "within" in window
    if word in ("business",):
        return previous == "of"
    if word in ("now", "away", "after"):
        return previous == "right" or (
            word == "now" and previous not in ("from", "for", "until", "till", "of", "by")
        )
    if word == "may":
        return is_may_month(words, index)
    if word == "night":
        return (
            previous in ("tomorrow", "tonight", "monday", "friday")
            or weekday_of(previous) is not None
        )
    if word in PARTS_OF_DAY and index + 1 < len(words) and words[index + 1] == "of":
        return False  # "the morning of" the appointment: relative to something else
    if word in _ANCHORS or _ORDINAL_RE.match(word) or _SLASH_DATE_RE.fullmatch(word):
        return True
    if word in ORDINAL_WORDS:
        return (previous == "the" and word != "first") or (
            previous == "the" and index + 1 < len(words) and words[index + 1] != "thing"
        )
    if word in ("am", "pm", "o'clock") or ":" in word:
        return True
    if ((word.isdigit() or word in ONES) and len(word) <= 2) or word in ONES:
        if index + 1 < len(words) and words[index + 1] in UNITS:
            return False  # "about 10 minutes out": an amount, not ten o'clock
        return previous in _TIME_INTRODUCERS and clock_at(words, index, introduced=True) is not None
    return False


_HINT_DIGIT_RE: Final = re.compile(r"\d")
_HINT_WORD_RE: Final = re.compile(r"\w+")
_HINT_INSIDE: Final = ("day", "week", "month", "noon", "night", "morning", "afternoon", "evening",
                       "hour", "minute", "immediately", "tomorrow")  # fmt: skip
_HINT_WORDS: Final = frozenset(
    {"min", "mins", "hr", "hrs", "asap", "right", "eod", "cob", "first", "may", "mon", "fri",
     "sat", "sun", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
     "eleven", "twelve", "couple", "few", "half", "midnight", "shortly"}
)  # fmt: skip
_HINT_PREFIXES: Final = ("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "oct", "nov",
                         "dec", "tue", "wed", "thu", "lunch")  # fmt: skip


def says_time(text: str) -> bool:
    """A cheap test first, since most sentences say no time at all: a digit, a word
    holding "day", "week", "night"..., a number word, a month or weekday. A plain
    substring and set test: one regular expression of all of these tried at every
    position of every sentence cost more than the rest of `find_due_phrase`."""
    if _HINT_DIGIT_RE.search(text):
        return True
    lower = text.lower()
    if any(part in lower for part in _HINT_INSIDE):
        return True
    return any(
        word in _HINT_WORDS or word.startswith(_HINT_PREFIXES)
        for word in _HINT_WORD_RE.findall(lower)
    )


def find_due_phrase(text: str) -> str:
    """The words of `text` that set a deadline ("by end of day"), or "".

    A run of time words and the words that link them; "before the closing on
    June 14th" keeps its short gap because "before" had no day yet. Of several
    runs the first counts, unless a correction ("sorry", "no wait", "I mean")
    or "or" comes between them: then the later one.
    """
    if not says_time(text):
        return ""
    found = tokens(text)
    words = [t.text for t in found]
    anchors = [_is_anchor(words, i) for i in range(len(words))]
    runs: list[tuple[int, int]] = []
    index = 0
    while index < len(words):
        if not anchors[index]:
            index += 1
            continue
        start = index
        while start > 0 and (
            (words[start - 1] in _LINKS and words[start - 1] not in ("and", "or", "i"))
            or (words[start - 1].isdigit() and words[index] in UNITS)
        ):
            start -= 1
        end = index + 1
        while end < len(words):
            if anchors[end]:
                end += 1
                continue
            look = end
            while look < len(words) and words[look] in _LINKS and not anchors[look]:
                look += 1
            if look > end and look < len(words) and anchors[look]:
                end = look + 1
                continue
            break
        runs.append((start, end))
        index = end
    if not runs:
        return ""
    runs = _join_gaps(words, runs)
    runs = [_through_call_end(words, run) for run in runs]
    chosen = runs[0]
    for run in runs[1:]:
        between = words[chosen[1] : run[0]]
        if any(w in CORRECTIONS for w in between):
            chosen = run
    start, end = chosen
    while end > start and words[end - 1] in ("and", "or", "the", "a", "then", "i", "no", "at"):
        end -= 1
    while start < end and words[start] in ("and", "or", "then", "i", "no", "sorry", "wait"):
        start += 1
    if start >= end:
        return ""
    return text[found[start].start : found[end - 1].end]


def _join_gaps(words: list[str], runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join "before the closing" to a following "on June 14th" (a short gap, no day yet)."""
    joined = list(runs)
    for index, word in enumerate(words):
        if word not in _GAP_INTRODUCERS or any(s <= index < e for s, e in joined):
            continue
        after = next((run for run in joined if run[0] > index), None)
        if after is not None and after[0] - index - 1 <= _MAX_GAP:
            joined = [run for run in joined if run != after] + [(index, after[1])]
    return sorted(joined)


_CALL_END_WORDS: Final = frozenset(
    {"this", "the", "call", "we", "hang", "up", "get", "off", "phone", "our"}
)


def _through_call_end(words: list[str], run: tuple[int, int]) -> tuple[int, int]:
    """ "right after" takes its object along: "right after this call", "right after we hang up"."""
    start, end = run
    if end >= 2 and words[end - 2 : end] == ["right", "after"]:
        while end < len(words) and end - run[1] < 4 and words[end] in _CALL_END_WORDS:
            end += 1
    return start, end
