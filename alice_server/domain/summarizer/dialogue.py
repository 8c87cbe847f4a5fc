"""The call as the note-taker reads it: sentences with their speaker and turn, and the
small dialogue acts the notes depend on (a question, a yes, a no thanks).

Facts, commitments and the request all need to know who said a sentence, whether it
was a question, and what the other side answered; this module cuts the transcript
once for them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from alice_server.domain.summarizer.interface import Party, TranscriptTurn
from alice_server.domain.summarizer.sentences import split_turns
from alice_server.domain.summarizer.vocabulary import STOP_WORDS, tokenize

SPACES_RE: Final = re.compile(r"\s+")
_HAS_DIGIT_RE: Final = re.compile(r"\d")
CLAUSE_LOOKBACK: Final = 240
"""How far back (characters) the extractors read the clause before a match: reading back to
the start of a long unpunctuated turn for every match made the work quadratic; 240
characters (~40 words) hold the clause's own words."""
WORDS_RE: Final = re.compile(r"[a-z0-9#@]+(?:['./-][a-z0-9]+)*")


@dataclass(frozen=True, slots=True)
class Line:
    """One sentence of a caller or agent turn."""

    index: int
    """Position among all lines of the call."""
    turn: int
    """Position of its turn among the caller and agent turns that have words."""
    speaker: Party
    text: str
    """As spoken, apostrophes normalised and whitespace collapsed."""
    lower: str
    question: bool
    """Ends with "?" or opens like one ("do you", "can I", "what's")."""
    words: frozenset[str]
    """Its lower-case words, so that an extractor skips the lines that cannot match."""


QUESTION_OPENING_RE: Final = re.compile(
    r"^(?:(?:and|so|ok|okay|oh|um|uh|also|great|thanks|thank you)[, ]+)*"
    r"(?:do|does|did|is|are|was|were|can|could|would|will|should|shall|may|have|has|"
    r"what|what's|whats|when|when's|where|which|who|who's|how|how's|why|any)\b"
)
_AFFIRM_RE: Final = re.compile(
    r"^(?:(?:oh|um|uh|well|and|great|perfect)[, ]+)?(?:yes|yeah|yep|yup|yes please|sure|"
    r"ok|okay|correct|right|that's right|that is right|that's correct|exactly|absolutely|"
    r"of course|please do|please|go ahead|sounds good|that works|that's fine|that would be great|"
    r"that'd be great|that would help|that helps|perfect|great|definitely|i'll take it|"
    r"that's perfect|works for me|mm-hmm|uh-huh)\b"
)
_DECLINE_RE: Final = re.compile(
    r"^(?:(?:oh|um|uh|well|actually)[, ]+)?(?:no|nope|nah|not|that's okay|that's ok|"
    r"i'm good|i'm fine|no thanks|no thank you|don't|never mind)\b"
)


class Dialogue(list[Line]):
    """The lines of a call, with an index by turn (the extractors look at neighbouring
    turns for every line; a scan each time would make long calls quadratic)."""

    def __init__(self, lines: Sequence[Line]) -> None:
        super().__init__(lines)
        self.by_turn: dict[int, list[Line]] = {}
        for line in lines:
            self.by_turn.setdefault(line.turn, []).append(line)


def build_lines(
    turns: Sequence[TranscriptTurn], split: Sequence[list[str]] | None = None
) -> Dialogue:
    """The caller and agent sentences of a call, in order (system and empty turns dropped).
    `split` is `split_turns(turns)` when the caller has it already."""
    lines: list[Line] = []
    turn_index = -1
    for turn, raws in zip(turns, split if split is not None else split_turns(turns), strict=True):
        if turn.speaker not in ("caller", "agent"):
            continue
        speaker: Party = "caller" if turn.speaker == "caller" else "agent"
        sentences = [SPACES_RE.sub(" ", s).strip() for s in raws]
        sentences = [s for s in sentences if any(c.isalnum() for c in s)]
        if not sentences:
            continue
        turn_index += 1
        for sentence in sentences:
            lower = sentence.lower()
            question = sentence.rstrip("\"') ").endswith("?") or bool(
                QUESTION_OPENING_RE.match(lower)
            )
            found = WORDS_RE.findall(lower)
            words = frozenset(found + [w[:-2] for w in found if w.endswith("'s")])
            lines.append(Line(len(lines), turn_index, speaker, sentence, lower, question, words))
    return Dialogue(lines)


def turn_lines(lines: Sequence[Line], turn: int) -> list[Line]:
    """The lines of one turn."""
    if isinstance(lines, Dialogue):
        return lines.by_turn.get(turn, [])
    return [line for line in lines if line.turn == turn]


def turn_text(lines: Sequence[Line], turn: int) -> str:
    """The lower-case text of one turn."""
    return " ".join(line.lower for line in turn_lines(lines, turn))


def previous_turn(lines: Sequence[Line], line: Line) -> list[Line]:
    """The lines of the turn before `line`'s turn (the other speaker's, in a dialogue)."""
    return turn_lines(lines, line.turn - 1) if line.turn > 0 else []


def next_turn(lines: Sequence[Line], line: Line) -> list[Line]:
    return turn_lines(lines, line.turn + 1)


def affirms(lines: Sequence[Line]) -> bool:
    """Whether a turn opens with a yes ("Yes.", "That works.", "Sure, why not.")."""
    return bool(lines) and bool(_AFFIRM_RE.match(lines[0].lower)) and not declines(lines)


def declines(lines: Sequence[Line]) -> bool:
    """Whether a turn opens with a no ("No, that's okay.", "Not yet.")."""
    return bool(lines) and bool(_DECLINE_RE.match(lines[0].lower))


def english_share(lines: Sequence[Line], sample: int = 200) -> float:
    """The share of words that are English function words: about 0.4-0.6 in English
    (over the first `sample` words: enough to tell)."""
    words: list[str] = []
    for line in lines:
        # Digits and spelled letters ("9 0 2 0", "Z O E") are no language's words.
        tokens: Sequence[str] = tokenize(line.lower)
        if _HAS_DIGIT_RE.search(line.lower):
            tokens = [w for w in tokens if not _HAS_DIGIT_RE.search(w)]
        words.extend(w for w in tokens if len(w) > 1)
        if len(words) >= sample:
            break
    if not words:
        return 1.0
    return sum(1 for w in words if w in STOP_WORDS) / len(words)


# --- first person to third person, for the note --------------------------------------------

_PERSON_SWAPS: Final = {
    "i": "they", "i'm": "they're", "i've": "they've", "i'll": "they'll", "i'd": "they'd",
    "me": "them", "my": "their", "mine": "theirs", "myself": "themselves", "we": "they",
    "we're": "they're", "we've": "they've", "we'll": "they'll", "we'd": "they'd", "us": "them",
    "our": "their", "ours": "theirs", "ourselves": "themselves", "am": "are", "was": "were",
}  # fmt: skip
_SWAP_RE: Final = re.compile(r"\b(?:i am|i was|we was)\b|\b(?:i'm|i've|i'll|i'd|we're|we've|"
                             r"we'll|we'd|i|me|my|mine|myself|we|us|our|ours|ourselves)\b",
                             re.IGNORECASE)  # fmt: skip


def third_person(text: str) -> str:
    """ "I need to add my son" -> "they need to add their son" (the caller's words, reported)."""

    def swap(match: re.Match[str]) -> str:
        word = match.group().lower()
        if word == "i am":
            return "they are"
        if word in ("i was", "we was"):
            return "they were"
        return _PERSON_SWAPS.get(word, word)

    return _SWAP_RE.sub(swap, text)


def second_to_third(text: str) -> str:
    """The agent's "your truck" -> "their truck", "you" -> "them" (the caller, reported)."""
    text = re.sub(r"\byour\b", "their", text, flags=re.IGNORECASE)
    text = re.sub(r"\byou're\b", "they're", text, flags=re.IGNORECASE)
    text = re.sub(r"\byou've\b", "they've", text, flags=re.IGNORECASE)
    return re.sub(r"\byou\b", "them", text, flags=re.IGNORECASE)
