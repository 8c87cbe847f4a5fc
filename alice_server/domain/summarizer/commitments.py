"""The promises made in a call (built-in, English only).

A commitment is a first-person future promise: "I'll email you the ID cards by end
of day", "we'll send a technician", "let me get back to you", the caller's "I'll
send the photos tonight"; a promise for the business by someone named ("an adjuster
will call you", "Dr. Kim will call you tomorrow"); "you'll get a refund check";
an offer the other side accepts ("Do you want me to mail a copy?" - "Yes please");
"Will do" to a request ("Please bring your card." - "Will do.").

Not commitments: questions, hypotheticals ("if you want I could...", "if I need
one I'll call you"), refusals ("I can't", "I won't"), what is done during the call
("let me check", "I'll pull that up", "I'll make a note"), a declined offer, and a
promise cancelled later ("actually, don't bother with the quotes").

The action is made neutral ("email you the updated ID cards" -> "email the updated
ID cards"); a pronoun object is replaced by what it stands for ("I'll email it" after
"Can you send me a copy of the inspection report?"). The due phrase is the deadline
as said (domain/due_dates.py), found in the promise or, when the other side asks
"when?", in the answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from alice_server.domain.due_dates import find_due_phrase
from alice_server.domain.summarizer.dialogue import (
    CLAUSE_LOOKBACK,
    Line,
    affirms,
    declines,
    next_turn,
    third_person,
    turn_lines,
)
from alice_server.domain.summarizer.interface import Commitment, Party

# --- word tables (tunable) -----------------------------------------------------------------

IN_CALL_VERBS: Final = frozenset(
    {"check", "look", "see", "pull", "bring up", "transfer", "put", "read", "repeat", "spell",
     "grab", "find", "verify", "confirm", "note", "make a note", "need", "be", "tell", "ask",
     "take", "start", "open", "walk", "explain", "pencil", "handle", "make sure", "update",
     "give", "let", "go", "get started", "get that started", "waive", "cancel", "hold", "try",
     "do", "help", "stay", "keep", "wait", "leave", "add that", "mark", "flag", "process",
     "run", "search", "double-check", "double check", "hang", "connect", "patch", "log",
     "set up", "book", "schedule"}
)  # fmt: skip
"""Things done during the call: not follow-ups, unless a deadline or a follow-up verb joins them."""
CALLER_VERBS: Final = frozenset(
    {"send", "email", "e-mail", "text", "mail", "fax", "forward", "upload", "bring", "drop",
     "call", "get back", "come", "stop by", "pay", "sign", "fill", "confirm", "let", "look for",
     "find", "dig", "scan", "submit", "return", "reach out", "follow up", "get", "have", "take",
     "take a photo", "take a picture", "take photos", "take pictures", "deliver",
     "pick up", "drop off", "swing by", "come in", "come by", "bring in", "print", "complete",
     "register", "schedule", "book", "reschedule", "be there"}
)  # fmt: skip
"""What a caller promises that the business waits for."""
FOLLOW_UP_VERBS: Final = frozenset(
    {"call", "email", "e-mail", "text", "send", "mail", "fax", "forward", "get back", "follow up",
     "reach out", "contact", "let", "escalate", "message", "notify", "update you", "keep you"}
)  # fmt: skip
STAFF_WORDS: Final = (
    "technician|tech|adjuster|manager|estimator|attorney|lawyer|doctor|dr|hygienist|"
    "coordinator|office|team|department|specialist|nurse|owner|agent|accountant|underwriter|"
    "billing|plumber|installer|crew|someone|somebody|assistant|stylist|dentist|physician|"
    "paralegal|bookkeeper|supervisor|rep|representative|inspector|driver|courier"
)

_FIRST_PERSON_HEAD_RE: Final = re.compile(
    r"\b(?P<subj>i|we)(?P<modal>'ll| will| shall|'m going to| am going to|'re going to|"
    r" are going to|'m gonna| am gonna|'re gonna| are gonna| gonna)\b(?P<neg>\s+not\b|\s+never\b)?"
    r"|\blet me\b|\b(?P<subj2>i|we)\s+promise\s+(?:to|i'll|we'll)\b"
)
_THIRD_PERSON_HEAD_RE: Final = re.compile(
    rf"(?P<subj>\b(?:he|she|they|someone|somebody)(?:\s+from\s+(?:the\s+|our\s+)?[a-z-]+)?|"
    rf"\b(?:an?|the|our|your)\s+(?:[a-z-]+\s+){{0,2}}?"
    rf"(?:{STAFF_WORDS})(?:\s+[a-z]+)?|\b(?:dr\.?|attorney|doctor)\s+[a-z]+|(?<=[.!?,] )[a-z]+|"
    rf"^[a-z]+)(?:'ll| will)\b(?P<neg>\s+not\b|\s+never\b)?"
)
_CALLER_THIRD_HEAD_RE: Final = re.compile(
    r"\bmy\s+(?:husband|wife|partner|son|daughter|mom|mother|dad|father|assistant|"
    r"brother|sister|kid|bookkeeper|accountant)(?:'ll| will)\b"
)
_YOU_WILL_GET_RE: Final = re.compile(
    r"\byou(?:'ll| will)\s+(?:also\s+|then\s+|still\s+)?(?P<verb>get|receive|hear back|hear)\b"
)
_REFUSAL_RE: Final = re.compile(
    r"\b(?:can't|cannot|won't|will not|unable|not able|wouldn't|couldn't|don't|unfortunately)\b"
)
_CONDITION_RE: Final = re.compile(
    r"\b(?:if|unless|in case|whether)\b|\b(?:maybe|might|probably|possibly|perhaps)\b"
)
_OFFER_RE: Final = re.compile(
    r"\b(?:(?:i|we)\s+(?:can|could)|(?:i|we)(?:'d| would)\s+be happy to|"
    r"do you want me to|would you like me to|want me to|should i|shall i|"
    r"(?:the|our)\s+(?:[a-z-]+\s+)?(?:" + STAFF_WORDS + r")\s+can)\s+(?:also\s+|just\s+)?"
    r"(?P<vp>[a-z].*)"
)
_REQUEST_RE: Final = re.compile(
    r"\b(?:can|could|would|will)\s+(?:you|she|he|they)\s+(?:please\s+)?(?P<vp>[a-z].*)"
    r"|(?:^|[,.;]\s*|\band\s+)(?:please|just)\s+(?!don't|do not|never|not\b)(?P<vp2>[a-z].*)"
    r"|\b(?:i|we)\s+(?:need|want|'d like|would like)\s+you\s+to\s+(?P<vp3>[a-z].*)"
    r"|\bmake sure (?:you|to)\s+(?P<vp4>[a-z].*)"
    r"|\bdon't forget to\s+(?P<vp5>[a-z].*)"
    r"|^(?:and\s+|also\s+|oh\s+|so\s+)?(?P<vp6>(?:send|email|text|mail|call|bring|fax|forward|"
    r"upload)\s+(?:me|us|it|them|the|a|your)\b.*)"
)
_ACK_RE: Final = re.compile(
    r"^(?:(?:yes|yeah|yep|sure|okay|ok|absolutely|of course|definitely|will do|i will|we will|"
    r"i can do that|i'll do that|i'll do it|we'll do that|we can do that|i'll take care of "
    r"(?:it|that)|no problem|sounds good|got it|alright|you bet|can do|i'll make sure|thanks|"
    r"thank you)[ ,.!]*)+$"
)
_CANCEL_RE: Final = re.compile(
    r"\b(?:don't bother|no need to|you don't (?:need|have) to|don't worry about|forget (?:about )?"
    r"(?:the|that|it)|skip the|never ?mind (?:the|about)|scratch that|(?:i'll|we'll|we will|"
    r"i will) waive|no longer need)\b(?P<what>[^.;!?]*)"
)
_CLAUSE_END_RE: Final = re.compile(
    r"(?<!\bdr)(?<!\bmr)(?<!\bms)(?<!\bmrs)(?<!\bst)[.;!?](?=\s|$)|[;!?]|"
    r",\s+(?:but|so|because|and then you|and you|if|once|which|or|then)\b|"
    r"\s(?:but|because|so that|so the|so you|since|once you|while|instead of)\s|,\s+(?=(?:i|we|"
    r"you|he|she|they|it|that|please)\b)|\s(?:and|but|then)\s+(?=(?:i|we|you|he|she|they)"
    r"(?:'ll|'d|\s+(?:will|should|can|could|may|might|would|need|must))\b)",
    re.IGNORECASE,
)
_LEADING_RE: Final = re.compile(
    r"^(?:(?:also|just|definitely|personally|then|now|first|still|go ahead and|try to|"
    r"try and|make sure (?:to|that i|i)|be sure to|certainly|absolutely|actually|quickly|"
    r"make sure and)\s+)*",
    re.IGNORECASE,
)
_PRONOUN_OBJECT_RE: Final = re.compile(r"\b(?:it|them|that|those|this|these|both|everything|one)\b")
_GENERIC: Final = frozenset(
    {"the", "a", "an", "your", "my", "our", "their", "his", "her", "of", "to", "for", "and",
     "with", "on", "in", "at", "by", "you", "me", "us", "new", "updated", "copy", "all", "some",
     "any", "it", "them", "that", "this", "back", "over", "up", "out", "as", "soon", "be",
     "so", "from", "about", "is", "are", "i", "we", "when", "if"}
)  # fmt: skip
_NP_RE: Final = re.compile(
    r"\b(?P<verb>send|email|e-mail|text|mail|fax|forward|bring|upload|have|need|find|pay|sign|"
    r"fill out|scan|read|get|give|forward|take|drop off|return|provide|set up|look at|review|"
    r"go over)\s+"
    r"(?:(?:me|us|you|him|her|over)\s+)?(?P<np>(?:(?:the|a|an|your|my|his|her|our|their|some|"
    r"any|those|these|this|that|\$?\d+)\s+)?(?!(?:to|by|for|from|with|at|in|on|up|out|back|it|"
    r"them|that|this|everything|tomorrow|today|tonight|now|as|so|if|when)\b)[a-z$][a-z0-9$'-]*"
    r"(?:\s+(?!to\b|by\b|before\b|so\b|if\b|when\b|for\b|from\b|and\s+(?:i|we|you|get|call|"
    r"send|email)\b|at\b|in\b|within\b|instead\b|with\b|as\b|tonight|today|tomorrow|shortly|now\b|"
    r"right\b|please\b|(?:is|was|are|were|has|had|will|can|isn't|wasn't|won't|can't)\b)"
    r"[a-z0-9$'-]+){0,9})"
)
_BARE_NP_RE: Final = re.compile(
    r"\b(?P<np>(?:the|your|my|our|those|these)\s+[a-z][a-z0-9'-]*(?:\s+(?!to\b|by\b|before\b|"
    r"so\b|if\b|when\b|for\b|from\b|and\b|at\b|in\b|with\b|as\b|shortly|now\b|please\b|"
    r"(?:is|was|are|were|has|had|will|can|isn't|wasn't|won't|can't)\b)[a-z0-9'-]+){0,4})"
)


@dataclass(slots=True)
class _Promise:
    party: Party
    action: str
    due: str
    line: int
    turn: int
    offer: bool = False
    cancelled: bool = False


_TWO_WORD_VERBS: Final = frozenset(
    v for v in CALLER_VERBS | IN_CALL_VERBS | FOLLOW_UP_VERBS if " " in v
)


def _verb(action: str) -> str:
    """The first word of an action, "get back"/"follow up"/"look for" kept whole."""
    words = action.split(None, 2)
    if not words:
        return ""
    if len(words) > 1 and f"{words[0]} {words[1]}" in _TWO_WORD_VERBS:
        return f"{words[0]} {words[1]}"
    return words[0]


def _clause(text: str) -> str:
    match = _CLAUSE_END_RE.search(text)
    return (text[: match.start()] if match else text).strip()


def _reach_out(match: re.Match[str]) -> str:
    words = match.group().split()
    return f" {words[0]} {words[1]}"


_NEUTRAL_RULES: Final = tuple(
    (re.compile(pattern, re.IGNORECASE), replacement)
    for pattern, replacement in (
        (
            r" (?:have|get) (?P<o>(?:the|a|an|your|my|it|them|that|this|those)\b[^,]*?) (?:over )?"
            r"to (?:you|us)\b",
            r" send \g<o>",
        ),
        (r" get back to (?:you|ya|us)\b", " get back"),
        (r" (?:reach out|follow up) (?:to|with) (?:you|us)\b", _reach_out),
        (
            r" (?P<v>send|email|e-mail|text|mail|give|get|fax|forward|show|bring|call|ring|remind|"
            r"tell|message|pay|put|phone|page|update|see|shoot|drop) (?:you|ya|us|y'all)\b",
            r" \g<v>",
        ),
        (r" (?:to|for|with) (?:you|ya|us|y'all)\b", ""),
        (r" (?:your|our)\b", " the"),
    )
)
_NEUTRAL_MY_RE: Final = re.compile(r" my\b", re.IGNORECASE)
_NEUTRAL_YOU_RE: Final = re.compile(r" you\b", re.IGNORECASE)
_NEUTRAL_ME_RE: Final = re.compile(r" me\b", re.IGNORECASE)
_NEUTRAL_SELF_RE: Final = re.compile(r" (?:myself|ourselves|personally|yourself)\b")


def _neutral(action: str, party: Party) -> str:
    """ "email you the updated ID cards" -> "email the updated ID cards"; "your" -> "the".

    The action was said by `party` (or asked of it by the other side: then "me" is the
    one who asked)."""
    text = f" {action} "
    for pattern, replacement in _NEUTRAL_RULES:
        text = pattern.sub(replacement, text)
    text = _NEUTRAL_MY_RE.sub(" the" if party == "caller" else " my", text)
    other = " the caller" if party == "agent" else " the business"
    text = _NEUTRAL_ME_RE.sub(other, _NEUTRAL_YOU_RE.sub(other, text))
    if party == "caller":
        text = third_person(text)
    text = _NEUTRAL_SELF_RE.sub("", text)
    return " ".join(text.split())


def _due_as_said(due: str) -> str:
    """ "By Wednesday" from the start of a sentence -> "by Wednesday"."""
    words = due.split()
    if words and words[0].lower() in _LOWER_FIRST:
        words[0] = words[0].lower()
    return " ".join(words)


_LOWER_FIRST: Final = frozenset(
    {
        "by",
        "before",
        "on",
        "at",
        "in",
        "within",
        "today",
        "tomorrow",
        "tonight",
        "this",
        "next",
        "first",
        "end",
        "no",
        "right",
        "later",
        "sometime",
        "until",
        "early",
    }
)


_PHRASAL_BY_RE: Final = re.compile(r"\b(?:swing|stop|come|drop|pop|go)\s+$", re.IGNORECASE)


def _find_due(text: str) -> str:
    """The deadline of a promise; "swing by tomorrow" keeps its "by" ("swing by")."""
    due = find_due_phrase(text)
    if due[:3].lower() == "by ":
        at = text.find(due)
        if at >= 0 and _PHRASAL_BY_RE.search(text[:at]):
            return due[3:]
    return due


def _strip_due(action: str, due: str) -> str:
    if due:
        index = action.lower().find(due.lower())
        if index >= 0:
            action = action[:index] + action[index + len(due) :]
    return " ".join(action.split()).strip(" ,.")


def content_words(action: str) -> set[str]:
    return {_lemma(w) for w in re.findall(r"[a-z0-9$'-]+", action.lower())} - _GENERIC


def _lemma(word: str) -> str:
    word = word.removesuffix("'s")
    for suffix, keep in (("ies", "y"), ("ing", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2 and not word.endswith("ss"):
            return word[: -len(suffix)] + keep
    return word


def _plural(noun_phrase: str) -> bool:
    head = noun_phrase.split(" of ")[0].split()[-1] if noun_phrase.split() else ""
    return head.endswith("s") and not head.endswith(("ss", "us", "is"))


_PLACE_BEFORE_RE: Final = re.compile(r"\b(?:through|via|on|at|to|from|in|into|onto|by|for)\s+$")
_STAFF_HEAD_RE: Final = re.compile(
    r"\b(?:" + STAFF_WORDS + r"|lawyer|someone|somebody|person|people|appointment)s?$"
)


def _referent(lines: Sequence[Line], line: Line, pronoun: str) -> str:
    """What "it"/"them" stands for: the nearest noun phrase asked for (a request or
    question first), else promised, in the few sentences before; "" if none."""
    plural = pronoun in ("them", "those", "these", "both", "everything")
    candidates: list[tuple[int, int, str]] = []
    for earlier in lines[max(0, line.index - 8) : line.index + 1]:
        text = (
            earlier.lower
            if earlier.index < line.index
            else earlier.lower[: earlier.lower.find(pronoun)]
        )
        for match in _NP_RE.finditer(text):
            if re.search(r"\b(?:the|a|an|my|your|our|this)\s+$", text[: match.start()]):
                continue  # "the upload link": a noun, not a verb
            np = match.group("np").strip()
            if _PRONOUN_OBJECT_RE.fullmatch(np.split()[0]) and len(np.split()) == 1:
                continue
            if np.split()[0] in ("it", "them", "that", "this", "one", "everything", "him", "her"):
                continue
            if _STAFF_HEAD_RE.search(np):
                continue  # "I need a lawyer to look at...": a person is not what "it" is
            request = earlier.speaker != line.speaker or match.group("verb") in ("need", "have")
            agrees = _plural(np) == plural or pronoun in ("everything", "both", "that", "this")
            determined = bool(re.match(r"(?:the|a|an|your|my|our|their|his|her|\$?\d)", np))
            score = (2 if agrees else 0) + (1 if request else 0) + (1 if determined else 0)
            candidates.append((score, earlier.index * 1000 + match.start(), np))
        for match in _BARE_NP_RE.finditer(text):
            np = match.group("np").strip()
            if _PLACE_BEFORE_RE.search(text, 0, match.start()):
                continue  # "upload it through our website": the way, not the thing
            if _plural(np) == plural:
                candidates.append((3, earlier.index * 1000 + match.start(), np))
    if not candidates:
        return ""
    return max(candidates)[2]


_PARTICLES: Final = frozenset({"out", "up", "back", "over", "in", "off", "around"})


_TRANSFER_VERBS: Final = frozenset(
    {
        "send",
        "email",
        "e-mail",
        "text",
        "mail",
        "fax",
        "forward",
        "upload",
        "bring",
        "sign",
        "fill",
        "scan",
        "pay",
        "print",
        "drop",
        "return",
        "deliver",
        "get",
        "have",
        "take",
        "dig",
        "find",
        "look",
        "set",
        "review",
        "process",
        "file",
        "submit",
        "resubmit",
        "approve",
        "fix",
        "go",
        "read",
        "check",
        "activate",
    }
)


def _resolve(action: str, lines: Sequence[Line], line: Line) -> str:
    """ "email it" -> "email a copy of the inspection report"; "fill them out" -> "fill out
    the spa forms". Only for things handed over ("escalate it" stays as said), and "this"
    and "that", which often stand for the whole matter, are left alone."""
    words = action.split()
    if not words or words[0].lower() not in _TRANSFER_VERBS:
        return action
    for index, word in enumerate(words[1:4], 1):
        lowered = word.lower()
        if _PRONOUN_OBJECT_RE.fullmatch(lowered) and lowered not in ("one", "this", "that"):
            referent = _referent(lines, line, lowered)
            if referent:
                following = words[index + 1] if index + 1 < len(words) else ""
                if following.lower() in _PARTICLES:
                    words[index], words[index + 1] = following, referent
                else:
                    words[index] = referent
            return " ".join(words)
        if lowered not in (
            "back",
            "over",
            "up",
            "out",
            "at",
            "into",
            "through",
            "you",
            "me",
            "us",
            "the",
            "caller",
            "business",
        ):
            break
    return action


def _follow_up_ok(action: str, due: str, party: Party) -> bool:
    """Whether the action is a follow-up (not something done during the call)."""
    if _TOWARD_CALLER_RE.match(action):
        return True
    verbs = [_verb(part) for part in re.split(r"\band\b", action) if part.strip()]
    if not verbs or not verbs[0] or verbs[0] in ("need", "have to", "want", "like"):
        return False  # "I'll need your sales reports": a request, not a promise
    if party == "caller":
        return any(v in CALLER_VERBS or v.split()[0] in CALLER_VERBS for v in verbs) and not (
            verbs[0] in ("take", "have", "get")
            and not re.search(
                r"\b(?:photo|picture|ready|handy|to you|over|to the|to your)\b", action
            )
        )
    if action.startswith(("add that", "add it", "add this", "note", "make a note")) or (
        re.search(
            r"\b(?:to|in|on) (?:the|your) (?:profile|file|account|notes|chart|record)\b", action
        )
        and _PRONOUN_OBJECT_RE.search(action.split(" to ")[0])
    ):
        return False
    in_call = [v in IN_CALL_VERBS or v.split()[0] in IN_CALL_VERBS for v in verbs]
    if all(in_call):
        if any(v.split()[0] in FOLLOW_UP_VERBS for v in verbs):
            return True
        return bool(due) and verbs[0] not in ("need", "be", "tell", "ask", "help", "hold", "wait")
    return True


_FUTURE_HINT_RE: Final = re.compile(
    r"'ll\b|\bwill\b|\bgoing to\b|\bgonna\b|\blet me\b|\bpromise\b|\bexpect\b|\blook out\b|"
    r"\bwatch for\b|\bkeep an eye\b"
)


def _says_future(lower: str) -> bool:
    """`_FUTURE_HINT_RE.search(lower)`, answered first by substring tests: the pattern's
    alternatives are tried at every position (about 6 µs a sentence), and most sentences
    hold none of its words (85% of the labelled calls'), which `in` tells in a fraction
    of that. A sentence that holds one still gets the pattern's answer."""
    return (
        "'ll" in lower
        or "will" in lower
        or "going to" in lower
        or "gonna" in lower
        or "let me" in lower
        or "promise" in lower
        or "expect" in lower
        or "look out" in lower
        or "watch for" in lower
        or "keep an eye" in lower
    ) and _FUTURE_HINT_RE.search(lower) is not None


_TOWARD_CALLER_RE: Final = re.compile(
    r"\s*(?:be in touch|reach out|follow up|get back|be out|be there|come out|come by|stop by|"
    r"swing by|be over)\b"
)
"""What someone at the business does for the caller without saying "you"."""
_SERVICE_RE: Final = re.compile(
    r"\s*(?:(?:call|text|email|e-mail|contact|phone)\s+(?:him|her|them)\b|(?:file|serve|submit|"
    r"mail|send|prepare|draft|process|issue|deliver|install|repair|replace|order|ship)\s+"
    r"(?:the|a|an|your)\b)"
)
"""Work done for the caller, or a call to the person they called for ("will call him")."""
_EXPECT_RE: Final = re.compile(
    r"\b(?:expect|look out for|watch for|keep an eye out for)\s+(?P<what>(?:a|an)\s+"
    r"(?:call|email|e-mail|text|letter|package|check|visit)\b)"
)


def _heads(line: Line) -> list[tuple[int, int, Party, bool]]:
    """Where promises start in a line: (start of the action, start of the head, party,
    refused)."""
    lower = line.lower
    if not _says_future(lower):
        return []
    found: list[tuple[int, int, Party, bool]] = []
    for match in _FIRST_PERSON_HEAD_RE.finditer(lower):
        found.append((match.end(), match.start(), line.speaker, bool(match.group("neg"))))
    if line.speaker == "agent":
        for match in _THIRD_PERSON_HEAD_RE.finditer(lower):
            subject = match.group("subj").strip()
            if subject in (
                "it",
                "that",
                "this",
                "there",
                "what",
                "which",
                "who",
                "i",
                "we",
                "you",
                "premium",
                "rate",
                "bill",
                "price",
                "cost",
                "that's",
                "everything",
            ):
                continue
            if subject.split()[-1] in (
                "premium",
                "rate",
                "bill",
                "price",
                "cost",
                "payment",
                "policy",
                "refund",
                "check",
                "coverage",
                "claim",
            ):
                continue
            rest = _clause(lower[match.end() :])
            if not (
                re.search(r"\b(?:you|your)\b", rest)
                or _TOWARD_CALLER_RE.match(rest)
                or _SERVICE_RE.match(rest)
            ):
                continue  # "he'll check it": not for the caller
            found.append((match.end(), match.start(), "agent", bool(match.group("neg"))))
        for match in _YOU_WILL_GET_RE.finditer(lower):
            found.append((match.start("verb"), match.start(), "agent", False))
        for match in _EXPECT_RE.finditer(lower):
            found.append((match.start("what"), match.start(), "agent", False))
    else:
        for match in _CALLER_THIRD_HEAD_RE.finditer(lower):
            found.append((match.end(), match.start(), "caller", False))
    return sorted(found)


def _action_from(line: Line, start: int, head: int) -> tuple[str, str] | None:
    """(action, due phrase) from the words after a head."""
    lower = line.lower
    text = line.text
    rest = text[start:]
    clause = _clause(rest)
    due = _find_due(clause)
    action = _LEADING_RE.sub("", _strip_due(clause, due))
    if _EXPECT_RE.match(lower, head):
        what = action.split()[1].lower()
        action = "call" if what == "call" else ("visit" if what == "visit" else f"send {action}")
    elif lower[head:start].strip().startswith("you"):
        verb = re.match(r"(get|receive|hear back|hear)\s*", action, re.IGNORECASE)
        if verb is None:
            return None
        rest_action = action[verb.end() :]
        if verb.group(1).startswith("hear"):
            action = "contact " + rest_action if rest_action else "get back"
            action = re.sub(r"^contact from \S+(?: \S+)?", "get back", action)
        else:
            action = "send " + re.sub(r"\s+(?:mailed|emailed|sent)\b", "", rest_action)
    if action[:1].isupper() and not action.split()[0].isupper():
        action = action[0].lower() + action[1:]
    return action.strip(" ,"), due


_SPLIT_RE: Final = re.compile(
    r"\s+and\s+(?:then\s+)?(?=(?:send|email|e-mail|text|mail|fax|forward|call|get back|follow up|"
    r"drop|bring|upload|pay|sign|file|submit|let)\b)",
    re.IGNORECASE,
)


def _split(action: str, due: str, clause: str) -> list[tuple[str, str]]:
    """ "take it to the shop on Wednesday and send you the estimate after": two promises,
    each with its own deadline, when the first part has one of its own."""
    parts = _SPLIT_RE.split(clause, maxsplit=1)
    if len(parts) != 2:
        return [(action, due)]
    first_due = _find_due(parts[0])
    if not first_due:
        return [(action, due)]
    second_due = _find_due(parts[1])
    first = _strip_due(parts[0], first_due)
    second = _strip_due(parts[1], second_due)
    return [(_LEADING_RE.sub("", first), first_due), (second, second_due)]


_SENTENCE_END_RE: Final = re.compile(r"[.;!?]")
_ASKS_FIRST_RE: Final = re.compile(
    r"^(?:(?:and|so|ok|okay)\s+)?(?:should|shall|do|would|can|will)\b"
)
_WOULD_RE: Final = re.compile(r"(?:i|we)(?:'d| would)\b")
_HEDGE_RE: Final = re.compile(r"\b(?:probably|maybe|possibly|might)\b")
_NO_RE: Final = re.compile(r"^(?:no|nah|nope)\b")
_CALL_BACK_RE: Final = re.compile(r"\b(?:call|get back)\b")


def _promises(lines: Sequence[Line]) -> list[_Promise]:
    promises: list[_Promise] = []
    for line in lines:
        lower = line.lower
        for start, head, party, refused in _heads(line):
            before = lower[max(0, head - CLAUSE_LOOKBACK) : head]
            if refused or _REFUSAL_RE.search(lower[head:start]):
                continue
            if _CONDITION_RE.search(_SENTENCE_END_RE.split(before)[-1]):
                continue  # "if I need one I'll call you", "maybe I'll"
            if line.question and _ASKS_FIRST_RE.match(lower):
                continue
            if _WOULD_RE.match(lower, head):
                continue
            found = _action_from(line, start, head)
            if found is None:
                continue
            action, due = found
            if re.fullmatch(
                r"(?:do|take care of|handle|get on) (?:that|it|this|both)", action.lower()
            ):
                asked = _request_before(lines, line)
                if asked is None:
                    continue
                action = asked  # "Can you scan the letter?" - "Sure, I'll do that this afternoon."
            if _HEDGE_RE.search(action.split(" ")[0]):
                continue
            if not action or not _follow_up_ok(action, due, party):
                continue
            parts = _split(action, due, _clause(line.text[start:]))
            if (
                party == "caller"
                and line.speaker == "caller"
                and _NO_RE.match(lower)
                and not _CALL_BACK_RE.search(action)
            ):
                continue  # "No, I'll just look online": declining, not promising
            for part, part_due in parts:
                if part and (len(parts) == 1 or _follow_up_ok(part, part_due, party)):
                    promises.append(_Promise(party, part, part_due, line.index, line.turn))
    return promises


def _request_before(lines: Sequence[Line], line: Line) -> str | None:
    """The action the other side asked for in the turn before `line` ("Can you scan the
    letter and email it to us?" -> "scan the letter and email it to us")."""
    said = [x for x in turn_lines(lines, line.turn - 1) if x.speaker != line.speaker]
    return _last_request(said)


_OFFER_CONDITION_RE: Final = re.compile(
    r"\b(?:if|unless|in case|whether|once|as soon as|when you|after you)\b"
)
_QUESTION_TAG_RE: Final = re.compile(
    r",?\s*(?:does|would|will|is|how does)\s+(?:that|this)\s+(?:work|sound|be ok(?:ay)?)"
    r"(?:\s+for you)?\s*\??$"
)
"""A question tag after an offer: "we can swing by tomorrow between 2 and 4, does that work?"."""
_WH_RE: Final = re.compile(r"\b(?:what|which|where|when|how|who|whom|why)\b")
_I_WILL_RE: Final = re.compile(r"^(?:(?:yes|yeah|sure|ok|okay)[, ]+)?(?:i|we) will\.?$")


def _offers_and_acks(lines: Sequence[Line], promises: list[_Promise]) -> None:
    """Offers the other side accepted, and "will do" to a request (turn by turn)."""
    turns = sorted({line.turn for line in lines})
    for turn in turns:
        said = turn_lines(lines, turn)
        answer = turn_lines(lines, turn + 1)
        if not said or not answer or answer[0].speaker == said[0].speaker:
            continue
        # "We can have a tech there at 11. Address?" - "4033 West Belmont": accepted too.
        accepted = not declines(answer) and (affirms(answer) or said[-1].question)
        offered = False
        for line in said:
            offer = _OFFER_RE.search(line.lower) if accepted else None
            if offer is None or (line.question and _WH_RE.search(line.lower, 0, offer.start())):
                continue  # "What email should I use?" asks; it offers nothing
            if _OFFER_CONDITION_RE.search(
                re.split(
                    r"[.;!?]", line.lower[max(0, offer.start() - CLAUSE_LOOKBACK) : offer.start()]
                )[-1]
            ):
                continue  # "once you have the hull ID I can quote it": not yet an offer
            offered = True
            vp = _clause(_QUESTION_TAG_RE.sub("", offer.group("vp")))
            due = _find_due(vp)
            action = _strip_due(vp, due)
            if (
                action
                and _follow_up_ok(action, due, line.speaker)
                and not re.match(r"^(?:help|do|answer|see|talk)\b", action)
            ):
                promises.append(
                    _Promise(line.speaker, action, due, answer[0].index, line.turn, offer=True)
                )
        first = answer[0]
        if offered or not (_ACK_RE.match(first.lower.strip()) or _I_WILL_RE.match(first.lower)):
            continue
        request = _last_request(said)
        if request is None:
            continue
        due = _find_due(request)
        action = re.sub(r"^(?:please|just|also)\s+", "", _strip_due(request, due))
        if re.fullmatch(
            r"(?:call|text|email|e-mail|mail|reach|contact)\s+(?:me|us)(?:[\s,]+.{0,25})?", action
        ) and not re.search(r"\b(?:when|once|after|back|about|with)\b", action):
            continue  # "just email me": how to reach them, not a promise
        if action and not re.match(r"^(?:hold|wait|help|be|tell|ask|confirm)\b", action):
            promises.append(_Promise(first.speaker, action, due, first.index, first.turn))


_REQUEST_HINT_RE: Final = re.compile(
    r"\b(?:you|she|he|they|please|just|need|want|like|sure|forget)\b|^(?:and |also |oh |so )?"
    r"(?:send|email|text|mail|call|bring|fax|forward|upload)\b"
)


def _last_request(said: Sequence[Line]) -> str | None:
    """The last thing asked for in a turn ("...please bring your insurance card")."""
    for line in reversed(said):
        if not _REQUEST_HINT_RE.search(line.lower):
            continue
        match = _REQUEST_RE.search(line.lower)
        if match is not None:
            name = next(k for k, v in match.groupdict().items() if k.startswith("vp") and v)
            return _clause(line.text[match.start(name) :])
    return None


def _later_due(lines: Sequence[Line], promises: list[_Promise]) -> None:
    """ "I'll get back to you." - "When?" - "By Wednesday at the latest." """
    for promise in promises:
        line = lines[promise.line]
        asked = next_turn(lines, line)
        if not asked or not any(
            x.question
            and re.search(r"\b(?:when|today|tomorrow|how long|by when|what time)\b", x.lower)
            for x in asked
        ):
            continue
        reply = next_turn(lines, asked[-1])
        if not reply or reply[0].speaker != line.speaker:
            continue
        for sentence in reply[:2]:
            if _heads(sentence):
                break  # a new promise, not the answer to "when?"
            due = _find_due(sentence.text)
            if due:
                due = _due_as_said(due)
                promise.due = f"{promise.due} {due}".strip() if promise.due else due
                break


_CANCEL_WORDS: Final = frozenset(
    {
        "bother",
        "need",
        "worry",
        "forget",
        "skip",
        "mind",
        "nevermind",
        "scratch",
        "waive",
        "longer",
        "have",
    }
)


def _cancel(lines: Sequence[Line], promises: list[_Promise]) -> None:
    """ "Actually, don't bother with the renewal quotes": the other side's promise is off."""
    for line in lines:
        if line.words.isdisjoint(_CANCEL_WORDS):
            continue
        match = _CANCEL_RE.search(line.lower)
        if match is None:
            continue
        own = match.group().startswith(
            ("scratch", "i'll waive", "we'll waive", "we will waive", "i will waive")
        )
        waive = "waive" in match.group()
        target_party = (
            line.speaker
            if own and not waive
            else ("agent" if line.speaker == "caller" else "caller")
        )
        what = content_words(match.group("what"))
        open_ = [
            p
            for p in promises
            if p.party == target_party and p.line < line.index and not p.cancelled
        ]
        hits = [p for p in open_ if what and what & content_words(p.action)]
        if not hits and open_:
            hits = [open_[-1]]
        # The offer that the cancelled promise followed up is off too.
        hits += [
            p
            for p in open_
            if p.offer and any(0 <= hit.turn - p.turn <= 2 for hit in hits if hit is not p)
        ]
        for promise in hits:
            promise.cancelled = True


def _merge(promises: list[_Promise], lines: Sequence[Line]) -> list[_Promise]:
    """One promise said twice, or restated after an accepted offer, is one commitment."""
    kept: list[_Promise] = []
    keys: list[tuple[str, set[str]]] = []  # verb class and content words of each kept one
    for promise in sorted(promises, key=lambda p: p.line):
        if promise.cancelled:
            continue
        kind = _verb_class(promise.action)
        words = content_words(promise.action) - content_words(_verb(promise.action))
        bare = _pronoun_only(promise.action) or not words
        same = None
        for index in range(len(kept) - 1, -1, -1):
            earlier = kept[index]
            if earlier.party != promise.party:
                continue
            earlier_kind, earlier_words = keys[index]
            if (
                earlier.offer
                and 0 < promise.turn - earlier.turn <= 2
                and (earlier_kind == kind or earlier_words & words)
            ):
                same = index  # "Would you like me to shop it around?" - "Sure" - "I'll get quotes"
                break
            # "She'll call your mother tomorrow" - "Dr. Kim will call you tomorrow": one call
            # (whom to call is corrected); sending two things on one day is two promises.
            restated = (
                kind in ("contact", "visit")
                and bool(promise.due)
                and (
                    promise.due.lower() == earlier.due.lower() and promise.turn - earlier.turn <= 3
                )
            )
            if earlier_kind == kind and (
                earlier_words & words or bare or _pronoun_only(earlier.action) or restated
            ):
                same = index
                break
        if same is None:
            kept.append(promise)
            keys.append((kind, words))
            continue
        target = kept[same]
        if target.offer:
            target.action, target.offer = promise.action, False
            keys[same] = (kind, words)
        elif _pronoun_only(target.action) and not _pronoun_only(promise.action):
            target.action = promise.action
            keys[same] = (kind, words)
        if promise.due:
            target.due = promise.due
        target.line = min(target.line, promise.line)
    return kept


def _pronoun_only(action: str) -> bool:
    words = action.split()[1:]
    return bool(words) and all(_PRONOUN_OBJECT_RE.fullmatch(w) or w in _GENERIC for w in words)


VERB_CLASSES: Final = {
    "send": "send", "email": "send", "e-mail": "send", "mail": "send", "text": "send",
    "fax": "send", "forward": "send", "upload": "send", "deliver": "send", "drop": "send",
    "call": "contact", "phone": "contact", "ring": "contact", "get back": "contact",
    "follow up": "contact", "reach out": "contact", "contact": "contact", "let": "contact",
    "message": "contact", "notify": "contact", "update": "contact", "hear": "contact",
    "come": "visit", "visit": "visit", "stop by": "visit", "swing by": "visit", "be": "visit",
    "shoot": "send",
    "book": "schedule", "schedule": "schedule", "set": "schedule", "reschedule": "schedule",
    "submit": "submit", "resubmit": "submit", "file": "submit",
}  # fmt: skip
_PEOPLE: Final = re.compile(
    r"\b(?:technician|tech|plumber|someone|somebody|crew|adjuster|"
    r"inspector|electrician|installer|him|her)\b"
)


def verb_class(action: str) -> str:
    """The kind of an action's main verb: "email the cards" and "send the cards" are both
    "send"; "have the manager call" is "contact"; "send a technician" is "visit"."""
    return _verb_class(action)


_TITLES: Final = frozenset(
    {
        "the",
        "a",
        "an",
        "our",
        "my",
        "your",
        "their",
        "dr",
        "dr.",
        "attorney",
        "mr",
        "mr.",
        "mrs",
        "mrs.",
        "ms",
        "ms.",
        "doctor",
        "on-call",
    }
)


def _verb_class(action: str) -> str:
    words = action.split()
    if not words:
        return ""
    lowered = [w.lower() for w in words]
    if lowered[:3] == ["be", "in", "touch"]:
        return "contact"
    verb = _verb(" ".join(lowered))
    if verb in ("have", "get") and len(words) > 1:
        # "have the estimator Mike call", "have Dr. Patel review": the verb after the person.
        index = 1
        while (
            index < len(words)
            and index < 6
            and (
                lowered[index] in _TITLES
                or lowered[index] in STAFF_WORDS.split("|")
                or (words[index][:1].isupper() and index > 0)
            )
        ):
            index += 1
        if 1 < index < len(words):
            inner = _verb(" ".join(lowered[index:]))
            return VERB_CLASSES.get(inner, VERB_CLASSES.get(inner.split()[0], inner))
        for word in lowered[1:6]:
            if word in VERB_CLASSES and word not in ("be", "set", "let", "update"):
                return VERB_CLASSES[word]
        if re.search(r"\bto (?:you|the caller|the business)\b|\bover\b", action):
            return "send"
    words = lowered
    if verb == "send" and _PEOPLE.search(" ".join(words[1:3])):
        return "visit"
    return VERB_CLASSES.get(verb, VERB_CLASSES.get(verb.split()[0], verb))


def verb_classes(action: str) -> set[str]:
    """The classes of every verb of an action ("take a photo and email it": take, send)."""
    return {_verb_class(part) for part in re.split(r"\band\b|,", action) if part.strip()}


def extract_commitments(lines: Sequence[Line]) -> tuple[Commitment, ...]:
    """The call's commitments in the order they were made (neutral actions, due as said)."""
    promises = _promises(lines)
    _offers_and_acks(lines, promises)
    _later_due(lines, promises)
    for promise in promises:
        promise.action = _resolve(promise.action, lines, lines[promise.line])
    kept = _merge(promises, lines)
    _cancel(lines, kept)
    kept = [p for p in kept if not p.cancelled]
    result: list[Commitment] = []
    for promise in sorted(kept, key=lambda p: p.line):
        action = _neutral(promise.action, promise.party)
        action = re.sub(r"\s+(?:please|too|as well|also|then|now|for now)$", "", action)
        if action:
            due = " ".join(_due_as_said(part) for part in promise.due.split("  "))
            result.append(Commitment(promise.party, action[:200], due[:80]))
    return tuple(result)
