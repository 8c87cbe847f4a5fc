"""Hybrid ranking: keyword and semantic candidates fused by reciprocal rank fusion.

Storage reads the caller's (and the shared) memories in scope with their
full-text score and embedding; `top_candidates` keeps the best `depth` by full-text
rank and the best `depth` by embedding similarity. `fuse` turns them into one
ranking:

    score(memory) = w_keyword / (RRF_K + keyword rank) + 1 / (RRF_K + semantic rank)

(terms only for the rankings the memory is in; Cormack, Clarke and Buettcher,
"Reciprocal rank fusion outperforms Condorcet and individual rank learning
methods", SIGIR 2009; k = 60 as there). A memory both lists agree on beats one
that only one list likes.

The keyword weight depends on the query. A spoken question ("what car does
she drive") shares only common words with memories, and a keyword match on
"drive" (a daughter who is a "new driver") is weak evidence: weight 0.5. A
query that names an identifier (a token with a digit or an '@', or a
capitalised name: "PA-448120", "7KQM219", "Robert called") is where keywords
must win: weight 1, and on equal scores the better keyword rank goes first. The
evaluation set (docs/RETRIEVAL.md) chose these numbers.

A semantic candidate counts only from SEMANTIC_MIN_SIMILARITY: below it, a
static embedding's similarity is noise, and a query about nothing the caller
said should find nothing (docs/RETRIEVAL.md shows how it was chosen).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

from alice_server.domain.errors import FailedPrecondition

RRF_K = 60
KEYWORD_WEIGHT = 0.5
IDENTIFIER_KEYWORD_WEIGHT = 1.0
# Cosine similarity below which a memory is not a semantic match.
SEMANTIC_MIN_SIMILARITY = 0.1
# Each ranking contributes at most this many candidates (or the limit, if larger).
MIN_CANDIDATE_DEPTH = 30

T = TypeVar("T")


class SearchMode(enum.Enum):
    HYBRID = "hybrid"
    KEYWORD = "keyword"
    SEMANTIC = "semantic"

    @property
    def uses_keywords(self) -> bool:
        return self is not SearchMode.SEMANTIC

    @property
    def uses_embeddings(self) -> bool:
        return self is not SearchMode.KEYWORD


@dataclass(frozen=True, slots=True)
class Candidate(Generic[T]):
    """A memory as storage found it: its place in each ranking (0 = absent)."""

    memory: T
    keyword_rank: int
    keyword_score: float
    semantic_rank: int
    similarity: float | None  # None: no embedding yet, or no query vector


@dataclass(frozen=True, slots=True)
class SearchHit(Generic[T]):
    """One result with the signals that put it there."""

    memory: T
    score: float
    keyword_rank: int  # 0 = no keyword match
    semantic_rank: int  # 0 = not a semantic match
    similarity: float  # 0 when unknown

    @property
    def keyword_match(self) -> bool:
        return self.keyword_rank > 0

    @property
    def semantic_match(self) -> bool:
        return self.semantic_rank > 0


_TOKEN = re.compile(r"[\w@.'-]+")
# Capitalised words that start questions and requests, not names.
_NOT_NAMES_TEXT = (
    "what when where who whom whose why how which is are was were do does did can could "
    "should would will has have had i i'm it's its my the a an any please hi hello"
)
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())


def names_identifier(query: str) -> bool:
    """Does the query name something exactly: a number, an address, a name?"""
    for token in _TOKEN.findall(query):
        if any(ch.isdigit() for ch in token) or "@" in token:
            return True
        if token[:1].isupper() and token.lower() not in _NOT_NAMES:
            return True
    return False


def keyword_weight(query: str) -> float:
    return IDENTIFIER_KEYWORD_WEIGHT if names_identifier(query) else KEYWORD_WEIGHT


def candidate_depth(limit: int) -> int:
    return max(limit, MIN_CANDIDATE_DEPTH)


def effective_mode(requested: SearchMode, semantic_available: bool) -> SearchMode:
    """Hybrid without a model degrades to keywords; semantic-only cannot."""
    if semantic_available:
        return requested
    if requested is SearchMode.SEMANTIC:
        raise FailedPrecondition(
            "semantic search is off on this server (no embedding model; see "
            "ALICE_SEMANTIC_SEARCH): use SEARCH_MODE_KEYWORD or SEARCH_MODE_HYBRID"
        )
    return SearchMode.KEYWORD


def similarities(
    vectors: npt.NDArray[np.float32], query: Sequence[float] | npt.NDArray[np.float32]
) -> npt.NDArray[np.float64]:
    """Cosine similarity of each row with the query (all unit length: the inner product),
    in double precision as the SQL distance computes it."""
    if not len(vectors):
        return np.zeros(0)
    result: npt.NDArray[np.float64] = vectors.astype(np.float64) @ np.asarray(
        query, dtype=np.float32
    ).astype(np.float64)
    return result


def top_candidates(
    keyword_scores: Sequence[float | None],
    similarity_of: Sequence[float | None],
    depth: int,
) -> list[tuple[int, int, float, int, float | None]]:
    """The best `depth` items by keyword score and the best `depth` by similarity
    (None: not a keyword match, resp. no embedding), ties in the items' own order
    (storage gives them newest first). For each item in either list, in the items'
    order: (index, keyword rank, keyword score, semantic rank, similarity), a rank
    0 (score 0, similarity None) where the item is not in that list."""
    keyword = sorted(
        (i for i, score in enumerate(keyword_scores) if score is not None),
        key=lambda i: -(keyword_scores[i] or 0.0),
    )[:depth]
    semantic = sorted(
        (i for i, value in enumerate(similarity_of) if value is not None),
        key=lambda i: -(similarity_of[i] or 0.0),
    )[:depth]
    keyword_rank = {i: rank for rank, i in enumerate(keyword, 1)}
    semantic_rank = {i: rank for rank, i in enumerate(semantic, 1)}
    return [
        (
            i,
            keyword_rank.get(i, 0),
            (keyword_scores[i] or 0.0) if i in keyword_rank else 0.0,
            semantic_rank.get(i, 0),
            similarity_of[i] if i in semantic_rank else None,
        )
        for i in sorted(keyword_rank.keys() | semantic_rank.keys())
    ]


def fuse(
    candidates: Sequence[Candidate[T]],
    mode: SearchMode,
    limit: int,
    query: str,
) -> list[SearchHit[T]]:
    """Rank the candidates for `mode`, best first.

    Equal scores: the better keyword rank first (an identifier the query names
    beats a memory only similar in meaning), then the candidates' given order,
    which storage makes newest first.
    """
    semantic = sorted(
        (
            c
            for c in candidates
            if c.semantic_rank
            and c.similarity is not None
            and c.similarity >= SEMANTIC_MIN_SIMILARITY
        ),
        key=lambda c: c.semantic_rank,
    )
    semantic_rank = {id(c): i for i, c in enumerate(semantic, 1)}
    w_keyword = keyword_weight(query)
    hits: list[tuple[float, int, int, SearchHit[T]]] = []
    for position, c in enumerate(candidates):
        s_rank = semantic_rank.get(id(c), 0) if mode.uses_embeddings else 0
        k_rank = c.keyword_rank if mode.uses_keywords else 0
        if not s_rank and not k_rank:
            continue
        if mode is SearchMode.KEYWORD:
            score = c.keyword_score
        elif mode is SearchMode.SEMANTIC:
            score = c.similarity or 0.0
        else:
            score = (w_keyword / (RRF_K + k_rank) if k_rank else 0.0) + (
                1 / (RRF_K + s_rank) if s_rank else 0.0
            )
        hit = SearchHit(c.memory, score, k_rank, s_rank, c.similarity or 0.0)
        hits.append((-score, k_rank or len(candidates) + 1, position, hit))
    hits.sort(key=lambda item: item[:3])
    return [item[3] for item in hits[:limit]]
