"""Cutting turns into sentences and clauses, and matching the phrase lexicons in them."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from alice_server.domain.summarizer.interface import TranscriptTurn
from alice_server.domain.summarizer.limits import (
    MAX_SENTENCE_WORDS,
    MIN_CHUNK_CUT_WORDS,
    MIN_CHUNK_REST_WORDS,
    NEGATION_WINDOW,
)
from alice_server.domain.summarizer.vocabulary import (
    ABBREVIATIONS,
    APOSTROPHES,
    CLAUSE_SPLIT_RE,
    LEADING_FILLER_RE,
    LINE_SPLIT_RE,
    NEGATORS,
    NON_NEGATABLE_LEXICONS,
    PHRASE_INDEX,
    SENTENCE_END_RE,
    SPACE_RE,
    tokenize,
)


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence (or chunk of a long sentence) of a caller or agent turn."""

    position: int
    speaker: Literal["caller", "agent"]
    raw: str
    """The sentence as spoken (whitespace normalised)."""
    text: str
    """As shown in a summary: leading fillers removed, capitalised, punctuated ("..." marks
    where a long sentence was cut)."""
    clauses: tuple[tuple[str, ...], ...]
    """Lower-case words of the original sentence, per clause (negation and phrases stay inside)."""
    matches: Counter[str]
    """Lexicon match counts of the sentence (see LEXICONS)."""
    cues: frozenset[str]
    """Lexicons that matched, with "pleasantry" judged after leading fillers are removed."""
    is_question: bool
    starts: bool
    """False for the second and later chunks of a long sentence."""
    ends: bool
    """False for all but the last chunk of a long sentence."""

    @property
    def word_count(self) -> int:
        """Number of words in the sentence."""
        return sum(len(clause) for clause in self.clauses)


_INITIALS_RE: Final = re.compile(r"(?:[a-z]\.)+[a-z]")


def split_sentences(text: str) -> list[str]:
    """Split a turn into sentences at line breaks and at ``.``/``!``/``?`` followed by a space.

    A full stop after a known abbreviation ("Mr.", "a.m.") does not end a sentence.
    """
    sentences: list[str] = []
    for line in LINE_SPLIT_RE.split(text):
        line = SPACE_RE.sub(" ", line).strip()
        if not SENTENCE_END_RE.search(line):
            if line:
                sentences.append(line)
            continue
        start = 0
        for match in SENTENCE_END_RE.finditer(line):
            before = line[start : match.start()].rsplit(" ", 1)[-1].lower().lstrip("(\"'")
            if match.group().strip().rstrip("\"')]") == "." and (
                before in ABBREVIATIONS or _INITIALS_RE.fullmatch(before)
            ):  # "Mr.", "a.m.", "A.O. Smith"
                continue
            piece = line[start : match.end()].strip()
            if piece:
                sentences.append(piece)
            start = match.end()
        rest = line[start:].strip()
        if rest:
            sentences.append(rest)
    return sentences


def _chunk_sentence(sentence: str) -> list[str]:
    """Cut a sentence of more than ``MAX_SENTENCE_WORDS`` words into chunks of similar size.

    With n = ceil(words / MAX_SENTENCE_WORDS) chunks, each chunk is about words / n long: it
    ends at a word ending in a comma/semicolon/colon once it has ``MIN_CHUNK_CUT_WORDS`` words,
    and in any case at the target size (unpunctuated speech-to-text output needs this); but no
    cut leaves fewer than ``MIN_CHUNK_REST_WORDS`` words behind.
    """
    words = sentence.split(" ")
    if len(words) <= MAX_SENTENCE_WORDS:
        return [sentence]
    pieces = -(-len(words) // MAX_SENTENCE_WORDS)
    target = -(-len(words) // pieces)
    chunks: list[str] = []
    current: list[str] = []
    for index, word in enumerate(words):
        current.append(word)
        if len(words) - index - 1 < MIN_CHUNK_REST_WORDS:
            continue
        at_clause_end = len(current) >= MIN_CHUNK_CUT_WORDS and word.endswith((",", ";", ":"))
        if at_clause_end or len(current) >= target:
            chunks.append(" ".join(current))
            current = []
    if current:
        chunks.append(" ".join(current))
    return chunks


def _display_text(chunk: str, starts: bool, ends: bool) -> str:
    """A chunk as shown in a summary (leading fillers already removed).

    A sentence start is capitalised and a sentence end gets a full stop if it has no end
    mark; a chunk cut from the middle of a long sentence is marked with "..." instead.
    """
    text = chunk.strip().rstrip(" ,;:-")
    if not text:
        return text
    if not starts:
        text = "..." + text
    elif text[0].islower():
        text = text[0].upper() + text[1:]
    if not ends:
        return text + "..."
    return text if text[-1] in ".!?\"')" else text + "."


def _clauses(sentence: str) -> tuple[tuple[str, ...], ...]:
    """The lower-case words of a sentence, grouped by clause (split at , ; : dashes)."""
    clauses = (tokenize(part) for part in CLAUSE_SPLIT_RE.split(sentence))
    return tuple(clause for clause in clauses if clause)


def is_negated(clause: Sequence[str], index: int) -> bool:
    """Whether a negator occurs within ``NEGATION_WINDOW`` words before ``clause[index]``."""
    for word in clause[max(0, index - NEGATION_WINDOW) : index]:
        if word in NEGATORS or word.endswith("n't"):
            return True
    return False


def _match_lexicons(clauses: Iterable[Sequence[str]]) -> Counter[str]:
    """Count lexicon matches in the clauses: at most one per lexicon per starting word.

    A one-word phrase of a negatable lexicon is skipped when it is negated. Words inside a
    longer counted phrase do not start other phrases.
    """
    counts: Counter[str] = Counter()
    for clause in clauses:
        index = 0
        while index < len(clause):
            if clause[index] in PHRASE_INDEX:
                index += _match_at(clause, index, counts)
            else:
                index += 1
    return counts


def _match_at(clause: Sequence[str], index: int, counts: Counter[str]) -> int:
    """Count the phrases starting at ``clause[index]``; return how many words they cover.

    The caller continues after the longest counted phrase, so the words inside it start
    nothing ("thanks again" is not also "again"; "make sure" is not also "sure").
    """
    matched: set[str] = set()
    negated: bool | None = None
    covered = 1
    for group in PHRASE_INDEX[clause[index]]:
        size = group.size
        found = group.lexicons_by_words.get(tuple(clause[index : index + size]))
        if found is None:
            continue
        for lexicon in found:
            if lexicon in matched:
                continue
            if size == 1 and lexicon not in NON_NEGATABLE_LEXICONS:
                if negated is None:
                    negated = is_negated(clause, index)
                if negated:
                    continue
            matched.add(lexicon)
            counts[lexicon] += 1
            covered = max(covered, size)
    return covered


def _make_sentence(
    position: int, speaker: Literal["caller", "agent"], chunk: str, starts: bool, ends: bool
) -> Sentence | None:
    """Tokenise and annotate one sentence (or chunk); None if it has no words.

    "pleasantry" is judged on the sentence without its leading fillers, so that
    "Hi, I need to add a car" is a request, not a greeting.
    """
    clauses = _clauses(chunk)
    if not clauses:
        return None
    matches = _match_lexicons(clauses)
    cues = set(matches)
    stripped = LEADING_FILLER_RE.sub("", chunk) if starts else chunk
    if stripped != chunk:
        cues.discard("pleasantry")
        if "pleasantry" in _match_lexicons(_clauses(stripped)):
            cues.add("pleasantry")
    return Sentence(
        position=position,
        speaker=speaker,
        raw=chunk,
        text=_display_text(stripped.strip() or chunk, starts, ends),
        clauses=clauses,
        matches=matches,
        cues=frozenset(cues),
        is_question=ends and chunk.rstrip("\"')] ").endswith("?"),
        starts=starts,
        ends=ends,
    )


def split_turns(turns: Sequence[TranscriptTurn]) -> list[list[str]]:
    """The sentences of each turn, apostrophes normalised ([] for a system turn): cut once
    for both the summary's sentences and the call notes' lines."""
    return [
        split_sentences(turn.text.translate(APOSTROPHES))
        if turn.speaker in ("caller", "agent")
        else []
        for turn in turns
    ]


def build_sentences(
    turns: Sequence[TranscriptTurn], split: Sequence[list[str]] | None = None
) -> list[Sentence]:
    """Cut the caller and agent turns into sentences; system and empty turns are dropped.
    `split` is `split_turns(turns)` when the caller has it already."""
    sentences: list[Sentence] = []
    for turn, raws in zip(turns, split if split is not None else split_turns(turns), strict=True):
        speaker = turn.speaker
        if speaker != "caller" and speaker != "agent":
            continue
        for raw in raws:
            chunks = _chunk_sentence(raw)
            for index, chunk in enumerate(chunks):
                starts, ends = index == 0, index == len(chunks) - 1
                sentence = _make_sentence(len(sentences), speaker, chunk, starts, ends)
                if sentence is not None:
                    sentences.append(sentence)
    return sentences
