"""`alice-admin backfill-embeddings`: embed the memories stored without an embedding.

Memories stored before semantic search existed (or while the server ran with
ALICE_SEMANTIC_SEARCH=off, or written by SQL) have no embedding and are found by
keywords only. This command embeds them, customer by customer, in batches that
each commit, printing progress; stopped at any point, running it again
continues with what is left. It is safe while the server runs. Like
`purge-expired` it connects as the schema owner and sets each tenant in turn
(row-level security binds the owner too).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from typing import Any

from alice_server.config import ConfigError
from alice_server.domain.embeddings import Embedder
from alice_server.embedding_model import EmbeddingModelMissing, load_embedder
from alice_server.storage.database import Database

DEFAULT_BATCH = 256


def add_parser(commands: Any) -> None:
    sub = commands.add_parser(
        "backfill-embeddings",
        help="embed memories that have no embedding yet (resumable; prints progress)",
    )
    sub.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH,
        help=f"memories per transaction (default {DEFAULT_BATCH})",
    )


async def run(db: Database, args: argparse.Namespace) -> int:
    if args.batch_size <= 0:
        raise ConfigError("--batch-size must be positive")
    try:
        embedder = load_embedder()
    except EmbeddingModelMissing as missing:
        raise ConfigError(str(missing)) from None
    done = await backfill(db, embedder, args.batch_size)
    print(f"embedded {done} memories")
    return 0


async def backfill(
    db: Database,
    embedder: Embedder,
    batch_size: int = DEFAULT_BATCH,
    report: Callable[[str], None] = print,
    customer_ids: Sequence[int] | None = None,
) -> int:
    """Embed every live memory without an embedding (of `customer_ids`, default
    every customer); returns how many were embedded."""
    if customer_ids is None:
        async with db.admin() as admin:
            customers = list(await admin.customers.ids())
    else:
        customers = list(customer_ids)
    missing: dict[int, int] = {}
    for customer_id in customers:
        async with db.tenant(customer_id) as uow:
            count = await uow.memories.count_without_embedding()
        if count:
            missing[customer_id] = count
    total = sum(missing.values())
    report(f"{total} memories without an embedding in {len(missing)} customers")
    done = 0
    started = time.monotonic()
    for customer_id, count in missing.items():
        customer_done = 0
        while True:
            async with db.tenant(customer_id) as uow:
                batch = await uow.memories.without_embedding(batch_size)
                if not batch:
                    break
                vectors = embedder.embed_memories([(m.type, m.key, m.value) for m in batch])
                await uow.memories.set_embeddings(
                    list(zip((m.id for m in batch), vectors, strict=True))
                )
            customer_done += len(batch)
            done += len(batch)
            rate = done / max(time.monotonic() - started, 1e-9)
            report(
                f"customer {customer_id}: {customer_done}/{count}; "
                f"all: {done}/{total} ({100 * done / max(total, 1):.0f}%, {rate:.0f}/s)"
            )
    return done
