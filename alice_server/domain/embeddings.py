"""Text -> vector: the static embedding model behind semantic memory search.

The model is wordllama's `l2_supercat` (256 dimensions), whose weights and
tokenizer ship inside the `wordllama` wheel: loading needs numpy and the
files on disk, never the network (docs/RETRIEVAL.md compares it with the
alternatives). wordllama's loader looks for the tokenizer under
`<cache_dir>/tokenizers/`, not where the wheel puts it, and would otherwise
fall back to a download: `load_embedder` builds a private cache layout that
points at the wheel's own files and loads with downloads disabled (and the
Hugging Face client forced offline, in case a fallback is ever reached).

The model is loaded once per process (`load_embedder` is cached). It is
optional: without the `wordllama` package `load_embedder` raises
`EmbeddingModelMissing` with a message saying what to install, and the server
serves keyword search only (see `ALICE_SEMANTIC_SEARCH`).

Vectors are unit length (float32), so cosine similarity is a dot product.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from alice_server.config import ConfigError

MODEL_NAME = "wordllama/l2_supercat"
EMBEDDING_DIM = 256
# Longest text embedded per memory: a static model averages token vectors, so
# a very long value adds little beyond its beginning, and this bounds the cost.
MAX_EMBEDDED_CHARS = 2000
# Weight of the key's own embedding in a memory's (see Embedder.embed_memories).
KEY_WEIGHT = 0.5

_SEPARATORS = re.compile(r"[_:\-./]+")

logger = logging.getLogger("alice.embeddings")


class EmbeddingModelMissing(RuntimeError):
    """The embedding model cannot be loaded here; the message says why and what to do."""


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
        vectors = np.asarray(self._model.embed(clipped, norm=True), dtype=np.float32)
        # An all-unknown text gives a zero vector; keep it zero (similarity 0).
        return np.nan_to_num(vectors, copy=False)

    def embed_one(self, text: str) -> list[float]:
        return [float(x) for x in self.embed([text])[0]]

    def embed_memories(
        self, memories: Sequence[tuple[str, str, Mapping[str, Any]]]
    ) -> npt.NDArray[np.float32]:
        """Embeddings of (type, key, value) memories: the whole text, with the key stressed.

        The key names what a memory is about ("vehicle", "contact_time"), which is
        what an agent's question asks for; adding its own embedding at half weight
        to the whole text's raised recall@1 on the evaluation set from 0.79 to 0.83
        (docs/RETRIEVAL.md).
        """
        whole = self.embed([memory_text(t, k, v) for t, k, v in memories])
        keys = self.embed([_words(k) for _, k, _ in memories])
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


def model_available() -> bool:
    return importlib.util.find_spec("wordllama") is not None


@functools.cache
def load_embedder() -> Embedder:
    """Load the bundled model once per process, with downloads disabled."""
    if not model_available():
        raise EmbeddingModelMissing(
            "the embedding model package `wordllama` is not installed: install it "
            "(`pip install wordllama`, a dependency of alice-server) for semantic search, "
            "or set ALICE_SEMANTIC_SEARCH=off to serve keyword search only"
        )
    # Belt and braces: nothing below may reach a model hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from wordllama import WordLlama

    package = Path(importlib.util.find_spec("wordllama").origin or "").parent  # type: ignore[union-attr]
    tokenizer = package / "tokenizers" / "l2_supercat_tokenizer_config.json"
    weights = package / "weights" / f"l2_supercat_{EMBEDDING_DIM}.safetensors"
    for needed in (tokenizer, weights):
        if not needed.is_file():
            raise EmbeddingModelMissing(
                f"the installed wordllama lacks {needed.name} (expected in {needed.parent}): "
                "reinstall wordllama 0.4, whose wheel carries the l2_supercat model"
            )
    cache = Path(tempfile.mkdtemp(prefix="alice-wordllama-"))
    try:
        (cache / "tokenizers").mkdir()
        (cache / "weights").mkdir()
        (cache / "tokenizers" / tokenizer.name).symlink_to(tokenizer)
        (cache / "weights" / weights.name).symlink_to(weights)
        model = WordLlama.load(
            "l2_supercat", cache_dir=cache, dim=EMBEDDING_DIM, disable_download=True
        )
    except (OSError, ValueError) as error:
        raise EmbeddingModelMissing(f"the embedding model did not load: {error}") from None
    finally:
        for link in (cache / "tokenizers" / tokenizer.name, cache / "weights" / weights.name):
            link.unlink(missing_ok=True)
        for folder in (cache / "tokenizers", cache / "weights", cache):
            folder.rmdir() if folder.exists() else None
    return Embedder(MODEL_NAME, EMBEDDING_DIM, model)


def embedder_for(setting: str) -> Embedder | None:
    """The model for ALICE_SEMANTIC_SEARCH: `on` needs it, `auto` uses it if it loads."""
    if setting == "off":
        logger.info("semantic search is off (ALICE_SEMANTIC_SEARCH=off): keyword search only")
        return None
    try:
        return load_embedder()
    except EmbeddingModelMissing as missing:
        if setting == "on":
            raise ConfigError(f"ALICE_SEMANTIC_SEARCH=on, but {missing}") from None
        logger.warning("semantic search is off: %s", missing)
        return None
