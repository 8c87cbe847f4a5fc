"""The note a receptionist writes: what the caller wanted, what was done, who promised
what by when, and the details worth noting; rendered as the stored summary.

"Caller wanted to add their new truck to the auto policy. Agent added the 2021 Ford
F-150 to their auto policy effective Saturday. Agent will email the insurance cards
within the hour. Noted: policy number AP-2291-4417."

The request comes from the caller's own words ("I need to...", "I'm calling about...",
"I'd like...", "Can I get..."), reported in the third person; a call without one
falls back to the caller's most telling sentence. The outcome comes from the agent's
"I've added...", "You're booked for...". English only: other languages keep the
extractive summary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from alice_server.domain.summarizer.dialogue import Line, second_to_third, third_person
from alice_server.domain.summarizer.interface import CallNotes, Commitment, ExtractedMemory
from alice_server.domain.summarizer.limits import SUMMARY_MAX_CHARS
from alice_server.domain.summarizer.summary import trim_summary

MAX_REQUEST_WORDS: Final = 18
MAX_OUTCOME_WORDS: Final = 24
REQUEST_LINES: Final = 8
"""The request is looked for in the caller's first sentences only."""
NOTED_KEYS: Final = (
    "_number",
    "_id",
    "home_address",
    "business_address",
    "property_address",
    "email",
    "cell_phone",
    "phone_number",
    "closing_date",
    "hearing_date",
    "wedding_date",
)
"""Facts worth repeating in the note itself (all facts are stored as memories)."""

_REQUESTS: Final = (
    (re.compile(r"\b(?:i|we)(?:'d| would) (?:like|love) to (?P<x>.+)"), "Caller wanted to {}."),
    (
        re.compile(
            r"\b(?:i|we)(?:'m| am|'re| are)? (?:gonna |going to )?(?:need|want|have|wanted|"
            r"needed) to (?P<x>.+)"
        ),
        "Caller wanted to {}.",
    ),
    (
        re.compile(
            r"\b(?:i|we)(?:'m| am|'re| are) (?:calling|phoning|ringing|reaching out) "
            r"(?:to|in order to) (?P<x>.+)"
        ),
        "Caller wanted to {}.",
    ),
    (
        re.compile(
            r"\b(?:i|we)(?:'m| am|'re| are) (?:calling|phoning|ringing|reaching out) "
            r"(?:about|regarding|because of|for|on behalf of) (?P<x>.+)"
        ),
        "Caller called about {}.",
    ),
    (
        re.compile(r"\b(?:i|we)(?:'d| would) like (?P<x>(?:a|an|the|some|my|our|to)\b.+)"),
        "Caller wanted {}.",
    ),
    (
        re.compile(
            r"\b(?:i|we) (?:need|want) (?!(?:to|it|that|this|them|you|him|her)\b)(?P<x>\w.+)"
        ),
        "Caller wanted {}.",
    ),
    (
        re.compile(
            r"^(?:(?:hi|hello|hey|yeah|yes|so|um|uh|ok|okay)[, ]+)*(?:can|could|may) (?:i|we) "
            r"(?P<x>(?:get|book|make|schedule|buy|have|order|set up|pay|speak|talk|move|change|"
            r"cancel|add)\b.+)"
        ),
        "Caller wanted to {}.",
    ),
    (
        re.compile(
            r"\b(?:i|we)(?:'m| am|'re| are) (?:just |really )?(?P<v>interested in|"
            r"shopping around for|shopping for|looking for|looking to) (?P<x>.+)"
        ),
        "Caller was {v} {}.",
    ),
    (
        re.compile(
            r"\b(?:i|we) (?:got|received) (?P<x>(?:a|an|the) (?:letter|bill|invoice|notice|"
            r"call|email|text)\b.+)"
        ),
        "Caller called about {}.",
    ),
    (re.compile(r"\b(?:i'm|i am|we're|we are) due for (?P<x>.+)"), "Caller was due for {}."),
    (
        re.compile(
            r"^(?:(?:hi|hey|yo|hello|so|um|uh|yeah|and|also)[, ]+)*(?:can|could|would|will) "
            r"you(?: guys)?(?: please| also)* (?P<x>(?!tell me\b)[a-z].+)"
        ),
        "Caller asked the business to {}.",
    ),
)
_QUESTION_REQUEST_RE: Final = re.compile(
    r"^(?:(?:hi|hey|yo|hello|so|um|uh|yeah)[, ]+)*(?:do|does|can|could|will|would) you\b.+\?$"
)
_PROBLEM_RE: Final = re.compile(
    r"\b(?:leak|leaking|broke|broken|stopped|not working|isn't working|won't|burst|damage|"
    r"stole|stolen|charged twice|infected|backed up|quit|lapse|fired|accident|fender bender|"
    r"hail|toothache|hurt|injured|late|missing|wrong|again|didn't|doesn't|isn't|wasn't|fail|"
    r"fails|failing|failed|error|can't|cannot|couldn't)\b"
)
_OPENERS_RE: Final = re.compile(
    r"^(?:(?:thank you so much|thanks so much|thanks a lot|thank you|thanks|hi|hello|hey|yeah|"
    r"yes|yep|so|um|uh|ok|okay|well|oh|great|perfect|sorry|good (?:morning|afternoon|evening))"
    r"(?:\s+there)?[,.!]*\s+)+",
    re.IGNORECASE,
)
"""Greetings, fillers and thanks that open a line without saying anything."""
_THANKS_RE: Final = re.compile(r"\b(?:thanks|thank|great|perfect)\b", re.IGNORECASE)
_CONTENT_RE: Final = re.compile(
    r"\b(?!(?:hi|hello|hey|thanks|thank|you|so|much|bye|goodbye|great|ok|okay|yes|yeah|sure|"
    r"perfect|that|works|sounds|good|have|a|nice|day|again|appreciate|it|all|right)\b)[a-z]{3,}",
    re.IGNORECASE,
)
"""A word other than a pleasantry's: "thanks so much" has none, so it is no request."""
_CUT_RE: Final = re.compile(
    r"(?<!\bdr)(?<!\bmr)(?<!\bms)(?<!\bmrs)[.;!?](?=\s|$)|,\s+(?=(?:the|because|since|and the|"
    r"it's|she|he|they|so|but|my|i|we|which|you|is|can)\b)|\s(?:because|since|so that|but)\s|"
    r"\s+-+\s+|\s(?=(?:you|i|we|he|she|they)(?:'ll|'re|'ve| will| are)\b)|"
    r"\s(?=(?:we|i|she|he|they)\s+(?:just\s+)?[a-z]+(?:ed|ght)\b)|\s(?=my\s+\w+\s+(?:is|was|has)\b)|"
    r"\s+and\s+(?=(?:an?|the|our|your)\s+\S+\s+will\b)",
    re.IGNORECASE,
)
_DONE_RE: Final = re.compile(
    r"\b(?:i've|i have|we've|we have|i just|i went ahead and|i've gone ahead and|i've now|we just)"
    r"\s+(?:also\s+|now\s+|just\s+)?(?P<x>(?:added|updated|cancelled|canceled|booked|scheduled|"
    r"opened|processed|removed|changed|set up|sent|filed|submitted|made|reset|applied|renewed|"
    r"rescheduled|moved|refunded|credited|waived|started|created|ordered|approved|issued|paid|"
    r"fixed|escalated|emailed|mailed|texted|corrected|reinstated)\b[^.;!?]*)"
)
_BOOKED_RE: Final = re.compile(
    r"\b(?:you're|you are)\s+(?:all\s+)?(?:booked|scheduled|confirmed|set)(?:\s+in)?(?:\s+for)?\s+"
    r"(?P<x>[^.;!?]*\d[^.;!?]*)|^(?:okay\s+|ok\s+)?done,?\s+(?P<y>[^.;!?]*\d[^.;!?]*)|"
    r"\byou're on the schedule\s+(?P<z>[^.;!?]*)"
)


_DANGLING: Final = frozenset(
    {
        "and",
        "but",
        "so",
        "or",
        "then",
        "that",
        "which",
        "saying",
        "if",
        "to",
        "the",
        "a",
        "an",
        "of",
        "they",
        "i",
        "we",
        "you",
        "for",
        "with",
        "about",
        "because",
        "my",
        "their",
        "it's",
    }
)
_FILLERS_RE: Final = re.compile(r",?\s*\b(?:you know|ya know|um|uh)\b,?(?=\s|$)", re.IGNORECASE)
_INNER_FILLERS_RE: Final = re.compile(
    r",?\s*\b(?:like|you know|ya know|um|uh|i mean)\b\s*,\s*|\b(?:um|uh),?\s+", re.IGNORECASE
)


def _clip(text: str, words: int) -> str:
    """The first clause of `text`, at most `words` words, without fillers or a dangling end."""
    cut = _CUT_RE.search(text)
    if cut is not None:
        text = text[: cut.start()]
    parts = _FILLERS_RE.sub(" ", text).split()[:words]
    while parts and parts[-1].lower().strip(",") in _DANGLING:
        parts.pop()
    return " ".join(parts).strip(" ,-")


_NOUN_PHRASE_RE: Final = re.compile(
    r"\b(?:a|an|the|my|our)\s+(?:new\s+|used\s+|little\s+)?[a-z][a-z-]*(?:\s+[a-z][a-z-]*)?(?=\s+"
    r"(?:and|but|so|,|this|last|yesterday|today|at|from|for)\b|[,.]|$)"
)


def _request(lines: Sequence[Line]) -> str:
    """The first thing the caller asked for or reported, in the third person."""
    caller = [line for line in lines if line.speaker == "caller"][:REQUEST_LINES]
    for line in caller:
        text = _INNER_FILLERS_RE.sub(" ", line.text)
        lower = text.lower()
        for pattern, template in _REQUESTS:
            match = pattern.search(lower)
            if match is None:
                continue
            said = _clip(text[match.start("x") : match.end("x")], MAX_REQUEST_WORDS)
            said = _antecedent(said, lower[: match.start("x")])
            thing = _reported(said).rstrip("?")
            if not thing or thing.lower() in ("it", "that", "this"):
                continue
            verb = match.groupdict().get("v") or ""
            return template.replace("{v}", verb).format(thing)
        if _PROBLEM_RE.search(lower) and not line.question and len(line.text.split()) >= 4:
            # The greeting goes before the clause is cut: "Hi, I had a pedicure..." is the
            # pedicure, not "hi"; a line that is only pleasantries reports nothing.
            text = text.strip()
            opener = _OPENERS_RE.match(text)
            if opener is not None and _THANKS_RE.search(opener.group()):
                continue  # "Thanks, that was quick, I didn't expect it": a reaction
            said = _reported(_problem_clause(text[opener.end() :] if opener else text))
            if len(said.split()) < 3 or not _CONTENT_RE.search(said):
                continue
            if said[1:2].islower():
                said = said[0].lower() + said[1:]
            return f"Caller reported that {said}."
    for line in caller[:3]:
        if _QUESTION_REQUEST_RE.match(line.lower):
            return f"Caller asked: {line.text}"
    return ""


def _problem_clause(text: str) -> str:
    """The caller's report up to the end of the clause that names the problem ("I had a
    pedicure there on Saturday and now my toe is infected"), from that clause's start when
    the whole is too long."""
    limit = MAX_REQUEST_WORDS + 6
    problem = _PROBLEM_RE.search(text.lower())
    if problem is None:
        return _clip(text, limit)
    cut = _CUT_RE.search(text, problem.end())
    said = text[: cut.start()] if cut else text
    if len(said.split()) > limit:
        starts = [m.end() for m in _CUT_RE.finditer(said, 0, problem.start())]
        said = said[starts[-1] :] if starts else said
    parts = _FILLERS_RE.sub(" ", said).split()[:limit]
    while parts and parts[-1].lower().strip(",") in _DANGLING_REPORT:
        parts.pop()
    return " ".join(parts).strip(" ,-")


_DANGLING_REPORT: Final = _DANGLING | {"was", "is", "it", "think", "guess", "now", "when"}
"""A report cut before "because" also drops "and I think it was"."""


def _antecedent(said: str, before: str) -> str:
    """ "add it to my auto policy" after "I just bought a new truck": "it" is the truck."""
    if not re.search(r"\b(?:it|them)\b", said):
        return said
    found = list(_NOUN_PHRASE_RE.finditer(before))
    if not found:
        return said
    thing = re.sub(r"^(?:a|an)\b", "the", found[-1].group())
    return re.sub(r"\b(?:it|them)\b", thing, said, count=1)


def _reported(text: str) -> str:
    """The caller's words in the third person; "you guys" is the business."""
    text = re.sub(r"\byou(?: guys| all)?\b", "the business", text, flags=re.IGNORECASE)
    return third_person(text)


def _outcome(lines: Sequence[Line], facts: Sequence[ExtractedMemory]) -> str:
    done = ""
    for line in lines:
        if line.speaker != "agent" or line.question:
            continue
        match = _DONE_RE.search(line.lower)
        if match is None:
            continue
        said = _clip(line.text[match.start("x") : match.end("x")], MAX_OUTCOME_WORDS)
        if len(said.split()) < 2 or said.split()[1].lower() in ("that", "it", "this", "them"):
            continue  # "I've added that note"
        done = f"Agent {second_to_third(said)}."
        break
    if not done:
        done = _confirmed(lines)
    booked = next((f"Booked for {f.value}." for f in facts if f.key == "appointment"), "")
    return " ".join(s for s in (done, booked) if s)


_STATE_RE: Final = re.compile(
    r"^(?:(?:ok|okay|great|perfect|alright|all right|so|and)[,.!]?\s+)*(?:(?:all\s+)?done|"
    r"(?:that's|that is|it's|it is)\s+(?:all\s+)?(?:done|taken care of))[:,.!]?\s+(?P<x>\w[^;!?]*)"
    r"|\b(?P<y>(?:he|she|they|you|(?:your|the)\s+(?:\w+\s+)?\w+|everything)(?:'s|'re|\s+is|\s+are)\s+"
    r"(?:now\s+|all\s+)?(?:covered|insured|added|active|activated|updated|cancelled|canceled|"
    r"reinstated|enrolled|registered|approved|confirmed|on the policy)\b[^.;!?]*)",
    re.IGNORECASE,
)
"""What the agent reports done without "I've": "Done: he is covered from today", "You're
now covered as of the 1st", "Your card is activated"."""


def _confirmed(lines: Sequence[Line]) -> str:
    """The agent's first report of a finished change ("Done: he is covered from today")."""
    for line in lines:
        if line.speaker != "agent" or line.question:
            continue
        match = _STATE_RE.search(line.text)
        if match is None or _BOOKED_RE.search(line.lower):
            continue  # "Done, Thursday at 4:30": the booking says it
        group = "x" if match.group("x") else "y"
        said = _clip(line.text[match.start(group) : match.end(group)], MAX_OUTCOME_WORDS)
        if len(said.split()) < 3:
            continue
        said = second_to_third(said[0].lower() + said[1:])
        return f"Agent confirmed {said}."
    return ""


def call_notes(
    lines: Sequence[Line], commitments: Sequence[Commitment], facts: Sequence[ExtractedMemory]
) -> CallNotes:
    """What the caller wanted, the outcome and the commitments of a call."""
    return CallNotes(
        wanted=_request(lines), outcome=_outcome(lines, facts), commitments=tuple(commitments)
    )


def commitment_sentence(commitment: Commitment) -> str:
    """ "Agent will email the updated ID cards by end of day." """
    due = f" {commitment.due_phrase}" if commitment.due_phrase else ""
    return f"{commitment.party.capitalize()} will {commitment.action}{due}."


def _noted(facts: Sequence[ExtractedMemory]) -> list[str]:
    return [
        f"{fact.key.replace('_', ' ')} {fact.value}"
        for fact in facts
        if fact.key.endswith(NOTED_KEYS) or fact.key in NOTED_KEYS
    ]


def render_summary(notes: CallNotes, facts: Sequence[ExtractedMemory], fallback: str) -> str:
    """The stored summary: request, outcome, promises, noted details; at most 600 characters.

    Without a request the caller's most telling sentence (`fallback`, the extractive
    summary) opens it. What does not fit is left out, details first, then the outcome,
    then the last promises; the request is trimmed last.
    """
    opening = notes.wanted or fallback
    promises = [commitment_sentence(c) for c in notes.commitments]
    outcome = [notes.outcome] if notes.outcome else []
    noted = _noted(facts)

    def render() -> str:
        parts = [opening, *outcome, *promises]
        if noted:
            parts.append("Noted: " + "; ".join(noted) + ".")
        return " ".join(p for p in parts if p)

    text = render()
    while len(text) > SUMMARY_MAX_CHARS and (noted or outcome or len(promises) > 1):
        if noted:
            noted.pop()
        elif outcome:
            outcome.clear()
        else:
            promises.pop()
        text = render()
    return trim_summary(text)
