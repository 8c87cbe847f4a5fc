"""Reading values as callers say them: spelled identifiers with repairs, spoken e-mail
addresses, phone numbers, spoken years and dates.

Speech-to-text gives "H C... H-C-4-4-8-1-7. sorry, 4-4-8-1-7", "P as in Paul",
"jordan underscore kim at gmail dot com", "may third two thousand nine". Each reader
takes the words after a trigger (or a whole answer) and returns one canonical value,
the last complete one when the speaker repaired what they said.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final

from alice_server.domain.due_dates import (
    ORDINAL_WORDS,
    TENS,
    clock_at,
    day_of_month_at,
    is_may_month,
    month_of,
    tokens,
    weekday_of,
)

DIGIT_WORDS: Final = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
REPAIR_WORDS: Final = frozenset(
    {"sorry", "i", "mean", "no", "wait", "actually", "that's", "it's", "its", "is", "again",
     "let", "me", "repeat", "so", "uh", "um", "or", "rather", "correction", "yeah", "that",
     "one", "more", "time", "oops", "scratch", "hold", "hang", "on", "sec", "second", "see",
     "check", "just", "a"}
)  # fmt: skip
"""Words that may stand between a false start and its repair ("4-4-8, sorry, 4-4-8-1-7",
"H O 7 7... hold on... H O 7 7 3 0 5 1 8", "4 4 8, let me check, 4 4 8 1 7")."""
LEAD_WORDS: Final = frozenset(
    {"it's", "its", "it", "is", "yeah", "yes", "sure", "that's", "the", "number", "um", "uh",
     "ok", "okay", "so", "my", "our", "was", "id", "no", "#", "num", "a", "an", "ah", "oh"}
)  # fmt: skip
_ID_TOKEN_RE: Final = re.compile(r"[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*|\.\.\.|[.,;:?!#]")
_LETTERS_RE: Final = re.compile(r"[A-Z]{1,4}")
_SSN_RE: Final = re.compile(r"^\d{3}-?\d{2}-?\d{4}$")


def luhn_valid(digits: str) -> bool:
    """The payment-card checksum (a 13-19 digit number passing it is a card number)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def is_card_number(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and digits.isdigit() and luhn_valid(digits)


@dataclass(frozen=True, slots=True)
class _Run:
    """One reading of an identifier: its characters and how it was written."""

    chars: str
    shown: str  # as written when it came as one token ("AP-2291-4417"), else ""


def _piece(token: str, neighbours_spelled: bool, after_letter: bool = False) -> str | None:
    """The characters a token adds to an identifier, or None if it is not part of one."""
    if any(c.isdigit() for c in token):
        if not re.fullmatch(r"[A-Za-z0-9-]+", token):
            return None
        return token.replace("-", "").upper()
    lower = token.lower()
    if token == "O" and after_letter:  # noqa: S105 (a spoken letter)
        return "O"  # "H O 7 7 3 0 2": a letter among letters
    if lower in DIGIT_WORDS and (lower not in ("o", "oh") or neighbours_spelled):
        return DIGIT_WORDS[lower]
    if "-" in token and all(len(part) == 1 for part in token.split("-")):
        return token.replace("-", "").upper()  # "H-C" spelled
    if _LETTERS_RE.fullmatch(token) and (
        len(token) > 1 or token not in ("I", "A") or neighbours_spelled
    ):
        return token
    if len(token) == 1 and token.isalpha() and neighbours_spelled and lower not in ("a", "i"):
        return token.upper()
    return None


def read_identifier(text: str, *, max_lead: int = 4) -> str | None:
    """The identifier at the start of `text` (after a trigger such as "claim number is").

    Spelled letters and digits ("H C four four eight"), phonetic spelling ("P as in
    Paul"), "double five", dashes. After a false start or a repeat the last complete
    reading counts: "HC... H-C-4-4-8-1-7" is HC44817; "4-4-8-1-7, sorry, 4-4-8-1-7"
    the same; a different later reading after "sorry" or "no wait" replaces it.
    Returns None for anything that is not identifier-shaped, a payment-card number
    or a social security number.
    """
    words = _ID_TOKEN_RE.findall(text)
    runs: list[_Run] = []
    index = 0
    lead = 0
    while index < len(words) and words[index].lower() in LEAD_WORDS | {",", ":", "#"}:
        if words[index] == "A" and _spelled_context(words, index):
            break  # "A P 2 2 9 1": the letter, not the article
        index += 1
        lead += 1
        if lead > max_lead:
            return None
    current: list[str] = []
    shown = ""
    gap = 0
    while index < len(words):
        token = words[index]
        lower = token.lower()
        spelled = _spelled_context(words, index)
        if (
            lower == "as"
            and index + 2 < len(words)
            and words[index + 1].lower() == "in"
            and current
        ):
            index += 3  # "P as in Paul"
            continue
        if lower == "double" and index + 1 < len(words):
            doubled = _piece(words[index + 1], True)
            if doubled is not None and len(doubled) == 1:
                current.append(doubled * 2)
                index += 2
                continue
        if lower in ("dash", "hyphen", "-") and current:
            index += 1
            continue
        after_letter = bool(current) and current[-1][-1:].isalpha()
        piece = _piece(token, spelled, after_letter)
        if piece is not None:
            spelled_out = all(len(part) == 1 for part in token.split("-"))
            shown = token.upper() if not current and "-" in token and not spelled_out else ""
            current.append(piece)
            gap = 0
            index += 1
            continue
        comma = token == ","  # noqa: S105 (punctuation, not a password)
        if comma and current and index + 1 < len(words) and _piece(words[index + 1], True):
            index += 1  # "P, H, 7-7-1-2-0"
            continue
        if current:
            runs.append(_Run("".join(current), shown if len(current) == 1 else ""))
            current = []
        if lower in REPAIR_WORDS or token in ("...", ".", ",", ";", ":") or lower in DIGIT_WORDS:
            gap += 1
            if gap > 4:
                break
            index += 1
            continue
        break
    if current:
        runs.append(_Run("".join(current), shown if len(current) == 1 else ""))
    if not runs:
        return None
    best = runs[0]
    for run in runs[1:]:
        if run.chars == best.chars or best.chars.endswith(run.chars):
            continue  # a repeat of the whole or of its digits
        best = run  # the false start grew ("HC" -> "HC44817") or was corrected
    return _valid_identifier(best)


def _spelled_context(words: list[str], index: int) -> bool:
    """Whether words[index] sits among other single characters or digits (spelling out)."""
    for neighbour in (index - 1, index + 1, index - 2, index + 2):
        if 0 <= neighbour < len(words):
            token = words[neighbour]
            if (
                (len(token) == 1 and token.isalnum())
                or token.isdigit()
                or (token.lower() in DIGIT_WORDS and token.lower() not in ("o", "oh"))
            ):
                return True
    return False


def _valid_identifier(run: _Run) -> str | None:
    chars = run.chars
    digits = sum(c.isdigit() for c in chars)
    if digits < 2 or not 3 <= len(chars) <= 24:
        return None
    if is_card_number(chars) or (run.shown and _SSN_RE.match(run.shown)):
        return None
    if run.shown:
        return run.shown
    letters = len(chars) - len(chars.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    if 2 <= letters <= 4 and chars[letters:].isdigit() and len(chars) - letters >= 3:
        return f"{chars[:letters]}-{chars[letters:]}"
    return chars


# --- phone numbers --------------------------------------------------------------------------

PHONE_RE: Final = re.compile(
    r"(?<![\d-])(?:\+?1[\s.-]?)?\(?([2-9]\d{2})\)?[\s.-]?(\d{3})[\s.-]?(\d{4})(?![\d-])"
)


def find_phone(text: str) -> tuple[int, str] | None:
    """The first ten-digit phone number in `text`: (position, "303-555-0187")."""
    match = PHONE_RE.search(text)
    if match is None:
        return None
    return match.start(), f"{match.group(1)}-{match.group(2)}-{match.group(3)}"


# --- e-mail addresses ------------------------------------------------------------------------

EMAIL_RE: Final = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
TOP_LEVEL: Final = ("com", "net", "org", "edu", "gov", "me", "io", "co", "us", "info", "biz")
_SPOKEN_DOMAIN_RE: Final = re.compile(
    r"\s+at\s+((?:[a-z0-9-]+\s+){0,2}?[a-z0-9-]+)\s+dot\s+(" + "|".join(TOP_LEVEL) + r")"
    r"(?:\s+dot\s+([a-z]{2}))?\b",
    re.IGNORECASE,
)
_JOINERS: Final = {"dot": ".", "period": ".", "underscore": "_", "dash": "-", "hyphen": "-"}
_LOCAL_STOP: Final = frozenset(
    {"is", "it's", "its", "email", "e-mail", "address", "me", "at", "to", "and", "sure", "yes",
     "yeah", "the", "my", "mine", "send", "it", "that's", "ok", "okay", "um", "uh", "so",
     "new", "please", "use", "com"}
)  # fmt: skip


def find_email(text: str) -> tuple[int, str] | None:
    """An e-mail address written or spoken in `text`: (position, lower-case address).

    Spoken: "jordan underscore kim at gmail dot com", "d as in david, k, o... at gmail
    dot com", "j whitaker 77 at gmail dot com" (the local part is the words just before
    "at": spelled letters and digits, and one word, or words joined by "dot" or
    "underscore"). The last address in the text counts.
    """
    found: tuple[int, str] | None = None
    for match in EMAIL_RE.finditer(text):
        found = (match.start(), match.group().rstrip(".").lower())
    for match in _SPOKEN_DOMAIN_RE.finditer(text):
        local = _spoken_local_part(text[: match.start()])
        if not local:
            continue
        domain = "".join(match.group(1).lower().split()) + "." + match.group(2).lower()
        if match.group(3):
            domain += "." + match.group(3).lower()
        if found is None or match.start() > found[0]:
            found = (match.start(), f"{local}@{domain}")
    return found


def _spoken_local_part(before: str) -> str:
    words = re.findall(r"[a-z0-9]+(?:['.-][a-z0-9]+)*|,", before.lower())
    parts: list[str] = []
    full_words = 0
    index = len(words) - 1
    while index >= 0:
        word = words[index]
        if word == ",":
            index -= 1
            continue
        if index >= 2 and words[index - 2] == "as" and words[index - 1] == "in":
            index -= 3  # "d as in david": the spelled letter comes before "as in"
            continue
        if word in _JOINERS:
            parts.append(_JOINERS[word])
            index -= 1
            continue
        if word in _LOCAL_STOP:
            break
        joined = bool(parts) and parts[-1] in _JOINERS.values()
        if len(word) == 1 or word.isdigit():
            parts.append(word)
        elif full_words == 0 or joined:
            parts.append(word)
            full_words += 1
        else:
            break
        index -= 1
    local = "".join(reversed(parts)).strip("._-")
    return local if re.fullmatch(r"[a-z0-9][a-z0-9._-]*", local) else ""


# --- years and dates -------------------------------------------------------------------------

_ONES_VALUES: Final = {w: int(d) for w, d in DIGIT_WORDS.items() if w not in ("oh", "o")}
_TEENS: Final = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip


def _two_digit(words: list[str], index: int) -> tuple[int, int] | None:
    """ "eighty eight" (88), "nineteen" (19), "oh nine" (9)."""
    if index >= len(words):
        return None
    word = words[index]
    if word in _TEENS:
        return _TEENS[word], 1
    if word in TENS:
        following = words[index + 1] if index + 1 < len(words) else ""
        if following in _ONES_VALUES and _ONES_VALUES[following] > 0:
            return TENS[word] + _ONES_VALUES[following], 2
        return TENS[word], 1
    if word in ("oh", "o") and index + 1 < len(words) and words[index + 1] in _ONES_VALUES:
        return _ONES_VALUES[words[index + 1]], 2
    return None


def year_at(words: list[str], index: int) -> tuple[int, int] | None:
    """A year at words[index]: "1988", "two thousand nine", "nineteen eighty eight",
    "twenty nineteen"; (year, words used)."""
    word = words[index]
    if word.isdigit() and len(word) == 4 and 1900 <= int(word) <= 2099:
        return int(word), 1
    if word == "two" and index + 1 < len(words) and words[index + 1] == "thousand":
        position = index + 2
        if position < len(words) and words[position] == "and":
            position += 1
        if position < len(words):
            if words[position] in _ONES_VALUES and _ONES_VALUES[words[position]] > 0:
                return 2000 + _ONES_VALUES[words[position]], position + 1 - index
            rest = _two_digit(words, position)
            if rest is not None:
                return 2000 + rest[0], position + rest[1] - index
        return 2000, position - index
    if word in ("nineteen", "twenty"):
        rest = _two_digit(words, index + 1)
        if rest is not None and (word == "nineteen" or rest[0] < 40):
            return (1900 if word == "nineteen" else 2000) + rest[0], 1 + rest[1]
    return None


@dataclass(frozen=True, slots=True)
class DateValue:
    """A date as said: any of month, day, year, a weekday or relative day, a time."""

    month: int | None = None
    day: int | None = None
    year: int | None = None
    relative: str = ""  # "tomorrow", "thursday" when no calendar date was said
    time: dt.time | None = None

    @property
    def dated(self) -> bool:
        return self.month is not None and self.day is not None

    def birth_date(self) -> str:
        """ "1988-08-14", or "August 14" without a year."""
        assert self.month is not None and self.day is not None
        if self.year is not None:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        return f"{dt.date(2000, self.month, 1):%B} {self.day}"

    def when(self) -> str:
        """ "March 12 at 9:30 am", "Thursday at 2 pm", "June 20"."""
        if self.dated:
            assert self.month is not None
            text = f"{dt.date(2000, self.month, 1):%B} {self.day}"
            if self.year is not None:
                text += f", {self.year}"
        elif self.relative:
            text = self.relative.capitalize() if self.relative in _WEEKDAY_NAMES else self.relative
        else:
            text = ""
        if self.time is not None:
            hour = self.time.hour % 12 or 12
            minutes = f":{self.time.minute:02d}" if self.time.minute else ""
            clock = f"{hour}{minutes} {'pm' if self.time.hour >= 12 else 'am'}"
            text = f"{text} at {clock}" if text else clock
        return text


_WEEKDAY_NAMES: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                         "sunday")  # fmt: skip
_NUMERIC_DATE_RE: Final = re.compile(r"^(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?$")


_DATE_STARTS: Final = frozenset(
    {"today", "tomorrow", "tonight", "twenty", "thirty", *ORDINAL_WORDS}
)
"""The words of letters only a date can start with, besides weekdays and months."""


def read_dates(text: str) -> list[DateValue]:
    """Every date said in `text`, in order; a later one without a month takes the month
    of the one before ("June 14th. Well, the 15th")."""
    words = [t.text for t in tokens(text)]
    found: list[DateValue] = []
    index = 0
    while index < len(words):
        word = words[index]
        if (
            word.isalpha()
            and word not in _DATE_STARTS
            and weekday_of(word) is None
            and month_of(word) is None
        ):
            index += 1  # no date starts with this word (most words): skip the full reading
            continue
        value, used = _date_at(words, index, found[-1] if found else None)
        if value is None:
            index += 1
            continue
        found.append(value)
        index += used
    return found


def _date_at(
    words: list[str], index: int, previous: DateValue | None
) -> tuple[DateValue | None, int]:
    word = words[index]
    month: int | None = None
    day: int | None = None
    year: int | None = None
    relative = ""
    position = index
    if (said := weekday_of(word)) is not None and len(word) > 3:
        relative = _WEEKDAY_NAMES[said]
        position += 1
        if position < len(words) and words[position] == "the":
            position += 1
    elif word in ("today", "tomorrow", "tonight"):
        relative = word
        position += 1
    if position < len(words):
        current = words[position]
        if (m := month_of(current)) is not None and (
            current != "may" or is_may_month(words, position)
        ):
            step = position + 1 + (position + 1 < len(words) and words[position + 1] == "the")
            found = day_of_month_at(words, step)
            if found is not None:
                month, day = m, found[0]
                position = step + found[1]
        elif (match := _NUMERIC_DATE_RE.match(current)) is not None:
            month, day = int(match.group(1)), int(match.group(2))
            if match.group(3):
                year = int(match.group(3)) + (1900 if len(match.group(3)) == 2 else 0)
                if year < 1930:
                    year += 100
            position += 1
        elif (
            current.isdigit()
            and position + 2 < len(words)
            and words[position + 1].isdigit()
            and len(words[position + 2]) == 4
            and words[position + 2].isdigit()
        ):
            month, day, year = int(current), int(words[position + 1]), int(words[position + 2])
            position += 3  # "2 11 2014" read out
        elif (found := day_of_month_at(words, position)) is not None and (
            (position > 0 and words[position - 1] == "the")
            or re.match(r"^\d+(st|nd|rd|th)$", current)
        ):
            day = found[0]
            position += found[1]
            if (
                position + 1 < len(words)
                and words[position] == "of"
                and (m := month_of(words[position + 1])) is not None
            ):
                month = m
                position += 2
            if month is None and previous is not None and previous.month is not None:
                month = previous.month
    if day is not None and month is not None and not (1 <= month <= 12 and 1 <= day <= 31):
        return None, 1
    if day is not None and year is None and position < len(words):
        skip = position + (words[position] == ",")
        if skip < len(words) and (read := year_at(words, skip)) is not None:
            year = read[0]
            position = skip + read[1]
    if day is None and not relative:
        return None, 1
    time, position = _time_after(words, position)
    if day is None and time is None and relative in _WEEKDAY_NAMES:
        # A bare weekday is a date only with a time ("Thursday at 2").
        return DateValue(relative=relative), position - index
    if day is not None:
        relative = ""
    return DateValue(month, day, year, relative, time), position - index


def _time_after(words: list[str], position: int) -> tuple[dt.time | None, int]:
    """A time right after a date: "at 9:30", "8 am", "first slot 8 am", "between 8 and 10 am"."""
    start = position
    look = position
    skipped = 0
    while look < len(words) and skipped <= 3:
        word = words[look]
        if word in ("at", "around", "between", "from"):
            found = clock_at(words, look + 1, introduced=True)
            if found is not None:
                time, used = found
                return _am_pm_range(words, look + 1 + used, time), look + 1 + used
        found = clock_at(words, look, introduced=False)
        if found is not None:
            return found[0], look + found[1]
        if word in ("noon", "midday"):
            return dt.time(12), look + 1
        if word in (",", "the", "first", "slot", "with", "in", "morning", "afternoon", "for"):
            skipped += 1
            look += 1
            continue
        break
    return None, start


def _am_pm_range(words: list[str], position: int, time: dt.time) -> dt.time:
    """ "between 8 and 10 am": the first hour takes the second's am/pm."""
    if position + 2 < len(words) and words[position] in ("and", "to"):
        end = clock_at(words, position + 1, introduced=True)
        said_am = end is not None and words[position + 1 : position + 1 + end[1]][-1:] == ["am"]
        if said_am and time.hour > 12:
            return dt.time(time.hour - 12, time.minute)
    return time
