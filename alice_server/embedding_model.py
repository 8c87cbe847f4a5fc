"""The bundled embedding model behind semantic memory search, loaded offline.

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
serves keyword search only (see `ALICE_SEMANTIC_SEARCH`). What is done with the
vectors is `alice_server.domain.embeddings`.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import tempfile
from pathlib import Path

from alice_server.config import ConfigError
from alice_server.domain.embeddings import EMBEDDING_DIM, Embedder

MODEL_NAME = "wordllama/l2_supercat"

logger = logging.getLogger("alice.embeddings")


class EmbeddingModelMissing(RuntimeError):
    """The embedding model cannot be loaded here; the message says why and what to do."""


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
    # The tokenizer would otherwise split every batch over a thread per core. The
    # texts are a few words, so the threads cost more than they save: with them on,
    # embedding three memories took 0.33 ms of CPU and a 20 ms p99 on a busy 2-core
    # machine; without, 0.19 ms and 8.5 ms. Each server process (and the server's
    # own worker processes) is the parallelism; nothing is gained from more threads.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
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
