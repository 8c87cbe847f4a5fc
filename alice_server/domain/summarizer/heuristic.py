"""HeuristicSummarizer: the built-in summariser that ties the other modules together."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from typing import Final

from alice_server.domain.summarizer.commitments import extract_commitments
from alice_server.domain.summarizer.dialogue import Line, build_lines, english_share
from alice_server.domain.summarizer.facts import extract_facts
from alice_server.domain.summarizer.interface import (
    CallAnalysis,
    CallNotes,
    ExtractedMemory,
    PersonalityScores,
    Speaker,
    TranscriptTurn,
)
from alice_server.domain.summarizer.names import find_name
from alice_server.domain.summarizer.notes import call_notes, render_summary
from alice_server.domain.summarizer.personality import personality_scores
from alice_server.domain.summarizer.sentences import Sentence, build_sentences, split_turns
from alice_server.domain.summarizer.sentiment import sentiment_label, sentiment_weights
from alice_server.domain.summarizer.summary import summarize
from alice_server.domain.summarizer.topics import (
    TermCounts,
    count_terms,
    select_topics,
    sentence_lemmas,
)
from alice_server.domain.summarizer.vocabulary import APOSTROPHES, WORD_RE, tokenize

ENGLISH_SHARE: Final = 0.15
"""Below this share of English function words a call is not English: no facts, no
commitments, the extractive summary (English calls score about 0.4-0.6)."""
MIN_LANGUAGE_WORDS: Final = 12


class HeuristicSummarizer:
    """The built-in summariser (the default): deterministic, standard library only.

    It keeps no state; one instance can serve any number of concurrent calls. The
    work is CPU-bound (about 20 ms for 200 turns, over a second for the largest
    transcripts): given an `executor` (the server passes a process pool), `analyze`
    runs it there, so that a long call cannot stall the event loop of every tenant;
    without one it runs in the caller's thread.
    """

    def __init__(self, executor: Executor | None = None) -> None:
        self._executor = executor

    async def analyze(self, turns: Sequence[TranscriptTurn]) -> CallAnalysis:
        """Analyse a call; see :meth:`analyze_sync`."""
        if self._executor is None:
            return self.analyze_sync(turns)
        loop = asyncio.get_running_loop()
        # Plain (speaker, text) pairs cross the process boundary: a pickled dataclass
        # per turn cost about 8x as much to pickle and to load again.
        pairs = tuple((turn.speaker, turn.text) for turn in turns)
        return await loop.run_in_executor(self._executor, _analyze_in_worker, pairs)

    def analyze_sync(self, turns: Sequence[TranscriptTurn]) -> CallAnalysis:
        """Analyse a call: the call notes (summary, facts, commitments), sentiment, key
        topics, personality and caller name."""
        split = split_turns(turns)
        sentences = build_sentences(turns, split)
        caller = [s for s in sentences if s.speaker == "caller"]
        caller_texts = [t.text.translate(APOSTROPHES) for t in turns if t.speaker == "caller"]
        agent_texts = [t.text.translate(APOSTROPHES) for t in turns if t.speaker == "agent"]
        caller_name = find_name(caller_texts)
        agent_name = find_name(agent_texts)
        excluded = frozenset(
            tokenize(" ".join(n for n in (caller_name, agent_name) if n is not None))
        )
        memo: dict[str, str | None] = {}
        lemmas = {s.position: sentence_lemmas(s, excluded, memo) for s in sentences}
        counts = count_terms(sentences, lemmas)
        if not caller:
            summary = summarize(sentences, lemmas, counts, (), caller_spoke=False)
            return CallAnalysis(summary, "neutral", (), PersonalityScores.neutral(), None)
        topics = select_topics(counts)
        lines = build_lines(turns, split)
        if _english(lines):
            facts = extract_facts(lines)
            notes = call_notes(lines, extract_commitments(lines), facts)
        else:
            facts, notes = (), CallNotes()
        summary = _note(notes, facts, sentences, lemmas, counts, topics)
        positive, negative = sentiment_weights(c for s in caller for c in s.clauses)
        caller_turns = max(1, sum(1 for t in caller_texts if WORD_RE.search(t)))
        return CallAnalysis(
            summary=summary,
            sentiment=sentiment_label(positive, negative),
            key_topics=topics,
            personality=personality_scores(caller, caller_turns, (positive, negative)),
            caller_name=caller_name,
            memories=facts,
            notes=notes,
        )


def _english(lines: Sequence[Line]) -> bool:
    words = sum(len(line.lower.split()) for line in lines)
    return words < MIN_LANGUAGE_WORDS or english_share(lines) >= ENGLISH_SHARE


def _note(
    notes: CallNotes,
    facts: Sequence[ExtractedMemory],
    sentences: Sequence[Sentence],
    lemmas: Mapping[int, tuple[list[str], list[str]]],
    counts: TermCounts,
    topics: Sequence[str],
) -> str:
    """The receptionist's note; the extractive summary when the call gave none."""
    if not (notes.wanted or notes.outcome or notes.commitments):
        return summarize(sentences, lemmas, counts, topics, caller_spoke=True)
    fallback = (
        ""
        if notes.wanted
        else summarize(sentences, lemmas, counts, topics, caller_spoke=True, max_sentences=1)
    )
    return render_summary(notes, facts, fallback)


def _analyze_in_worker(pairs: tuple[tuple[Speaker, str], ...]) -> CallAnalysis:
    """The work of `HeuristicSummarizer.analyze` in an executor (a picklable function),
    on the turns as (speaker, text) pairs."""
    return HeuristicSummarizer().analyze_sync([TranscriptTurn(s, t) for s, t in pairs])


def warm_up() -> None:
    """Run in each new worker process, so that the first real call does not pay the imports."""
