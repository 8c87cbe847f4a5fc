"""`alice-admin backfill-embeddings`: embed the memories stored without an embedding.

Memories stored before semantic search existed (or while the server ran with
ALICE_SEMANTIC_SEARCH=off, or imported by SQL) have no embedding and are found
by keywords only. This command embeds them, customer by customer, in batches
that each commit, printing progress; stopped at any point, running it again
continues with what is left. It is safe while the server runs.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import asyncpg

from alice_server.config import ConfigError
from alice_server.domain.embeddings import Embedder, EmbeddingModelMissing, load_embedder
from alice_server.storage import backfill as sql
from alice_server.storage.urls import libpq_url

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
        help=f"rows per transaction ({DEFAULT_BATCH})",
    )


async def run(admin_url: str, args: argparse.Namespace) -> int:
    if args.batch_size <= 0:
        raise ConfigError("--batch-size must be positive")
    try:
        embedder = load_embedder()
    except EmbeddingModelMissing as missing:
        raise ConfigError(str(missing)) from None
    done = await backfill(admin_url, embedder, args.batch_size)
    print(f"embedded {done} memories")
    return 0


async def backfill(
    admin_url: str,
    embedder: Embedder,
    batch_size: int = DEFAULT_BATCH,
    report: Callable[[str], None] = print,
) -> int:
    """Embed every live memory without an embedding; returns how many were embedded."""
    connection = await asyncpg.connect(libpq_url(admin_url))
    try:
        customers = [row["id"] for row in await connection.fetch(sql.CUSTOMERS)]
        missing: dict[int, int] = {}
        for customer_id in customers:
            async with connection.transaction():
                await connection.execute(sql.SET_TENANT, str(customer_id))
                count = int(await connection.fetchval(sql.COUNT_MISSING, customer_id))
            if count:
                missing[customer_id] = count
        total = sum(missing.values())
        report(f"{total} memories without an embedding in {len(missing)} customers")
        done = 0
        started = time.monotonic()
        for customer_id, count in missing.items():
            customer_done = 0
            while True:
                async with connection.transaction():
                    await connection.execute(sql.SET_TENANT, str(customer_id))
                    rows = await connection.fetch(sql.NEXT_BATCH, customer_id, batch_size)
                    if not rows:
                        break
                    vectors = embedder.embed_memories(
                        [(r["type"], r["key"], _value(r["value"])) for r in rows]
                    )
                    await connection.executemany(
                        sql.SET_EMBEDDING,
                        [
                            (customer_id, row["id"], [float(x) for x in vector])
                            for row, vector in zip(rows, vectors, strict=True)
                        ],
                    )
                customer_done += len(rows)
                done += len(rows)
                report(
                    f"customer {customer_id}: {customer_done}/{count}; "
                    f"all: {done}/{total} ({100 * done / max(total, 1):.0f}%, "
                    f"{done / max(time.monotonic() - started, 1e-9):.0f}/s)"
                )
        return done
    finally:
        await connection.close()


def _value(raw: Any) -> dict[str, Any]:
    value = json.loads(raw) if isinstance(raw, str) else raw
    return value if isinstance(value, dict) else {"value": value}
