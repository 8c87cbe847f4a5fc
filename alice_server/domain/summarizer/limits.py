"""Tunable limits: summary length, topic count, sentence chunking, negation window."""

from __future__ import annotations

from typing import Final

SUMMARY_MAX_CHARS: Final = 600
MAX_TOPICS: Final = 5
MAX_SENTENCE_WORDS: Final = 40
"""Sentences longer than this are cut into chunks (at a comma when possible)."""
MIN_CHUNK_CUT_WORDS: Final = 20
"""A long sentence is cut at a comma only once the chunk has at least this many words."""
MIN_CHUNK_REST_WORDS: Final = 10
"""A long sentence is never cut so that fewer than this many words are left for the last chunk."""
NEGATION_WINDOW: Final = 3
"""A lexicon word is negated when a negator is among the 3 words before it (same clause)."""
RATE_MIN_WORDS: Final = 50
"""Signal rates are per 100 caller words, but the word count is floored at this value."""
