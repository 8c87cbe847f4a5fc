"""Text -> vector, the pure part: what a memory's embedding is computed from, and
the arithmetic on the vectors a model returns.

`Embedder` wraps a loaded model (anything with `embed(texts, norm=True)`
returning one row per text); loading the bundled one, offline, is
`alice_server.embedding_model`. Vectors are unit length (float32), so cosine
similarity is a dot product.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

EMBEDDING_DIM = 256
# Longest text embedded per memory: a static model averages token vectors, so
# a very long value adds little beyond its beginning, and this bounds the cost.
MAX_EMBEDDED_CHARS = 2000
# Weight of the key's own embedding in a memory's (see Embedder.embed_memories).
KEY_WEIGHT = 0.5

_SEPARATORS = re.compile(r"[_:\-./]+")

# One embedding: a row of Embedder.embed or embed_memories, or a list of numbers.
Vector = Sequence[float] | npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Embedder:
    """A loaded model: `embed` maps texts to unit-length float32 rows."""

    name: str
    dim: int
    _model: Any

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        clipped = [text[:MAX_EMBEDDED_CHARS] for text in texts]
        vectors = np.asarray(self._model.embed(clipped, norm=False), dtype=np.float32)
        # Unit length, as the model's own `norm=True` divides, except that a text with
        # no token the model knows (an empty one) gives a zero vector, which stays zero
        # (similarity 0) instead of dividing by zero and cleaning up the NaN after: the
        # same numbers, ~8 µs cheaper per call.
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1
        vectors /= norms
        return vectors

    def embed_one(self, text: str) -> npt.NDArray[np.float32]:
        """One text's vector (a search query's), kept as numpy (no list of floats)."""
        vector: npt.NDArray[np.float32] = self.embed([text])[0]
        return vector

    def embed_memories(
        self, memories: Sequence[tuple[str, str, Mapping[str, Any]]]
    ) -> npt.NDArray[np.float32]:
        """Embeddings of (type, key, value) memories: the whole text, with the key stressed.

        The key names what a memory is about ("vehicle", "contact_time"), which is
        what an agent's question asks for; adding its own embedding at half weight
        to the whole text's raised recall@1 on the evaluation set from 0.79 to 0.83
        (docs/RETRIEVAL.md).
        """
        # One batch for both halves: one call into the tokenizer instead of two.
        both = self.embed(
            [memory_text(t, k, v) for t, k, v in memories] + [_words(k) for _, k, _ in memories]
        )
        whole, keys = both[: len(memories)], both[len(memories) :]
        combined = whole + KEY_WEIGHT * keys
        norms = np.linalg.norm(combined, axis=1, keepdims=True)
        return (combined / np.where(norms == 0, 1, norms)).astype(np.float32)

    def embed_memory(self, type: str, key: str, value: Mapping[str, Any]) -> list[float]:
        return [float(x) for x in self.embed_memories([(type, key, value)])[0]]


def memory_text(type: str, key: str, value: Mapping[str, Any]) -> str:
    """What a memory's embedding is computed from: its type, key and value, as words.

    `contact_time` reads as "contact time"; the value contributes its object
    keys and its strings, numbers and booleans, in order.
    """
    parts = [_words(type), _words(key)]
    _flatten(value, parts)
    return " ".join(part for part in parts if part)[:MAX_EMBEDDED_CHARS]


def _words(identifier: str) -> str:
    return _SEPARATORS.sub(" ", identifier).strip()


def _flatten(value: Any, parts: list[str]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key != "value":  # {"value": "mornings"}: the wrapper key says nothing
                parts.append(_words(str(key)))
            _flatten(item, parts)
    elif isinstance(value, list):
        for item in value:
            _flatten(item, parts)
    elif isinstance(value, bool):
        parts.append("yes" if value else "no")
    elif value is not None:
        parts.append(str(value))
