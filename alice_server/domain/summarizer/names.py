"""The caller's name: trigger phrases, words that are not names, and reading a name after
"my name is", "this is" or "I'm".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from alice_server.domain.summarizer.vocabulary import (
    APOSTROPHES,
    LEXICONS,
    NAME_GAP_RE,
    NEGATIVE_WORDS,
    NON_CONTENT,
    POSITIVE_WORDS,
    tokenize,
    word_set,
)

NAME_TRIGGER_RE: Final = re.compile(
    r"\b(?:(?P<strong>my\s+name\s+is|my\s+name's|the\s+name\s+is|the\s+name's"
    r"|you\s+can\s+call\s+me)|(?P<weak>this\s+is|i\s+am|i'?m))[ \t]+",
    re.IGNORECASE,
)
"""Phrases after which a caller gives their name. "strong" ones win over "weak" ones."""


NAME_TITLE_RE: Final = re.compile(r"(?:mr|mrs|ms|miss|dr)\.?[ \t]+", re.IGNORECASE)
NAME_TOKEN_RE: Final = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")
MAX_NAME_WORDS: Final = 3


ORGANISATION_WORDS: Final = word_set(
    """
    insurance agency company co corp corporation inc llc ltd services service group bank office
    department hospital clinic motors realty construction associates partners solutions
    plumbing roofing electric dental law shop store restaurant school church
    """
)
"""Words that reveal a business rather than a person ("this is Acme Roofing")."""


COMMON_NON_NAMES: Final = word_set(
    """
    calling fine good sorry here trying looking having wondering interested okay ok great glad
    happy still really pretty new back going getting worried concerned afraid ready done home
    retired married single moving driving currently also actually the a an about regarding from
    with just not so well sure hoping wanting thinking concerning in on at to for of my your his
    her our their that this it there what who why how where when which out over up down off away
    gonna sick tired confused frustrated upset angry returning following reaching checking
    waiting working staying living leaving selling buying renting monday tuesday wednesday
    thursday friday saturday sunday today tomorrow yesterday mister miss mrs ms mr dr sir maam
    ma'am customer client policyholder owner member patient agent manager supervisor
    representative driver homeowner renter insured husband wife mother father son daughter
    brother sister friend neighbor landlord tenant boss employee born
    """
)
"""Capitalised words after "this is"/"I'm" that are not names (added to the stop lists)."""


NAMES_THAT_ARE_WORDS: Final = word_set("will may guy")
"""First names that are also stop words; capitalised after a trigger they are taken as names."""


def _lexicon_words() -> frozenset[str]:
    """Every word that appears in a lexicon (used to reject non-names)."""
    words: set[str] = set(POSITIVE_WORDS) | set(NEGATIVE_WORDS)
    for phrases in LEXICONS.values():
        for phrase in phrases:
            words.update(tokenize(phrase.translate(APOSTROPHES)))
    return frozenset(words)


NOT_NAMES: Final = (NON_CONTENT | COMMON_NON_NAMES | _lexicon_words()) - NAMES_THAT_ARE_WORDS
"""Words never taken for a name (month names are allowed: "April", "June")."""


def _title(word: str) -> str:
    """Title-case an all-upper or all-lower name part ("LOPEZ" -> "Lopez"); keep mixed case."""
    if word.isupper() or word.islower():
        return re.sub(r"[^\W\d_]+", lambda m: m.group().capitalize(), word.lower())
    return word


def _read_name(text: str, position: int, weak: bool) -> str | None:
    """Read up to three capitalised non-common words starting at ``position``.

    The first word must qualify or there is no name. A possessive ("Maria's") or an
    organisation word ("Roofing") rejects the match. After a weak trigger ("I'm", "this is")
    a first word ending in "ing" is taken for a verb ("I'm Calling").
    """
    title = NAME_TITLE_RE.match(text, position)
    if title is not None:
        position = title.end()
    parts: list[str] = []
    while len(parts) < MAX_NAME_WORDS:
        match = NAME_TOKEN_RE.match(text, position)
        if match is None:
            break
        word = match.group()
        lower = word.lower()
        if not word[0].isupper() or len(word) < 2:
            break
        if lower.endswith("'s") or lower in ORGANISATION_WORDS:
            return None
        if lower in NOT_NAMES or (weak and not parts and lower.endswith("ing") and len(lower) > 5):
            break
        parts.append(_title(word))
        gap = NAME_GAP_RE.match(text, match.end())
        if gap is None:
            break
        position = gap.end()
    return " ".join(parts) if parts else None


def find_name(texts: Iterable[str]) -> str | None:
    """The first name given after a strong trigger, else the first after a weak trigger."""
    weak_name: str | None = None
    for text in texts:
        for trigger in NAME_TRIGGER_RE.finditer(text):
            weak = trigger.group("weak") is not None
            if weak and weak_name is not None:
                continue
            name = _read_name(text, trigger.end(), weak)
            if name is None:
                continue
            if not weak:
                return name
            weak_name = name
    return weak_name
