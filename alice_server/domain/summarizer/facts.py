"""The facts a call states, as keyed memories of the caller (built-in, English only).

Each fact is found by the grammar that states it, not by a list of phrases:

* an agent question names a slot ("Can I have the claim number?", "and his date of
  birth") and the caller's answer fills it;
* the caller states it ("my wife Elena", "we moved to Austin", "I'm allergic to
  latex", "our 2012 Jeep Wrangler", "the closing is on June 12th");
* the agent gives it ("your claim number is AC-20931", "you're booked for Thursday,
  April 16th at 1 pm"), or reads it back and the caller says yes.

Nothing is taken from a question, a hypothesis ("we might move to Florida", "if I get
married"), a negation ("we don't have any pets", "not the house phone") or about
someone else ("the other driver's insurance", "Her cat"). Card numbers, passwords,
codes and social security numbers are never stored. Keys are deterministic (the
same fact in a later call gets the same key, so storing it updates the memory);
docs/summarizer.md lists them. The last value said in a call wins: a repair ("1414
Westheimer... no sorry 1412 Westheimer Road") or a move replaces the earlier value.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from alice_server.domain.summarizer.dialogue import (
    CLAUSE_LOOKBACK,
    QUESTION_OPENING_RE,
    Line,
    affirms,
    declines,
    next_turn,
    previous_turn,
    turn_lines,
    turn_text,
)
from alice_server.domain.summarizer.interface import ExtractedMemory
from alice_server.domain.summarizer.names import NOT_NAMES
from alice_server.domain.summarizer.spoken import (
    DateValue,
    find_email,
    find_phone,
    read_dates,
    read_identifier,
    year_at,
)

# --- word tables (tunable) -----------------------------------------------------------------

ID_NOUNS: Final = (
    "claim|policy|order|account|invoice|case|ticket|confirmation|reference|report|member|"
    "group|tracking|loan|quote|file|matter|work order|plan|notice|permit|patient|customer|"
    "client|booking|reservation|incident|warranty|serial|model|membership|license|contract|"
    "certificate|project|job|unit|registration|tag|lot|parcel|receipt|transaction|application"
)
"""Nouns before "number" (or "#", "ID") that name an identifier worth keeping."""
POLICY_QUALIFIERS: Final = {
    "auto": "auto", "car": "auto", "home": "home", "homeowners": "home", "homeowner": "home",
    "renters": "renters", "renter": "renters", "life": "life", "umbrella": "umbrella",
    "business": "business", "commercial": "business", "flood": "flood",
}  # fmt: skip
RELATIONS: Final = {
    "wife": ("wife", "f"), "husband": ("husband", "m"), "partner": ("partner", ""),
    "fiance": ("partner", "m"), "fiancé": ("partner", "m"), "fiancee": ("partner", "f"),
    "fiancée": ("partner", "f"), "girlfriend": ("partner", "f"), "boyfriend": ("partner", "m"),
    "mom": ("mother", "f"), "mother": ("mother", "f"), "dad": ("father", "m"),
    "father": ("father", "m"), "son": ("son", "m"), "daughter": ("daughter", "f"),
    "kid": ("child", ""), "child": ("child", ""), "brother": ("brother", "m"),
    "sister": ("sister", "f"), "grandson": ("grandson", "m"),
    "granddaughter": ("granddaughter", "f"), "stepson": ("stepson", "m"),
    "stepdaughter": ("stepdaughter", "f"),
}  # fmt: skip
UNIQUE_RELATIONS: Final = frozenset({"wife", "husband", "partner", "mother", "father"})
PLURAL_RELATIONS: Final = {"kids": "child", "children": "child", "sons": "son",
                           "daughters": "daughter"}  # fmt: skip
MAKES: Final = {
    "ford": "Ford", "chevy": "Chevrolet", "chevrolet": "Chevrolet", "toyota": "Toyota",
    "honda": "Honda", "nissan": "Nissan", "hyundai": "Hyundai", "kia": "Kia",
    "subaru": "Subaru", "mazda": "Mazda", "volkswagen": "Volkswagen", "vw": "Volkswagen",
    "jeep": "Jeep", "ram": "Ram", "dodge": "Dodge", "gmc": "GMC", "buick": "Buick",
    "cadillac": "Cadillac", "lincoln": "Lincoln", "chrysler": "Chrysler", "tesla": "Tesla",
    "bmw": "BMW", "mercedes": "Mercedes-Benz", "mercedes-benz": "Mercedes-Benz",
    "audi": "Audi", "lexus": "Lexus", "acura": "Acura", "infiniti": "Infiniti",
    "volvo": "Volvo", "porsche": "Porsche", "mitsubishi": "Mitsubishi", "genesis": "Genesis",
    "mini": "Mini", "rivian": "Rivian", "harley": "Harley-Davidson",
}  # fmt: skip
TWO_WORD_MODELS: Final = frozenset({"model", "grand", "santa", "range", "land", "town", "rav"})
VEHICLE_NOUNS: Final = frozenset(
    {"truck", "car", "suv", "van", "pickup", "sedan", "minivan", "wagon", "coupe", "hybrid",
     "that", "which", "and", "with", "at", "is", "for", "to", "in", "on", "but", "so", "the"}
)  # fmt: skip
STREET_SUFFIXES: Final = {
    "road": "Road", "rd": "Road", "street": "Street", "st": "Street", "avenue": "Avenue",
    "ave": "Avenue", "lane": "Lane", "ln": "Lane", "drive": "Drive", "dr": "Drive",
    "boulevard": "Boulevard", "blvd": "Boulevard", "court": "Court", "ct": "Court",
    "way": "Way", "place": "Place", "pl": "Place", "circle": "Circle", "cir": "Circle",
    "parkway": "Parkway", "pkwy": "Parkway", "highway": "Highway", "hwy": "Highway",
    "trail": "Trail", "terrace": "Terrace", "square": "Square", "loop": "Loop",
    "pike": "Pike", "alley": "Alley", "crossing": "Crossing", "row": "Row",
}  # fmt: skip
EQUIPMENT: Final = {
    "hot water heater": "water_heater", "water heater": "water_heater",
    "furnace": "furnace", "air conditioner": "air_conditioner",
    "air conditioning": "air_conditioner", "ac unit": "air_conditioner",
    "a/c": "air_conditioner", "ac": "air_conditioner", "heat pump": "heat_pump",
    "boiler": "boiler", "water softener": "water_softener", "sump pump": "sump_pump",
}  # fmt: skip
SPECIES: Final = {
    "dog": "dog", "dogs": "dog", "puppy": "dog", "cat": "cat", "cats": "cat", "kitten": "cat",
    "bird": "bird", "parrot": "bird", "rabbit": "rabbit", "bunny": "rabbit", "horse": "horse",
    "hamster": "hamster", "lizard": "lizard", "snake": "snake", "turtle": "turtle",
    "retriever": "dog", "lab": "dog", "labrador": "dog", "shepherd": "dog", "poodle": "dog",
    "beagle": "dog", "chihuahua": "dog", "husky": "dog", "bulldog": "dog", "terrier": "dog",
    "dachshund": "dog", "corgi": "dog", "pitbull": "dog",
}  # fmt: skip
LANGUAGES: Final = frozenset(
    {"spanish", "french", "vietnamese", "chinese", "mandarin", "cantonese", "korean",
     "tagalog", "arabic", "russian", "portuguese", "polish", "hindi", "german", "italian",
     "japanese", "creole", "somali", "amharic", "farsi", "ukrainian", "english"}
)  # fmt: skip
EVENTS: Final = {
    "closing": "closing", "close": "closing", "hearing": "hearing", "court date": "court",
    "court": "court", "trial": "trial", "deposition": "deposition", "mediation": "mediation",
    "surgery": "surgery", "wedding": "wedding", "anniversary": "anniversary",
    "move-in": "move_in", "move": "move", "inspection": "inspection", "appraisal": "appraisal",
    "graduation": "graduation", "procedure": "procedure",
}  # fmt: skip
ORGANISATION_ENDINGS: Final = frozenset(
    {"llc", "inc", "co", "corp", "corporation", "company", "ltd", "pllc", "pc", "lp",
     "landscaping", "roofing", "plumbing", "electric", "electrical", "construction",
     "contracting", "builders", "painting", "flooring", "bakery", "cafe", "restaurant",
     "salon", "studio", "properties", "realty", "management", "consulting", "design",
     "services", "service", "group", "associates", "partners", "solutions", "enterprises",
     "industries", "holdings", "auto", "motors", "farm", "farms", "ranch", "market",
     "foods", "catering", "cleaning", "agency", "clinic", "dental", "shop", "store",
     "hvac", "heating", "cooling", "trucking", "logistics", "transport", "supply"}
)  # fmt: skip
SENSITIVE_RE: Final = re.compile(
    r"\b(?:social|ssn|security number|password|passcode|pin|card number|credit card|debit card|"
    r"cvv|cvc|security code|routing|gate code|door code|alarm code|lockbox|access code|"
    r"code is|exp|expiration)\b"
)
"""Words next to a value that is never stored."""

_HAS_DIGIT_RE: Final = re.compile(r"\d")
_TEN_DIGITS_RE: Final = re.compile(r"(?:\d\D*){10}")
_HYPOTHETICAL_RE: Final = re.compile(
    r"\b(?:if|whether|thinking (?:about|of)|considering|might|maybe|perhaps|would|could|"
    r"planning (?:to|on)|hoping to|want to (?:get|buy)|looking (?:at|into|for)|in case|"
    r"someday|eventually|wondering|probably)\b"
)
_NEGATION_RE: Final = re.compile(
    r"\b(?:not|no|never|don't|doesn't|didn't|haven't|hasn't|isn't|aren't|wasn't|weren't|"
    r"won't|can't|cannot|no longer|used to|anymore|without)\b"
)
_FIRST_PERSON_RE: Final = re.compile(r"\b(?:i|i'm|i've|i'd|my|me|we|we're|we've|our|us|mine)\b")
_THIRD_PARTY_RE: Final = re.compile(
    r"\b(?:his|her|their|he|she|they|friend|friend's|neighbor|neighbor's|neighbour's|"
    r"roommate|roommate's|tenant|tenant's|other driver|other driver's|someone|somebody|"
    r"(?!it's|that's|what's|there's|here's|let's|who's|where's|how's)[a-z]+'s)\b"
)
_CLAUSE_BREAK_RE: Final = re.compile(
    r"[,;:]|\s(?:but|and|so|because)\s|\.\.\.|\bno,? (?:sorry|wait)\b|\bsorry\b|\bi mean\b|"
    r"\bactually\b|\bwait\b"
)


@dataclass(slots=True)
class _Found:
    type: str
    key: str
    value: str
    line: int


@dataclass(slots=True)
class _Member:
    relation: str
    gender: str
    name: str
    line: int

    @property
    def key(self) -> str:
        if self.relation in UNIQUE_RELATIONS or not self.name:
            return self.relation
        return f"{self.relation}_{_key_part(self.name.split()[0])}"


@dataclass(slots=True)
class _Call:
    lines: Sequence[Line]
    known_names: frozenset[str]
    found: list[_Found] = field(default_factory=list)
    members: list[_Member] = field(default_factory=list)
    by_word: dict[str, list[Line]] = field(default_factory=dict)
    said: frozenset[str] = frozenset()

    def having(self, words: frozenset[str]) -> Iterator[Line]:
        """The lines with at least one of `words` (the others cannot state the fact), in
        order; from an index of the call's words, built once."""
        if not self.by_word:
            for line in self.lines:
                for word in line.words:
                    self.by_word.setdefault(word, []).append(line)
            self.said = frozenset(self.by_word)
        found = {line.index: line for word in words & self.said for line in self.by_word[word]}
        return iter([found[index] for index in sorted(found)])

    def add(self, kind: str, key: str, value: str, line: Line) -> None:
        value = " ".join(value.split()).strip(" ,.;:")
        if not value or not key:
            return
        if any(c.isdigit() for c in value) and _sensitive_near(line.lower, value):
            return
        self.found.append(_Found(kind, key, value, line.index))


def _sensitive_near(lower: str, value: str) -> bool:
    """Whether a never-stored word ("social", "card", "code") stands just before a value
    with digits (or anywhere in the sentence when the value was spelled out)."""
    position = lower.find(value.lower()[:5])
    window = lower[max(0, position - 40) : position] if position >= 0 else lower
    return bool(SENSITIVE_RE.search(window))


def _key_part(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _clause_before(lower: str, position: int) -> str:
    """The words of the clause that lead up to `position` (at most `CLAUSE_LOOKBACK`
    characters)."""
    start = max(0, position - CLAUSE_LOOKBACK)
    for match in _CLAUSE_BREAK_RE.finditer(lower, start, position):
        start = match.end()
    return lower[start:position]


def _asks(line: Line, position: int) -> bool:
    """Whether the clause at `position` is a question ("Is your address still 77 Cedar
    Court?"), not a statement followed by one ("I'm allergic to latex, can you note it?")."""
    if not line.question:
        return False
    lower = line.lower
    start = 0
    for match in _CLAUSE_BREAK_RE.finditer(lower, 0, position):
        start = match.end()
    following = _CLAUSE_BREAK_RE.search(lower, position)
    end = following.start() if following else len(lower)
    clause = lower[start:end].strip()
    return end == len(lower) or clause.endswith("?") or bool(QUESTION_OPENING_RE.match(clause))


def _blocked(line: Line, position: int) -> bool:
    """A question, a hypothesis or a negation: nothing said there is a fact."""
    return _asks(line, position) or _guarded(line.lower, position)


def _guarded(lower: str, position: int) -> bool:
    """Whether a hypothesis or a negation governs what is said at `position`."""
    before = _clause_before(lower, position)
    return bool(_HYPOTHETICAL_RE.search(before) or _NEGATION_RE.search(before))


def _is_name(word: str, known: frozenset[str], *, lower_ok: bool = False) -> bool:
    clean = word.strip(".,;:!?\"'")
    if len(clean) < 2 or not clean.replace("-", "").replace("'", "").isalpha():
        return False
    lower = clean.lower()
    if lower in NOT_NAMES or lower.endswith("'s"):
        return False
    return clean[0].isupper() or lower in known or lower_ok


def _names_after(text: str, known: frozenset[str], *, lower_ok: bool = False) -> str:
    """Up to three name words at the start of `text` ("Ruth Adler", "ethan ethan walsh"
    -> "Ethan Walsh"), title-cased; "" if the first word is not a name."""
    words = re.findall(r"[A-Za-z][A-Za-z'-]*|[,.;:!?]", text)
    parts: list[str] = []
    for word in words[:5]:
        if not _is_name(word, known, lower_ok=lower_ok):
            if word == "," and parts and len(parts) == 1:
                continue  # "Tyler, Tyler Wong"
            break
        if parts and parts[-1].lower() == word.lower():
            continue  # a repeat: "ethan ethan walsh"
        if len(parts) == 1 and word.lower() == parts[0].lower():
            continue
        parts.append(word if not word.islower() and not word.isupper() else word.capitalize())
        if len(parts) == 3:
            break
    if len(parts) >= 2 and parts[0].lower() == parts[1].lower():
        parts = parts[1:]
    return " ".join(parts)


_INNER_CAPITAL_RE: Final = re.compile(r"(?<=[a-z,] )([A-Z][a-z]+)\b")


def _known_names(lines: Sequence[Line]) -> frozenset[str]:
    """Words written capitalised inside a sentence somewhere in the call: names, so that the
    same word in lower case elsewhere ("eddie's the only one") is read as one too."""
    names = set()
    for line in lines:
        for match in _INNER_CAPITAL_RE.finditer(line.text):
            word = match.group(1).lower()
            if word not in NOT_NAMES and word not in MAKES and word not in SPECIES:
                names.add(word)
    return frozenset(names)


# --- slots: what an agent's question asks for ---------------------------------------------

_ID_SLOT_RE: Final = re.compile(
    rf"\b(?:(?P<qual>{'|'.join(POLICY_QUALIFIERS)})\s+)?(?P<noun>{ID_NOUNS})\s*"
    r"(?P<kind>number|no\b|num\b|#|id\b)"
)
_SLOT_PATTERNS: Final = (
    (
        "birth_date",
        re.compile(r"\b(?:date of birth|birth ?date|birthday|dob|when were you born)\b"),
    ),
    ("email", re.compile(r"\be-?mail\b")),
    (
        "address",
        re.compile(
            r"\baddress\b|\bwhere(?:'s| is)\s+(?:the|your)\s+(?:property|house|home|"
            r"place|office|shop|unit|rental|job|site)\b|\bwhere are you located\b"
        ),
    ),
    (
        "phone",
        re.compile(
            r"\b(?:phone|best number|number to reach|callback number|good number|the cell|"
            r"your cell|this number|the best number)\b|\bwhat(?:'s| is) the number\b"
        ),
    ),
    (
        "name",
        re.compile(
            r"\b(?:his|her|their|son's|daughter's|wife's|husband's|kid's|child's)"
            r" (?:full )?name\b"
        ),
    ),
    ("pharmacy", re.compile(r"\bpharmacy\b")),
    ("allergies", re.compile(r"\ballerg")),
    (
        "insurance",
        re.compile(
            r"\b(?:do you have|who is|who's|what's|which)\b[^.?]*\binsurance\b"
            r"(?! (?:paperwork|card|policy))"
        ),
    ),
    (
        "vehicle",
        re.compile(
            r"\b(?:which|what) (?:car|vehicle|truck)\b|\bwhich of your "
            r"(?:vehicles|cars)\b|\bwhat did you (?:get|buy)\b|"
            r"\bwhat (?:kind of|make|year is the) (?:car|vehicle|truck)\b|"
            r"\bwhat (?:are|do) you (?:driving|drive)\b|\bwhat(?:'s| is) the (?:car|vehicle)\b"
        ),
    ),
    ("equipment", re.compile(r"\bwhat (?:kind|type|brand|make) of\b|\bwhat do you have now\b")),
    (
        "event",
        re.compile(
            rf"\bwhen(?:'s| is| do you| does| will| are you)? (?:the |your )?"
            rf"(?P<event>{'|'.join(EVENTS)})\b"
        ),
    ),
    ("employer", re.compile(r"\bwhere do you work\b|\bwho(?:'s| is) your employer\b")),
    (
        "business",
        re.compile(
            r"\bwhich (?:company|business)\b|\bwhat(?:'s| is) (?:the name of )?"
            r"your (?:company|business)\b"
        ),
    ),
)
_ASKING_RE: Final = re.compile(
    r"^(?:(?:and|ok|okay|great|thanks|thank you|got it)[,.]?\s+)*(?:(?:can|could|may) i\b|"
    r"(?:i'll|i will|i'd|i) need\b|can you (?:read|give|tell)\b|(?:your|his|her|the)\b[^.]{0,40}$)"
    r"|\b(?:what's|what is|what are|can i (?:get|have)|could i (?:get|have)|may i (?:have|get))\b"
)


@dataclass(frozen=True, slots=True)
class _Slot:
    kind: str
    key: str
    asker: Line
    answer: tuple[Line, ...]

    @property
    def text(self) -> str:
        """The answer's first sentences (a long turn rambles on about other things)."""
        return " ".join(line.text for line in self.answer[:4])[:400]


def _slots(call: _Call) -> Iterator[_Slot]:
    """Each agent question (or "can I get ...") and the caller's answer."""
    lines = call.lines
    for line in lines:
        if line.speaker != "agent" or not (line.question or _ASKING_RE.search(line.lower)):
            continue
        answer = next_turn(lines, line)
        if not answer or answer[0].speaker != "caller":
            continue
        later = [x for x in turn_lines(lines, line.turn) if x.index > line.index]
        if later and any(x.question for x in later):
            continue  # a later question in the same turn is the one answered
        lower = line.lower
        found_id = _ID_SLOT_RE.search(lower)
        if found_id is not None and "social" not in lower:
            yield _Slot(
                "id",
                _id_key(found_id.group("noun"), found_id.group("kind"), found_id.group("qual")),
                line,
                tuple(answer),
            )
        for kind, pattern in _SLOT_PATTERNS:
            match = pattern.search(lower)
            if match is None:
                continue
            if kind == "address" and re.search(r"\be-?mail address\b", lower):
                continue
            if kind == "phone" and found_id is not None:
                continue
            key = kind
            if kind == "event":
                key = f"{EVENTS[match.group('event')]}_date"
            yield _Slot(kind, key, line, tuple(answer))


def _id_key(noun: str, kind: str, qualifier: str | None) -> str:
    noun = noun.replace(" ", "_")
    if kind == "id":
        return f"{noun}_id"
    if noun == "policy" and qualifier:
        return f"{POLICY_QUALIFIERS[qualifier]}_policy_number"
    return f"{noun}_number"


# --- the extractors -------------------------------------------------------------------------

_ID_TRIGGER_RE: Final = re.compile(
    rf"\b(?:(?P<owner>my|our|your|the|this|that)\s+)?(?:(?P<qual>{'|'.join(POLICY_QUALIFIERS)})\s+)?"
    rf"(?P<noun>{ID_NOUNS})\s*(?P<kind>number|no\b|num\b|#|id\b)\s*(?:is|was|'s|:)?\s*"
)
_ASSIGNED_RE: Final = re.compile(
    r"\b(?:opened|created|filed|started|set up|issued|assigned|generated|submitted)\s+"
    r"(?:(?:a|an|the|your)\s+)?(?:new\s+)?$"
)
_ID_GAP_RE: Final = re.compile(r"^(?:[a-z']+\s+){1,4}?(?:is|was)\b\s*")
"""Words between the trigger and the value: "the claim number they gave me is ..."."""


def _identifiers(call: _Call) -> None:
    for line in call.having(
        frozenset({"number", "no", "num", "#", "id"})
        | {w + "#" for w in ("claim", "order", "account", "invoice", "case", "ticket", "policy")}
    ):
        lower = line.lower
        for match in _ID_TRIGGER_RE.finditer(lower):
            owner = match.group("owner") or ""
            if line.speaker == "agent" and (
                (owner not in ("your", "the") and not _ASSIGNED_RE.search(lower, 0, match.start()))
                or line.question
            ):
                continue  # the agent gives a number it assigned: "Your/The claim number is...",
                # "I've opened claim number 26-44190"
            if line.speaker == "caller" and _asks(line, match.start()):
                continue
            before = _clause_before(lower, match.start())
            if re.search(r"\b(?:his|her|their|other|[a-z]+'s)\s*$", before) or _NEGATION_RE.search(
                before
            ):
                continue
            rest = (
                line.text[match.end() :]
                + " "
                + " ".join(
                    x.text for x in turn_lines(call.lines, line.turn)[:8] if x.index > line.index
                )
            )[:200]
            value = read_identifier(rest)
            gap = _ID_GAP_RE.match(rest.lower())
            if value is None and gap is not None:
                value = read_identifier(rest[gap.end() :])
            if value is None:
                continue
            key = _id_key(match.group("noun"), match.group("kind"), match.group("qual"))
            call.add("fact", key, value, line)


_BARE_ID_NOUNS: Final = frozenset(
    {"claim", "policy", "order", "account", "invoice", "case", "ticket", "confirmation",
     "reference", "permit", "reservation", "booking", "incident", "tracking"}
)  # fmt: skip
_BARE_ID_RE: Final = re.compile(
    rf"\b(?:(?P<owner>my|our|your|the|this|that|about|on|for)\s+)?"
    rf"(?:(?P<qual>{'|'.join(POLICY_QUALIFIERS)})\s+)?(?P<noun>{'|'.join(sorted(_BARE_ID_NOUNS))})"
    r"\s+(?=[a-z0-9])(?!(?:number|no|num|id|is|was|for|and|or|on|in|to|of|from|i|we)\b)"
)
"""An identifier named by its noun alone: "my claim HC-44817", "about claim H C 4 4 8 1 7"."""


def _bare_identifiers(call: _Call) -> None:
    """ "claim HC-44817" without the word "number": the same fact as "claim number HC-44817",
    when what follows is identifier-shaped (at least four digits in five characters or more)."""
    for line in call.having(_BARE_ID_NOUNS):
        lower = line.lower
        for match in _BARE_ID_RE.finditer(lower):
            owner = match.group("owner") or ""
            if line.speaker == "agent" and (owner not in ("your", "the") or line.question):
                continue
            if line.speaker == "caller" and _asks(line, match.start()):
                continue
            before = _clause_before(lower, match.start())
            if re.search(r"\b(?:his|her|their|other|[a-z]+'s)\s*$", before) or _NEGATION_RE.search(
                before
            ):
                continue
            value = read_identifier(line.text[match.end() :][:120], max_lead=0)
            if value is None or len(value) < 5 or sum(c.isdigit() for c in value) < 4:
                continue
            key = _id_key(match.group("noun"), "number", match.group("qual"))
            call.add("fact", key, value, line)


def _slot_answers(call: _Call, slots: Sequence[_Slot]) -> None:
    for slot in slots:
        answer = slot.answer[0]
        text = slot.text
        lower = text.lower()
        if slot.kind == "id":
            value = read_identifier(text)
            if value is None:
                # "Your name and the policy number?" - "Denise Alvarez. It's C O N 4 4 7 1 9 0."
                value = next(
                    (v for x in slot.answer[1:4] if (v := read_identifier(x.text)) is not None),
                    None,
                )
            if value is not None and not SENSITIVE_RE.search(lower):
                call.add("fact", slot.key, value, answer)
        elif slot.kind == "birth_date":
            dated = [d for d in read_dates(text) if d.dated]
            if dated:
                member = _member_for(call, slot.asker)
                key = "birth_date" if member is None else f"{member.key}_birth_date"
                named = _NAMED_DATE_RE.search(slot.asker.lower)
                if member is None and named and named.group(1) not in RELATIONS:
                    key = f"{_PENDING}{named.group(1)}_birth_date"  # named later in the call
                call.add("fact", key, _corrected_year(dated[-1].birth_date(), text), answer)
        elif slot.kind == "email":
            found = find_email(text)
            if found is not None:
                call.add("fact", "email", found[1], answer)
        elif slot.kind == "name":
            member = _member_for(call, slot.asker)
            name = _names_after(_strip_lead(text), call.known_names, lower_ok=True)
            if member is not None and name:
                member.name = name
                call.add("person", member.key, name, answer)
        elif slot.kind == "pharmacy":
            value = re.split(r"[.?!]", _strip_lead(text))[0]
            value = re.sub(r"^(?:the|my|our)\s+", "", value, flags=re.IGNORECASE)
            if value and not declines(slot.answer):
                call.add("fact", "pharmacy", value, answer)
        elif slot.kind == "allergies":
            if not declines(slot.answer) and not re.match(r"^(?:none|nothing|not that)", lower):
                items = _allergy_items(re.split(r"[.?!]", _strip_lead(text))[0])
                if items:
                    call.add("fact", "allergies", items, answer)
        elif slot.kind == "insurance":
            if not declines(slot.answer):
                value = _capitalised_phrase(_strip_lead(text), call.known_names)
                if value:
                    call.add("fact", "insurance_provider", value, answer)
        elif slot.kind == "business":
            value = _capitalised_phrase(_strip_lead(text), frozenset())
            if value:
                call.add("fact", "business_name", value, answer)
        elif slot.kind == "employer":
            value = _capitalised_phrase(
                re.sub(r"^(?:at|for)\s+", "", _strip_lead(text)), frozenset()
            )
            if value:
                call.add("fact", "employer", value, answer)
        elif slot.kind == "event":
            dated = [d for d in read_dates(text) if d.dated]
            if dated:
                call.add("moment", slot.key, dated[-1].birth_date(), answer)


_YEAR_REPAIR_RE: Final = re.compile(
    r"\b(?:sorry|no wait|wait|i mean|actually|no)[,.]?\s+(?:it's\s+|it was\s+)?((?:19|20)\d\d)\b"
    r"(?!\s*[-/])",
    re.IGNORECASE,
)


def _corrected_year(value: str, text: str) -> str:
    """ "July 22nd 2009... sorry, 2010": the year said again after a repair replaces it."""
    repairs = list(_YEAR_REPAIR_RE.finditer(text))
    repair = repairs[-1] if repairs else None
    if repair is None or not re.match(r"^\d{4}-", value) or value.startswith(repair.group(1)):
        return value
    if text.find(value[:4]) > repair.start() or value[:4] not in text:
        return value  # the year repaired is not the one read
    return repair.group(1) + value[4:]


_NAMED_DATE_RE: Final = re.compile(r"\b([a-z]+)'s (?:full )?(?:date of birth|birthday|dob)\b")
_PENDING: Final = "pending:"


def _strip_lead(text: str) -> str:
    """An answer without its opening "yes", "sure, it's", "um"."""
    return re.sub(
        r"^(?:(?:yes|yeah|yep|sure|ok|okay|um|uh|so|well|it's|its|it is|that's|that is|"
        r"i'm|i am|oh|hi|the name is|my name is)\b[, ]*)+",
        "",
        text.strip(),
        flags=re.IGNORECASE,
    )


def _member_for(call: _Call, asker: Line) -> _Member | None:
    """Whose detail an agent asks for: "his date of birth" -> the last male household
    member mentioned; "jayden's date of birth" -> Jayden; "your ..." -> None (the caller)."""
    lower = asker.lower
    named = re.search(r"\b([a-z]+)'s (?:full )?(?:date of birth|birthday|name|dob)\b", lower)
    known = [m for m in call.members if m.line < asker.index]
    if named:
        word = named.group(1)
        if word in RELATIONS:
            relation = RELATIONS[word][0]
            match = [m for m in known if m.relation == relation]
            if match:
                return match[-1]
            member = _Member(relation, RELATIONS[word][1], "", asker.index)
            call.members.append(member)
            return member
        match = [m for m in known if m.name and m.name.split()[0].lower() == word]
        return match[-1] if match else None
    pronoun = re.search(r"\b(his|her|their)\b", lower)
    if pronoun is None:
        return None
    gender = {"his": "m", "her": "f", "their": ""}[pronoun.group(1)]
    match = [m for m in known if not gender or m.gender in (gender, "")]
    return match[-1] if match else None


_RELATION_RE: Final = re.compile(
    rf"\b(?:my|our)\s+(?P<adj>(?:[a-z]+\s+){{0,2}}?)"
    rf"(?P<rel>{'|'.join(sorted(RELATIONS, key=len, reverse=True))})(?![-\w])"
    r"(?P<poss>'s)?"
)
_PLURAL_RELATION_RE: Final = re.compile(
    rf"\b(?:my|our)\s+(?:(?:two|three|four|2|3|4)\s+)?(?P<rel>{'|'.join(PLURAL_RELATIONS)})"
    r"(?:\s+are\s+|,\s+(?=[a-z]+(?:,\s+[a-z]+)*,?\s+and\s+[a-z]+\b))"
)
"""Children named together: "my kids are Ava and Noah", "my two kids, Aiden and Maya"."""


def _household(call: _Call) -> None:
    for line in call.having(frozenset({"my", "our"})):
        if line.speaker != "caller":
            continue
        lower = line.lower
        for match in _RELATION_RE.finditer(lower):
            if re.search(r"\b(?:ex|late|former)[- ]?$", lower[: match.start("rel")]) or re.search(
                r"\b(?:ex|late|former|step|friend's|neighbor's)\b", match.group("adj")
            ):
                continue
            if match.group("adj") and not re.fullmatch(
                r"(?:(?:teenage|little|older|younger|oldest|youngest|new|elder|baby|adult|"
                r"grown|twin|\d+-year-old)\s+)+",
                match.group("adj"),
            ):
                continue  # "my car insurance son"? only words that describe the person
            relation, gender = RELATIONS[match.group("rel")]
            rest = line.text[match.end() :]
            name = ""
            if match.group("poss"):
                named = re.match(r"\s+name(?:'s| is)\s+(.*)", rest, re.IGNORECASE)
                if named:
                    name = _names_after(named.group(1), call.known_names)
            else:
                # "my wife Elena", "my mom, Ruth Adler", "my daughter is Zara"
                rest = re.sub(
                    r"^\s*,?\s*(?:(?:is|was)\s+(?:named\s+|called\s+)?|named\s+|called\s+)?",
                    "",
                    rest,
                )
                name = _names_after(rest, call.known_names)
            if name and _blocked(line, match.start()):
                continue
            member = _Member(relation, gender, name, line.index)
            call.members.append(member)
            if name:
                call.add("person", member.key, name, line)
        for match in _PLURAL_RELATION_RE.finditer(lower):
            relation = PLURAL_RELATIONS[match.group("rel")]
            rest = line.text[match.end() :]
            listed = _NAME_LIST_RE.match(rest)  # "Emma, Liam and Zoe"
            said = listed.group() if listed else re.split(r"[,.;]\s", rest)[0]
            for name in re.findall(r"\b([A-Z][a-z]+)\b", said):
                if _is_name(name, call.known_names):
                    member = _Member(relation, "", name, line.index)
                    call.members.append(member)
                    call.add("person", member.key, name, line)


_NAME_LIST_RE: Final = re.compile(r"\s*[A-Z][a-z]+(?:,\s*[A-Z][a-z]+)*,?\s+and\s+[A-Z][a-z]+\b")
_BIRTH_RE: Final = re.compile(
    r"\b(?:(?P<who>my|his|her|[a-z]+'s)\s+)?(?:date of birth|birth ?date|birthday|dob)"
    r"(?:\s+is|'s|:)?\s*|\bi was born(?:\s+on|\s+in)?\s*"
)


_PRONOUN_NAME_RE: Final = re.compile(r"\b(?P<p>his|her)\s+name(?:'s|\s+is)\s+(?P<rest>.*)", re.I)


def _member_names(call: _Call) -> None:
    """ "My teenage son backed into a pole ... His name is Liam": the last member named."""
    for line in call.having(frozenset({"name", "name's"})):
        if line.speaker != "caller" or line.question:
            continue
        match = _PRONOUN_NAME_RE.search(line.text)
        if match is None:
            continue
        gender = "m" if match.group("p").lower() == "his" else "f"
        known = [m for m in call.members if m.gender == gender and m.line <= line.index]
        name = _names_after(match.group("rest"), call.known_names)
        if known and name and not known[-1].name:
            known[-1].name = name
            call.add("person", known[-1].key, name, line)


def _birth_dates(call: _Call) -> None:
    for line in call.having(frozenset({"birth", "birthday", "dob", "born", "birthdate"})):
        if line.speaker != "caller":
            continue
        for match in _BIRTH_RE.finditer(line.lower):
            who = match.group("who") or "my"
            if _asks(line, match.start()):
                continue
            dated = [d for d in read_dates(line.text[match.end() :]) if d.dated]
            if not dated:
                continue
            if who == "my":
                call.add("fact", "birth_date", dated[0].birth_date(), line)
                continue
            member = None
            if who in ("his", "her"):
                gender = "m" if who == "his" else "f"
                candidates = [
                    m for m in call.members if m.gender == gender and m.line <= line.index
                ]
                member = candidates[-1] if candidates else None
            elif who.endswith("'s"):
                word = who[:-2]
                relation = RELATIONS.get(word, ("", ""))[0]
                candidates = [
                    m
                    for m in call.members
                    if m.relation == relation or (m.name and m.name.split()[0].lower() == word)
                ]
                member = candidates[-1] if candidates else None
            if member is not None:
                call.add("fact", f"{member.key}_birth_date", dated[0].birth_date(), line)


_STREET_RE: Final = re.compile(
    r"(?<![\d$.,-])\b(?P<number>\d{1,6})\s+(?P<name>(?:[A-Za-z][\w'.-]*\s+){0,4}?[A-Za-z][\w'.-]*)\s+"
    rf"(?P<suffix>{'|'.join(STREET_SUFFIXES)})\b\.?"
    r"(?:,?\s*(?P<unit>apartment|apt|unit|suite|ste|#)\.?\s*(?P<unitno>[A-Za-z0-9-]+))?"
    r"(?:(?:,\s*|,?\s+(?:now,?\s+)?in\s+)(?P<city>(?-i:[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?))\b)?",
    re.IGNORECASE,
)
_SPACED_DIGITS_RE: Final = re.compile(r"\b\d(?:[ ,]+\d\b)+")


def joined_digits(text: str) -> str:
    """Digits said one by one joined, the same length ("9 0 2 0 East" -> "9020    East";
    "5 1 2, 5 5 5, 0 1 9 3" -> one run): positions in `text` stay valid."""
    return _SPACED_DIGITS_RE.sub(
        lambda m: "".join(c for c in m.group() if c.isdigit()).ljust(len(m.group())), text
    )


_MOVED_RE: Final = re.compile(
    r"(?i:\b(?:we|i)(?:'ve| have)?\s+(?:just\s+|recently\s+|finally\s+)?(?:moved|relocated)\s+"
    r"(?:out\s+)?to\s+)(?P<city>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)"
)
_ADDRESS_QUALIFIERS: Final = (
    ("property_address", re.compile(r"\b(?:property|rental|rent out|landlord)\b")),
    ("business_address", re.compile(r"\b(?:business|shop|office|store|company|warehouse)\b")),
    ("mailing_address", re.compile(r"\b(?:mailing|billing|p\.?o\.? box)\b")),
)


def _address_value(match: re.Match[str]) -> str:
    name_words = match.group("name").split()
    shown = " ".join(w if not w.islower() else w.capitalize() for w in name_words)
    value = f"{match.group('number')} {shown} {STREET_SUFFIXES[match.group('suffix').lower()]}"
    if match.group("unit"):
        unit = match.group("unit").lower()
        label = {"apt": "Apartment", "ste": "Suite", "#": "Unit"}.get(unit, unit.capitalize())
        value += f", {label} {match.group('unitno')}"
    city = match.group("city")
    if city and city.split()[0].lower() not in NOT_NAMES | {"the"}:
        value += f", {city}"
    return value


def _addresses(call: _Call, slots: Sequence[_Slot]) -> None:
    slot_for = {s.answer[0].turn: s for s in slots if s.kind == "address"}
    for line in call.lines:
        lower = line.lower
        if line.speaker == "agent" or not (
            "moved" in line.words or "relocated" in line.words or _HAS_DIGIT_RE.search(lower)
        ):
            continue
        for match in _STREET_RE.finditer(joined_digits(line.text)):
            words = match.group("name").lower().split()
            if any(w in NOT_NAMES and w not in ("north", "south", "east", "west") for w in words):
                continue
            if _asks(line, match.start()) and line.turn not in slot_for:
                continue
            before = _clause_before(lower, match.start())
            if _HYPOTHETICAL_RE.search(before) or _NEGATION_RE.search(before):
                continue
            if _THIRD_PARTY_RE.search(before) and not _FIRST_PERSON_RE.search(before):
                continue
            slot = slot_for.get(line.turn)
            context = turn_text(call.lines, line.turn)
            if slot is not None:
                # "I'd like to update my mailing address" - "What's the new address?" - "12 Elm St"
                context += " " + slot.asker.lower + " " + turn_text(call.lines, slot.asker.turn - 1)
            key = "home_address"
            for qualified, pattern in _ADDRESS_QUALIFIERS:
                if pattern.search(context):
                    key = qualified
                    break
            call.add("fact", key, _address_value(match), line)
        for match in _MOVED_RE.finditer(line.text):
            city = match.group("city")
            if city.split()[0].lower() in NOT_NAMES or _blocked(line, match.start()):
                continue
            call.add("fact", "home_address", city, line)


def _confirmed_read_backs(call: _Call) -> None:
    """ "Is your address still 77 Cedar Court?" - "Yes." : the agent's value, confirmed."""
    for line in call.lines:
        if line.speaker != "agent" or not line.question:
            continue
        answer = next_turn(call.lines, line)
        if not answer or not affirms(answer):
            continue
        for match in _STREET_RE.finditer(line.text):
            call.add("fact", "home_address", _address_value(match), answer[0])
        if re.search(r"\b(?:email|e-mail)\b", line.lower):
            found = find_email(line.text)
            if found is not None:
                call.add("fact", "email", found[1], answer[0])


_VEHICLE_RE: Final = re.compile(
    rf"\b(?P<make>{'|'.join(sorted(MAKES, key=len, reverse=True))})\s+"
    r"(?P<model>[a-z0-9][\w-]*)(?:\s+(?P<model2>[a-z0-9][\w-]*))?",
    re.IGNORECASE,
)
_REMOVAL_RE: Final = re.compile(
    r"\b(?:sold|selling|sell|traded|trading|trade in|totaled|totalled|got rid of|returned|"
    r"gave away|scrapped|by a|by an|other|hit|rear-ended)\b"
)


def _vehicles(call: _Call, slots: Sequence[_Slot]) -> None:
    vehicle_answers = {s.answer[0].turn for s in slots if s.kind == "vehicle"}
    for line in call.having(frozenset(MAKES)):
        if line.speaker != "caller":
            continue
        lower = line.lower
        for match in _VEHICLE_RE.finditer(line.text):
            model = match.group("model")
            if model.lower() in VEHICLE_NOUNS or (
                model.lower() in NOT_NAMES and not any(c.isdigit() for c in model)
            ):
                continue
            words = [model]
            second = match.group("model2")
            if second and (
                model.lower() in TWO_WORD_MODELS
                or (any(c.isdigit() for c in second) and len(second) <= 4)
            ):
                words.append(second)
            before = _clause_before(lower, match.start())
            if _asks(line, match.start()):
                continue
            # "I need to add my new car, it's a 2023 Hyundai Tucson": owned in the sentence.
            owned = _FIRST_PERSON_RE.search(lower[: match.start()]) or line.turn in vehicle_answers
            if not owned or _REMOVAL_RE.search(before) or _HYPOTHETICAL_RE.search(before):
                continue
            if _NEGATION_RE.search(before):
                continue
            if _THIRD_PARTY_RE.search(before) and not _FIRST_PERSON_RE.search(before):
                continue  # "my son borrowed it, he drives a Jeep Cherokee": the son's
            year = _year_before(line.text[: match.start()])
            make = MAKES[match.group("make").lower()]
            shown = [
                w
                if not w.islower()
                else (w.upper() if any(c.isdigit() for c in w) else w.capitalize())
                for w in words
            ]
            key = "vehicle_" + _key_part(make.split("-")[0]) + "_" + _key_part(" ".join(words))
            value = " ".join(([str(year)] if year else []) + [make, *shown])
            call.add("fact", key, value, line)


def _year_before(text: str) -> int | None:
    """A model year just before a make: "2019", "twenty nineteen", "two thousand nine"."""
    words = re.findall(r"[a-z0-9]+", text.lower())[-4:]
    for start in range(len(words)):
        found = year_at(words, start)
        if found is not None and start + found[1] == len(words):
            return found[0]
    return None


def _emails(call: _Call, slots: Sequence[_Slot]) -> None:
    for line in call.lines:
        if line.speaker != "caller" or ("@" not in line.lower and line.words.isdisjoint(_AT_WORDS)):
            continue
        found = find_email(line.text)
        if found is None:
            continue
        before = line.lower[: found[0]]
        if re.search(r"\b(?:his|her|their|[a-z]+'s)\s+(?:e-?mail|address)\b", before):
            continue
        call.add("fact", "email", found[1], line)


_PHONE_TYPE_RE: Final = re.compile(
    r"\b(?P<t>cell|mobile|home|house|work|office)(?: phone| number| line)?\b"
)
_PHONE_TYPES: Final = {"cell": "cell", "mobile": "cell", "home": "home", "house": "home",
                       "work": "work", "office": "work"}  # fmt: skip


_PHONE_NAMED_AFTER_RE: Final = re.compile(
    r"^(?:that's|that is|this is|it's|it is)\s+(?:my|our|the)\s+(?P<t>cell|mobile|home|house|work|"
    r"office)\b"
)


def _phones(call: _Call, slots: Sequence[_Slot]) -> None:
    phone_answers = {s.answer[0].turn for s in slots if s.kind == "phone"}
    for line in call.lines:
        if line.speaker != "caller" or not _TEN_DIGITS_RE.search(line.lower):
            continue
        found = find_phone(line.text) or find_phone(joined_digits(line.text))
        if found is None:
            continue
        own_turn = turn_lines(call.lines, line.turn)
        said = " ".join(x.lower for x in own_turn if x.index <= line.index)
        if not re.search(r"\b(?:number|phone|cell|mobile|reach me|call me)\b", said) and (
            line.turn not in phone_answers
        ):
            continue
        if SENSITIVE_RE.search(said):
            continue
        kind = ""
        for match in _PHONE_TYPE_RE.finditer(said):
            if not _NEGATION_RE.search(_clause_before(said, match.start())):
                kind = _PHONE_TYPES[match.group("t")]
        slot = next((s for s in slots if s.kind == "phone" and s.answer[0].turn == line.turn), None)
        if not kind and slot is not None:
            # "can she call my cell?" - "sure, what's the number?" - "773 555 0128"
            asked_about = slot.asker.lower + " " + turn_text(call.lines, slot.asker.turn - 1)
            for asked in _PHONE_TYPE_RE.finditer(asked_about):
                if not _NEGATION_RE.search(_clause_before(asked_about, asked.start())):
                    kind = _PHONE_TYPES[asked.group("t")]
                    break
        if not kind:
            # "It's 720 555 0148. That's my work line."
            after = next((x for x in own_turn if x.index == line.index + 1), None)
            named = _PHONE_NAMED_AFTER_RE.match(after.lower) if after is not None else None
            kind = _PHONE_TYPES[named.group("t")] if named else ""
        call.add("fact", f"{kind}_phone" if kind else "phone_number", found[1], line)


_CONTACT_PHONE_RE: Final = re.compile(
    r"\b(?:call|reach|text|contact|try)\s+(?:me\s+)?(?:(?:on|at)\s+)?(?:my|the)\s+"
    r"(?P<t>cell|mobile|home|house|work|office)\b"
)
_BEST_WAY_RE: Final = re.compile(
    r"\b(?:my\s+)?(?P<t>cell|mobile|home|work|office)(?:\s+(?:phone|number|line))?\s+(?:is|'s)\s+"
    r"(?:the\s+)?(?:best|easiest|better)\b"
)
_THIS_IS_MY_RE: Final = re.compile(
    r"\b(?:this|it)(?:'s| is| one's| one is)\s+(?:my\s+)?"
    r"(?P<t>cell|mobile|home|work)\b"
)
_METHOD_PATTERNS: Final = (
    re.compile(
        r"\b(?P<m>texts?|texting|e-?mails?|mail|calls?|calling|phone|portal)\s+"
        r"(?:is|are|works)\s+(?:the\s+)?(?:best|better|easier|easiest|preferred)\b"
    ),
    re.compile(
        r"\b(?:i(?:'d)?\s+(?:prefer|rather)|i\s+would\s+rather)\s+(?:you\s+)?(?:to\s+)?"
        r"(?P<m>text|e-?mail|mail|call)\b"
    ),
    re.compile(
        r"\bjust\s+(?P<m>text|e-?mail|mail)(?:\s+me)?\b(?!\s+(?:the|a|an|it|them|my|your)\b)"
    ),
    re.compile(
        r"\b(?P<m>text|e-?mail)\s+me\b(?=.{0,40}\b(?:never|don't|do not|can't|cannot|rarely)"
        r"\s+(?:answer|pick up|check|listen|get))"
    ),
    re.compile(r"\b(?P<m>text|e-?mail)\s+me\s+(?:reminders|updates|instead|only)\b"),
    re.compile(  # "text me, don't call"
        r"\b(?P<m>text|e-?mail|call)\s+me,?\s+(?:please\s+)?(?:don't|do not|not|never)\s+"
        r"(?:call|phone|text|e-?mail|mail)\b"
    ),
    re.compile(r"\b(?P<m>mail|e-?mail|text)\b[^.?!]{0,40}\binstead of\b"),
    re.compile(r"\b(?:through|via|in|on)\s+the\s+(?:patient\s+|online\s+)?(?P<m>portal)\b"),
)
_METHODS: Final = {"text": "text", "texts": "text", "texting": "text", "email": "email",
                   "e-mail": "email", "emails": "email", "e-mails": "email", "mail": "mail",
                   "call": "call", "calls": "call", "calling": "call", "phone": "call",
                   "portal": "portal"}  # fmt: skip
_CONTACT_TIME_RE: Final = re.compile(
    r"\b(?:call|reach|contact|text)\s+(?:me\s+)?(?:[a-z' ]{0,25}?\s)?(?P<rel>after|before)\s+"
    r"(?P<h>\d{1,2})(?::(?P<m>\d\d))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?(?!\d)"
)
_CONTACT_PART_RE: Final = re.compile(
    r"\b(?P<p>mornings?|afternoons?|evenings?|weekends?|weekdays?|nights?)\s+(?:are|is|work)\s+"
    r"(?:the\s+)?(?:best|better|good|great|easiest)\b"
)


_THIS_NUMBER_RE: Final = re.compile(r"\b(?:this|that) number\b")


def _contact(call: _Call, slots: Sequence[_Slot]) -> None:
    number_asked = {s.answer[0].turn for s in slots if s.kind == "phone"}
    this_number: dict[int, bool] = {}
    for line in call.having(_CONTACT_WORDS):
        if line.speaker != "caller":
            continue
        lower = line.lower
        request = bool(
            re.match(
                r"^(?:(?:and|also|so|ok|okay|oh|um|well|yes|yeah)[ ,]+)*(?:can|could|would)\b",
                lower,
            )
        )
        if line.question and not request:
            continue
        for match in _CONTACT_PHONE_RE.finditer(lower):
            if (not _blocked(line, match.start()) or request) and not _NEGATION_RE.search(
                _clause_before(lower, match.start())
            ):
                call.add("preference", "contact_phone", _PHONE_TYPES[match.group("t")], line)
        if line.turn not in this_number:  # once per turn, not once per line
            this_number[line.turn] = bool(_THIS_NUMBER_RE.search(turn_text(call.lines, line.turn)))
        if line.turn in number_asked or this_number[line.turn]:
            for match in _THIS_IS_MY_RE.finditer(lower):
                call.add("preference", "contact_phone", _PHONE_TYPES[match.group("t")], line)
        for match in _BEST_WAY_RE.finditer(lower):
            if not _NEGATION_RE.search(_clause_before(lower, match.start())):
                call.add("preference", "contact_phone", _PHONE_TYPES[match.group("t")], line)
        for pattern in _METHOD_PATTERNS:
            for match in pattern.finditer(lower):
                before = _clause_before(lower, match.start())
                if _NEGATION_RE.search(before) and "just" not in before:
                    continue
                call.add("preference", "contact_method", _METHODS[match.group("m")], line)
        for match in _CONTACT_TIME_RE.finditer(lower):
            if _NEGATION_RE.search(_clause_before(lower, match.start())):
                continue
            hour = int(match.group("h"))
            ampm = (match.group("ampm") or "").replace(".", "")
            if not ampm:
                ampm = "pm" if 1 <= hour <= 6 or hour == 12 else "am"
            if not 1 <= hour <= 12:
                continue
            minutes = f":{match.group('m')}" if match.group("m") else ""
            call.add(
                "preference", "contact_time", f"{match.group('rel')} {hour}{minutes} {ampm}", line
            )
        for match in _CONTACT_PART_RE.finditer(lower):
            part = match.group("p")
            call.add("preference", "contact_time", part if part.endswith("s") else part + "s", line)


_LANGUAGE_RE: Final = re.compile(
    rf"\b(?:i|we)\s+(?:prefer|speak|need|want)\s+(?:in\s+)?(?P<a>{'|'.join(LANGUAGES)})\b|"
    rf"\bmy\s+(?P<b>{'|'.join(LANGUAGES)})\s+is\s+better\b"
)


def _language(call: _Call) -> None:
    for line in call.having(LANGUAGES):
        lower = line.lower
        if line.speaker == "caller":
            for match in _LANGUAGE_RE.finditer(lower):
                language = match.group("a") or match.group("b")
                if language != "english" and not _blocked(line, match.start()):
                    call.add("preference", "language", language.capitalize(), line)
        elif line.speaker == "agent" and line.question:
            offered = re.search(
                rf"\b(?P<l>{'|'.join(LANGUAGES)})[- ]speaking\b|\bin "
                rf"(?P<m>{'|'.join(LANGUAGES)})\b",
                lower,
            )
            answer = next_turn(call.lines, line)
            if offered and answer and affirms(answer):
                language = offered.group("l") or offered.group("m")
                if language != "english":
                    call.add("preference", "language", language.capitalize(), answer[0])


_NAME_TOKEN: Final = r"(?P<n>(?:dr\.?\s+)?[A-Za-z][a-z'-]+)"  # noqa: S105 (a name, not a secret)
_PROVIDER_PATTERNS: Final = (
    re.compile(
        r"\b(?:i|we)\s+(?:always|usually|normally|only|typically|regularly)\s+"
        r"(?:see|go to|get|book with|work with|use|ask for|have)\s+" + _NAME_TOKEN,
        re.I,
    ),
    re.compile(r"\bmy\s+(?:usual|regular|normal)(?:\s+\w+)?\s+with\s+" + _NAME_TOKEN, re.I),
    re.compile(
        _NAME_TOKEN + r"(?:'s|\s+is)\s+(?:the only one|my\s+(?:stylist|dentist|doctor|"
        r"hygienist|barber|colorist|guy|girl|person|accountant|lawyer|attorney|tech))",
        re.I,
    ),
    re.compile(
        r"\bmy\s+(?:stylist|dentist|doctor|hygienist|barber|colorist|accountant|lawyer|"
        r"attorney|groomer)\s+is\s+" + _NAME_TOKEN,
        re.I,
    ),
    re.compile(
        r"\bwith\s+" + _NAME_TOKEN + r",?\s+(?:she|he|they)\s+(?:did|does|cut|cuts|"
        r"colored|colors|always|usually|took care)\b",
        re.I,
    ),
    re.compile(
        r"\b(?:i|we)(?:'d| would)\s+(?:rather|prefer to|like to)\s+(?:see|have|book with|stay with|"
        r"stick with|go with)\s+" + _NAME_TOKEN + r"(?=\s+(?:from now on|going forward|next time|"
        r"again|instead|every time|each time)\b)",
        re.I,
    ),
    re.compile(
        r"\b(?:i|we)\s+(?:want|prefer|'d prefer|would prefer)\s+"
        r"(?:to\s+(?:see|stay with|stick with)\s+)?"
        + _NAME_TOKEN
        + r"\s+(?:from now on|going forward|every time|each time)\b",
        re.I,
    ),
)


def _preferred_provider(call: _Call) -> None:
    for line in call.having(_PROVIDER_WORDS):
        if line.speaker != "caller":
            continue
        for pattern in _PROVIDER_PATTERNS:
            for match in pattern.finditer(line.text):
                raw = match.group("n")
                title = re.match(r"dr\.?\s+", raw, re.IGNORECASE)
                word = raw[title.end() :] if title else raw
                if not _is_name(word, call.known_names) or _blocked(line, match.start()):
                    continue
                shown = word if not word.islower() else word.capitalize()
                call.add(
                    "preference", "preferred_provider", f"Dr. {shown}" if title else shown, line
                )


_CAPITALISED_RE: Final = re.compile(r"[A-Z][A-Za-z'&.-]*(?:\s+(?:[A-Z][A-Za-z'&.-]*|of|&))*")


def _capitalised_phrase(text: str, known: frozenset[str]) -> str:
    """The first run of capitalised words in `text` ("Blue Cross Blue Shield now" ->
    "Blue Cross Blue Shield"); "" if none (a common word alone is not one)."""
    text = re.split(r"[.!?](?:\s|$)", text[:80])[0]
    match = _CAPITALISED_RE.search(text)
    if match is None:
        return ""
    words = match.group().split()
    while words and words[-1].lower() in ("of", "&", "and"):
        words.pop()
    if not words or (len(words) == 1 and words[0].lower().strip(".") in NOT_NAMES):
        return ""
    if words[0].lower() in ("yes", "yeah", "no", "the", "it's", "its", "i", "i'm", "and", "so"):
        return _capitalised_phrase(text[match.start() + len(words[0]) + 1 :], known)
    return " ".join(words).strip(" .,")


_INSURER_PATTERNS: Final = (
    re.compile(
        r"\b(?:my|our)\s+(?:new\s+)?(?:dental\s+|health\s+|medical\s+|vision\s+)?insurance"
        r"(?:\s+(?:provider|carrier|company|plan))?\s+is\s+(?:now\s+)?",
        re.I,
    ),
    re.compile(r"\binsurance,?\s+it's\s+", re.I),
)


_ON_INSURER_RE: Final = re.compile(
    r"\b(?:we're|we are|i'm|i am)\s+(?:now\s+)?(?:on|with)\s+(?=[A-Z])|"
    r"\b(?:we|i)\s+(?:just\s+)?(?:switched|changed|moved)\s+(?:over\s+)?to\s+(?=[A-Z])",
    re.I,
)


def _insurers(call: _Call) -> None:
    for line in call.having(frozenset({"insurance", "now", "switched", "coverage"})):
        if line.speaker != "caller":
            continue
        for pattern in _INSURER_PATTERNS:
            for match in pattern.finditer(line.text):
                if _blocked(line, match.start()):
                    continue
                value = _capitalised_phrase(line.text[match.end() :], call.known_names)
                if value:
                    call.add("fact", "insurance_provider", value, line)
        now = re.search(r"\b(?i:it's|it is)\s+(?P<v>[A-Z][^,.;]*?)\s+now\b", line.text)
        context = " ".join(x.lower for x in [*previous_turn(call.lines, line), line])
        if "insurance" in context or "coverage" in context:
            # "we switched insurance, we're on Aetna now, not MetLife anymore"
            for match in _ON_INSURER_RE.finditer(line.text):
                if _blocked(line, match.start()):
                    continue
                value = _capitalised_phrase(line.text[match.end() :], call.known_names)
                if value:
                    call.add("fact", "insurance_provider", value, line)
        if now and ("insurance" in context or "on file" in context):
            value = _capitalised_phrase(now.group("v"), call.known_names)
            if value:
                call.add("fact", "insurance_provider", value, line)


_EMPLOYER_RE: Final = re.compile(
    r"\b(?:i|we)\s+(?:work|am employed|'m employed)\s+(?:at|for)\s+|\b(?:employee|employed)\s+"
    r"(?:at|of|with|by)\s+|\bmy employer is\s+",
    re.I,
)


def _employer(call: _Call) -> None:
    for line in call.having(frozenset({"work", "employed", "employee", "employer"})):
        if line.speaker != "caller":
            continue
        for match in _EMPLOYER_RE.finditer(line.text):
            before = _clause_before(line.lower, match.start())
            if re.search(r"\b(?:used to|was|were|former|fired|laid off)\b", before):
                continue
            value = _capitalised_phrase(line.text[match.end() :], frozenset())
            if value and not _blocked(line, match.start()):
                call.add("fact", "employer", value, line)


_BUSINESS_PATTERNS: Final = (
    re.compile(r"\b(?:from|with)\s+(?=[A-Z])", 0),
    re.compile(
        r"\b(?:i|we)\s+(?:own|run|operate|have)\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,3}?[\w-]+,?\s+"
        r"(?:called\s+|"
        r"named\s+)?(?=[A-Z])",
        re.I,
    ),
    re.compile(
        r"\bmy\s+(?:business|company|shop|store|firm|practice|restaurant|bakery)"
        r"(?:'s name)?\s+is\s+(?:called\s+)?",
        re.I,
    ),
    re.compile(  # "single member LLC, Summit Path Consulting"
        r"\b(?:llc|inc|corporation|corp|partnership|s[- ]corp)\.?[,:]\s+(?:it's\s+|called\s+)?"
        r"(?=[A-Z])",
        re.I,
    ),
)


def _business(call: _Call) -> None:
    for line in call.having(
        frozenset(
            {
                "run",
                "operate",
                "from",
                "with",
                "own",
                "business",
                "company",
                "shop",
                "store",
                "firm",
                "practice",
                "restaurant",
                "bakery",
                "llc",
                "inc",
                "corporation",
                "corp",
                "partnership",
            }
        )
    ):
        if line.speaker != "caller":
            continue
        for index, pattern in enumerate(_BUSINESS_PATTERNS):
            for match in pattern.finditer(line.text):
                value = _capitalised_phrase(line.text[match.end() :], frozenset())
                if not value or _asks(line, match.start()):
                    continue
                last = value.split()[-1].lower().strip(".")
                if index == 0 and (
                    last not in ORGANISATION_ENDINGS
                    or not re.search(
                        r"\b(?:this is|it's|i'm|i am|calling)\b", line.lower[: match.start()]
                    )
                ):
                    continue
                call.add("fact", "business_name", value, line)


_BRANDS: Final = frozenset(
    {"carrier", "trane", "lennox", "rheem", "ruud", "goodman", "york", "bryant", "amana",
     "daikin", "bradford white", "a.o. smith", "ao smith", "rinnai", "navien", "noritz",
     "bosch", "kohler", "whirlpool", "ge", "weil-mclain", "burnham", "american standard",
     "payne", "heil", "tempstar", "coleman", "mitsubishi", "fujitsu", "state", "culligan"}
)  # fmt: skip
_EQUIPMENT_RE: Final = re.compile(
    r"\b(?P<eq>" + "|".join(re.escape(e) for e in sorted(EQUIPMENT, key=len, reverse=True)) + r")\b"
)
_BRAND_RE: Final = re.compile(
    r"(?i:\b(?:it's|it is|that's|is|have|got)\s+(?:a|an)\s+(?P<pre>(?:\d+[- ]gallon\s+)?"
    r"(?:(?:gas|electric|propane|natural gas)\s+)?))(?P<b>[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*)?)"
    r"|^(?i:an?\s+(?P<pre2>(?:\d+[- ]gallon\s+)?(?:(?:gas|electric|propane)\s+)?))"
    r"(?P<b2>[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*)?)"
)


_BRAND_ALONE_RE: Final = re.compile(
    r"^(?i:(?:yeah|yes|yep|ok|okay|so|oh)[, ]+(?:it's\s+)?(?:an?\s+)?)(?P<b3>"
    + "|".join(sorted((b.title() for b in _BRANDS if "." not in b), key=len, reverse=True))
    + r")\b\W*$"
)
"""A known brand said alone to confirm: "yeah, Carrier."."""
_BRAND_QUESTION_RE: Final = re.compile(
    r"\b(?:what|which)\s+(?:kind|brand|make|type)\b|\bbrand\b|\bwho makes\b"
)
_EQUIPMENT_WORDS: Final = frozenset(w for e in EQUIPMENT for w in e.split())
_EQUIPMENT_STATEMENT_RE: Final = re.compile(r"\b(?:it's|it is|that's|is|have|got|an?)\s", re.I)


def _equipment(call: _Call, slots: Sequence[_Slot]) -> None:
    if not any(not line.words.isdisjoint(_EQUIPMENT_WORDS) for line in call.lines):
        return
    # By line: the last equipment named so far (and its turn); and the last one named at all,
    # even as a wish ("thinking about a tankless water heater"), for when no other is.
    latest: dict[int, tuple[str, int] | None] = {}
    latest_any: dict[int, tuple[str, int] | None] = {}
    last: tuple[str, int] | None = None
    last_any: tuple[str, int] | None = None
    for x in call.lines:
        for match in _EQUIPMENT_RE.finditer(x.lower):
            last_any = (EQUIPMENT[match.group("eq")], x.turn)
            if (
                not _HYPOTHETICAL_RE.search(_clause_before(x.lower, match.start()))
                and "tankless" not in x.lower[max(0, match.start() - 12) : match.start()]
            ):
                last = (EQUIPMENT[match.group("eq")], x.turn)
        latest[x.index] = last
        latest_any[x.index] = last_any
    for line in call.lines:
        if line.speaker != "caller":
            continue
        if not (_EQUIPMENT_STATEMENT_RE.search(line.text) or _BRAND_ALONE_RE.match(line.text)):
            continue
        # The equipment talked of: named in this turn or the two before, or further back
        # when the agent just asked for the brand ("What kind of system is it?").
        reach = 6 if _BRAND_QUESTION_RE.search(turn_text(call.lines, line.turn - 1)) else 2
        named = latest[line.index]
        if named is None or named[1] < line.turn - reach:
            named = latest_any[line.index]
        if named is None or named[1] < line.turn - reach:
            continue
        kind = named[0]
        for match in [*_BRAND_RE.finditer(line.text), *_BRAND_ALONE_RE.finditer(line.text)]:
            groups = match.groupdict()
            brand = (groups.get("b") or groups.get("b2") or groups.get("b3") or "").strip()
            if not brand:
                continue
            first = brand.split()[0].lower().strip(".,")
            if (
                brand.lower() not in _BRANDS
                and first not in _BRANDS
                and (first in NOT_NAMES or first in MAKES or first in call.known_names)
            ):
                continue
            if _blocked(line, match.start()):
                continue
            brand = " ".join(w for w in brand.split() if w.lower() not in EQUIPMENT)
            clause = line.text[match.start() : match.start() + 80]
            size = re.search(r"\b(\d+)[- ]gallon", clause)
            value = brand + (f" {size.group(1)} gallon" if size else "")
            call.add("fact", kind, value, line)


_PET_RE: Final = re.compile(
    r"\b(?:we|i)\s+(?:also\s+|still\s+|now\s+)?(?:have|'ve got|have got|got|own|adopted|"
    r"just got)\s+(?:a|an|one|two|three|a new)\s+(?:[a-z]+\s+)?(?P<sp>" + "|".join(SPECIES) + r")"
    r"\b(?P<rest>[^.;!?]*)"
    r"|\b(?:my|our)\s+(?P<sp2>" + "|".join(SPECIES) + r")\s+(?P<n2>[A-Za-z][a-z]+)\b"
    r"|^(?:(?:um|uh|oh|well|just|yeah)[, ]+)*(?:a|an|one|two|three|four)\s+(?:[a-z]+\s+)?"
    r"(?P<sp3>" + "|".join(SPECIES) + r")\s*,\s*(?P<rest3>[a-z][^.;!?]*)",
)
"""A pet of the caller's: "we (also) have a dog, Biscuit", "our cat Mochi", and the answer
"Two dogs, Luna and Moose." to "Who's staying with us?"."""
_PET_NAME_QUESTION_RE: Final = re.compile(
    r"\b(?:what's|what is)\s+(?:his|her|its|the\s+\w+'s|your\s+\w+'s)\s+name\b"
)
_PET_NAME_RE: Final = re.compile(
    r"\b(?:his|her|its|the dog's|the cat's)\s+name(?:'s|\s+is)\s+"
    r"(?P<n>[A-Za-z][a-z]+)"
)


def _pets(call: _Call) -> None:
    pending: tuple[str, int] | None = None  # species of an unnamed pet, turn
    for line in call.having(frozenset(SPECIES) | {"name", "name's", "named"}):
        if line.speaker != "caller":
            continue
        text = line.text
        lower = line.lower
        named_later = _PET_NAME_RE.search(text)
        if named_later and pending is not None and line.turn - pending[1] <= 4:
            name = named_later.group("n")
            if _is_name(name, call.known_names):
                call.add(
                    "fact",
                    f"pet_{_key_part(name)}",
                    f"{pending[0]} named {name.capitalize()}",
                    line,
                )
                call.found = [f for f in call.found if f.key != f"pet_{pending[0]}"]
                pending = None
        for match in _PET_RE.finditer(lower):
            if _blocked(line, match.start()):
                continue
            species = SPECIES[match.group("sp") or match.group("sp2") or match.group("sp3")]
            name = ""
            if match.group("sp2"):
                name = text[match.start("n2") : match.end("n2")]
                if not _is_name(name, call.known_names):
                    name = ""
            else:
                group = "rest" if match.group("sp") else "rest3"
                rest = text[match.start(group) : match.end(group)]
                named = re.match(
                    r"\s*,?\s*(?:named|called)?\s*,?\s*([A-Z][a-z]+(?:(?:,\s*|\s+and\s+)[A-Z][a-z]+)*)",
                    rest,
                )
                if named:
                    names = [
                        n
                        for n in re.split(r",\s*|\s+and\s+", named.group(1))
                        if _is_name(n, call.known_names)
                    ]
                    for extra in names[1:]:
                        call.add(
                            "fact", f"pet_{_key_part(extra)}", f"{species} named {extra}", line
                        )
                    name = names[0] if names else ""
            if name:
                call.add("fact", f"pet_{_key_part(name)}", f"{species} named {name}", line)
            else:
                call.add("fact", f"pet_{species}", species, line)
                pending = (species, line.turn)
    if pending is not None:
        _pet_named_when_asked(call, *pending)


def _pet_named_when_asked(call: _Call, species: str, turn: int) -> None:
    """ "my cat hasn't been eating" - "What's her name?" - "Pepper, she's eleven"."""
    for line in call.lines:
        if not turn < line.turn <= turn + 4 or line.speaker != "agent":
            continue
        if not _PET_NAME_QUESTION_RE.search(line.lower):
            continue
        answer = turn_lines(call.lines, line.turn + 1)
        if not answer or answer[0].speaker != "caller":
            return
        first = re.match(r"\s*(?:(?:um|uh|oh|it's|its|her name's|his name's)[, ]+)*([A-Za-z]+)",
                         answer[0].text)  # fmt: skip
        if first is not None and _is_name(first.group(1), call.known_names):
            name = first.group(1).capitalize()
            call.add("fact", f"pet_{_key_part(name)}", f"{species} named {name}", answer[0])
            call.found = [f for f in call.found if f.key != f"pet_{species}"]
        return


_ALLERGY_RE: Final = re.compile(
    r"\b(?:i'm|i am)\s+(?:also\s+)?(?:very\s+|severely\s+|really\s+)?"
    r"allergic\s+to\s+(?P<v>[^,.;!?]+)"
)


def _allergy_items(text: str) -> str:
    text = re.split(r"\s+(?:so|but|which|can|and can|if)\s+", text.strip())[0]
    items = [i.strip(" .").lower() for i in re.split(r",|\band\b", text) if i.strip(" .")]
    items = [re.sub(r"^(?:a|an|the|some)\s+", "", i) for i in items]
    return ", ".join(i for i in items if i and len(i.split()) <= 4)


def _allergies(call: _Call) -> None:
    for line in call.having(frozenset({"allergic"})):
        if line.speaker != "caller":
            continue
        for match in _ALLERGY_RE.finditer(line.lower):
            if _NEGATION_RE.search(_clause_before(line.lower, match.start())) or _asks(
                line, match.start()
            ):
                continue
            items = _allergy_items(match.group("v"))
            if items:
                call.add("fact", "allergies", items, line)


_EVENT_RE: Final = re.compile(
    r"\b(?:(?:the|my|our|your)\s+(?P<e>"
    + "|".join(sorted(EVENTS, key=len, reverse=True))
    + r")\s+(?:is|was|'s|got moved to|was moved to|is scheduled for|is set for|on|date is)\b"
    r"|there's\s+(?:a|an)\s+(?P<e2>" + "|".join(EVENTS) + r")\s+(?:on|scheduled for|set for)\b"
    r"|(?:i'm|we're|i am|we are)\s+(?:getting\s+(?P<married>married)|(?P<closing>closing)|"
    r"(?P<moving>moving))\b)"
)


def _events(call: _Call) -> None:
    for line in call.having(_EVENT_WORDS):
        lower = line.lower
        for match in _EVENT_RE.finditer(lower):
            if _asks(line, match.start()):
                continue
            if line.speaker == "agent" and not lower[match.start() :].startswith(("the ", "your ")):
                continue
            if _blocked(line, match.start()):
                continue
            verb = next((g for g in ("married", "closing", "moving") if match.group(g)), "")
            event = {"married": "wedding", "closing": "closing", "moving": "move"}.get(verb) or (
                EVENTS[match.group("e") or match.group("e2")]
            )
            window = line.text[match.end() : match.end() + 60]
            dates = read_dates(window)
            if not dates:
                continue
            corrected = re.search(r"\b(?:no wait|sorry|i mean|actually|no,)", window.lower())
            date = dates[-1] if corrected else dates[0]
            key = f"{event}_date"
            if not date.dated:
                continue
            call.add("moment", key, date.birth_date(), line)


_BOOKED_RE: Final = re.compile(
    r"\b(?:you're|you are|you're all|i've|i have|we've|we have)\s+(?:got you\s+)?"
    r"(?:all\s+|both\s+)?"
    r"(?:booked|scheduled|set|confirmed|on the schedule|down)\b|^(?:okay |ok |great |perfect )?"
    r"done\b|\byou're booked\b|\bbooked you\b|\bsee you (?:on|then)\b|"
    r"\b(?:you're|you are|we've got you|i've got you|i got you)\s+(?:on|down|in)\s+for\b"
)
_CANCELLED_RE: Final = re.compile(r"\bcancel(?:led|ed)?\b|\bpencil")
_PROPOSAL_RE: Final = re.compile(
    r"\b(?:we have|i have|has|have|got|opening|available|earliest|how's|how about|would|"
    r"can you (?:come|do)|could you (?:come|do)|works|can see you|could do|we can do|can fit|"
    r"could fit|can squeeze|can get you in|i can do)\b"
)


_DATE_HINT_RE: Final = re.compile(
    r"\d|\b(?:today|tomorrow|tonight|noon|monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday|january|february|march|april|may|june|july|august|september|october|november|"
    r"december)\b"
)


def _appointments(call: _Call) -> None:
    lines = call.lines
    for line in lines:
        if line.speaker != "agent":
            continue
        lower = line.lower
        if _CANCELLED_RE.search(lower):
            continue
        if not _DATE_HINT_RE.search(lower):
            continue
        dates = [d for d in read_dates(line.text) if d.dated or d.time is not None]
        if not dates:
            continue
        if _BOOKED_RE.search(lower) and not line.question:
            call.add("moment", "appointment", _with_time(dates[-1], line.text).when(), line)
            continue
        if not _PROPOSAL_RE.search(lower):
            continue
        answer = next_turn(lines, line)
        if not answer or declines(answer):
            continue
        if any(x.question for x in answer) and not affirms(answer):
            continue  # "She has soccer Thursdays. Anything on a Saturday?": not taken
        picked = [d for x in answer[:1] for d in read_dates(x.text)]
        said = answer[0].lower
        liked = affirms(answer) or bool(_LIKED_RE.search(said))
        if len(dates) == 1 and (liked or picked):
            call.add("moment", "appointment", _with_time(dates[0], line.text).when(), answer[0])
        elif len(dates) > 1 and picked:
            chosen = _pick(dates, picked[0])
            if chosen is not None:
                call.add("moment", "appointment", chosen.when(), answer[0])


_CLOCK_RE: Final = re.compile(
    r"\b(?P<you>you(?:'re)?\s+)?at\s+(?P<h>\d{1,2})(?::(?P<m>\d\d))?(?:\s*(?P<ap>[ap])\.?m\b\.?)?"
    r"|\b(?P<h2>\d{1,2})(?::(?P<m2>\d\d))?(?:\s+(?:to|-|until)\s+\d{1,2}(?::\d\d)?)?\s*"
    r"(?P<ap2>[ap])\.?m\b\.?",
    re.IGNORECASE,
)


def _with_time(date: DateValue, text: str) -> DateValue:
    """A booked day said apart from its time ("Friday October 16th, 8 to 10 am", "Zoe at 9
    and you at 9:30", "six at 1 pm on Saturday May 23rd"): the caller's time ("you at"),
    else the first; a range's start; no am/pm: 1-6 and 12 are p.m."""
    if date.time is not None or date.day is None:
        return date
    found = list(_CLOCK_RE.finditer(text))
    if not found:
        return date
    match = next((m for m in found if m.group("you")), found[0])
    hour = int(match.group("h") or match.group("h2"))
    minute = int(match.group("m") or match.group("m2") or 0)
    ampm = (match.group("ap") or match.group("ap2") or "").lower()
    if not (1 <= hour <= 12 and minute < 60):
        return date
    if ampm == "p" or (not ampm and (hour <= 6 or hour == 12)):
        hour = hour % 12 + 12
    elif ampm == "a" and hour == 12:
        hour = 0
    return dataclasses.replace(date, time=dt.time(hour, minute))


_LIKED_RE: Final = re.compile(
    r"\b(?:works|work for me|perfect|good|great|fine|i'll take it|i can make it|i can do that|"
    r"that's good|sounds good|amazing|awesome|let's do|we'll take|i'll take)\b"
)
"""An answer that takes the slot offered without a plain yes ("4:15 is perfect")."""


def _pick(options: Sequence[DateValue], said: DateValue) -> DateValue | None:
    for option in options:
        if (
            (said.day is not None and said.day == option.day)
            or (said.relative and said.relative == option.relative)
            or (
                said.time is not None
                and said.time == option.time
                and said.day is None
                and not said.relative
            )
        ):
            return option
    return None


_AT_WORDS: Final = frozenset({"dot"})
"""A spoken address says "dot"; a written one has "@"."""
_PROVIDER_WORDS: Final = frozenset(
    {"always", "usually", "normally", "only", "typically", "regularly", "usual", "regular",
     "stylist", "dentist", "doctor", "hygienist", "barber", "colorist", "accountant", "lawyer",
     "attorney", "groomer", "did", "does", "cut", "cuts", "colored", "colors", "rather",
     "prefer", "want"}
)  # fmt: skip
_EVENT_WORDS: Final = frozenset(w for e in EVENTS for w in e.split()) | {
    "married",
    "closing",
    "moving",
}
_CONTACT_WORDS: Final = frozenset(
    {"cell", "mobile", "home", "house", "work", "office", "best", "better", "easier", "easiest",
     "email", "e-mail", "text", "never",
     "preferred", "prefer", "rather", "just", "instead", "reminders", "updates", "portal",
     "after", "before", "mornings", "afternoons", "evenings", "weekends", "weekdays", "nights",
     "morning", "afternoon", "evening", "weekend", "night"}
)  # fmt: skip


_EXTRACTORS: Final[tuple[Callable[[_Call], None], ...]] = (
    _household,
    _member_names,
    _identifiers,
    _bare_identifiers,
    _birth_dates,
    _confirmed_read_backs,
    _language,
    _preferred_provider,
    _insurers,
    _employer,
    _business,
    _pets,
    _allergies,
    _events,
    _appointments,
)
_SLOT_EXTRACTORS: Final[tuple[Callable[[_Call, Sequence[_Slot]], None], ...]] = (
    _addresses,
    _vehicles,
    _emails,
    _phones,
    _contact,
    _equipment,
)


_RELATION_KEYS: Final = frozenset(relation for relation, _ in RELATIONS.values())


def _name_the_dates(latest: dict[str, _Found]) -> None:
    """A household member's date given before their name ("her date of birth?" answered
    "Emma, born July 22nd 2010"): keyed by the name once the call gives one."""
    for key in [k for k in latest if k.startswith(_PENDING)]:
        # "And Zoe's date of birth?": Zoe's, once a member of the household is called Zoe.
        name = key.removeprefix(_PENDING).removesuffix("_birth_date")
        found = latest.pop(key)
        owners = [k for k, f in latest.items() if f.type == "person" and k.endswith("_" + name)]
        if len(owners) == 1 and f"{owners[0]}_birth_date" not in latest:
            found.key = f"{owners[0]}_birth_date"
            latest[found.key] = found
    for key in [k for k in latest if k.endswith("_birth_date")]:
        relation = key.removesuffix("_birth_date")
        if relation not in _RELATION_KEYS:
            continue
        named = [
            k
            for k, f in latest.items()
            if f.type == "person" and k.startswith(relation + "_") and not k.endswith("_date")
        ]
        if len(named) == 1 and f"{named[0]}_birth_date" not in latest:
            found = latest.pop(key)
            found.key = f"{named[0]}_birth_date"
            latest[found.key] = found


def extract_facts(lines: Sequence[Line]) -> tuple[ExtractedMemory, ...]:
    """The facts of a call, one per key, the last value said winning, in key order."""
    call = _Call(lines, _known_names(lines))
    _household(call)
    slots = list(_slots(call))
    _slot_answers(call, slots)
    for extractor in _EXTRACTORS[1:]:
        extractor(call)
    for slot_extractor in _SLOT_EXTRACTORS:
        slot_extractor(call, slots)
    latest: dict[str, _Found] = {}
    for found in sorted(call.found, key=lambda f: f.line):
        previous = latest.get(found.key)
        if (
            previous is not None
            and found.key.endswith("_date")
            and not re.match(r"^(?:\d{4}-|[A-Z][a-z]+ \d)", found.value)
        ):
            continue
        latest[found.key] = found
    _name_the_dates(latest)
    named_species = {f.value.split(" named ")[0] for f in latest.values() if " named " in f.value}
    return tuple(
        ExtractedMemory(f.type, f.key, f.value)
        for key, f in sorted(latest.items())
        if not (key.startswith("pet_") and f.value in named_species and " named " not in f.value)
    )
