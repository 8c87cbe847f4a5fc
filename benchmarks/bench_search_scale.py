"""SearchMemories' statement at scale: one tenant with many memories, per-caller search.

    python benchmarks/bench_search_scale.py [--memories 500000] [--callers 5000]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres] [--samples 200]

Creates a throw-away database (on the superuser URL, else ALICE_TEST_DATABASE_URL,
else an embedded PostgreSQL 16 with pgvector), fills one tenant with
`--memories` memories spread over `--callers` callers plus 50 shared ones (random
unit-length embeddings, generated in SQL), then times the hybrid search
statement (the repository's `alice_search_memories`, through the service role,
one round trip) for random callers in each mode (keyword only: the statement as before
semantic search; semantic only; hybrid): p50, p95 and max in milliseconds, and
which implementation of the distance ran (pgvector or SQL). `--explain` also
prints the plan of one hybrid search. docs/RETRIEVAL.md has the
figures. Nothing here is asserted: it prints what it measured.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

import asyncpg
import numpy as np

from alice_server.domain.memories import MemoryFilter, search_query
from alice_server.domain.retrieval import candidate_depth
from alice_server.storage.database import Database, PoolOptions
from alice_server.storage.repositories.memories import SEARCH
from alice_server.testing import temporary_database
from alice_server.tools.eval_retrieval import _superuser_url

FILL = """
INSERT INTO memories (customer_id, scope, user_id, type, key, value, source, ttl_days,
                      expires_at, embedding_bytes)
SELECT $1, CASE WHEN i <= 50 THEN 'shared' ELSE 'user' END,
       CASE WHEN i <= 50 THEN '' ELSE '+1555' || lpad(((i % $2) + 1)::text, 7, '0') END,
       'fact', 'key_' || i, jsonb_build_object('value', 'value number ' || i || ' of a caller'),
       'bench', 365, now() + interval '365 days',
       (SELECT string_agg(float4send(((random() - 0.5) / 8)::real), ''::bytea)
        FROM generate_series(1, 256) WHERE i > 0)
FROM generate_series($3::int, $4::int) AS i
"""


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memories", type=int, default=500_000)
    parser.add_argument("--callers", type=int, default=5_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--database-url", default=os.environ.get("ALICE_TEST_DATABASE_URL"))
    parser.add_argument("--explain", action="store_true", help="print one hybrid search's plan")
    args = parser.parse_args()
    async with _superuser_url(args.database_url) as url, temporary_database(url) as db:
        owner = await asyncpg.connect(db.owner_url)
        try:
            customer = await owner.fetchval(
                "INSERT INTO customers (business_name) VALUES ('scale') RETURNING id"
            )
            started = time.perf_counter()
            step = 50_000
            for first in range(1, args.memories + 1, step):
                async with owner.transaction():
                    await owner.execute(
                        "SELECT set_config('alice.customer_id', $1, true)", str(customer)
                    )
                    await owner.execute(
                        FILL,
                        customer,
                        args.callers,
                        first,
                        min(first + step - 1, args.memories),
                    )
            await owner.execute("ANALYZE memories")
            pgvector = "<#>" in await owner.fetchval(
                "SELECT prosrc FROM pg_proc WHERE proname = 'alice_embedding_distance'"
            )
            version = await owner.fetchval("SHOW server_version")
        finally:
            await owner.close()
        print(
            f"PostgreSQL {version}, distance by {'pgvector' if pgvector else 'SQL'}: "
            f"{args.memories} memories in one tenant over {args.callers} callers "
            f"(+50 shared), filled in {time.perf_counter() - started:.0f} s"
        )
        database = Database(db.app_url, PoolOptions(size=2))
        rng = np.random.default_rng(7)
        modes = {"keyword": (True, False), "semantic": (False, True), "hybrid": (True, True)}
        timings: dict[str, list[float]] = {mode: [] for mode in modes}
        try:
            for n in range(args.samples + 10):
                caller = f"+1555{int(rng.integers(1, args.callers + 1)):07d}"
                vector = rng.normal(size=256).astype(np.float32)
                vector /= np.linalg.norm(vector)
                query = search_query(
                    MemoryFilter(caller, include_shared=True), "value of a caller", [], 10
                )
                for mode, (words, meaning) in modes.items():
                    t0 = time.perf_counter()
                    async with database.statement(customer) as unit:
                        found = await unit.memories.candidates(
                            query,
                            query.text if words else None,
                            vector.tolist() if meaning else None,
                            candidate_depth(query.limit),
                        )
                    if n >= 10:  # the first ones warm the caches and prepare the statements
                        timings[mode].append((time.perf_counter() - t0) * 1000)
                    assert found, "every caller has memories"
            if args.explain:  # the statement inside the function, as the service role
                # LOAD needs the superuser; the role is switched after it.
                service = await asyncpg.connect(db.owner_url)
                try:
                    await service.execute("LOAD 'auto_explain'")
                    await service.execute(
                        "SET auto_explain.log_min_duration = 0; "
                        "SET auto_explain.log_analyze = on; SET auto_explain.log_buffers = on; "
                        "SET auto_explain.log_nested_statements = on; "
                        "SET auto_explain.log_level = notice; SET client_min_messages = notice; "
                        f'SET ROLE "{db.app_role}"'
                    )
                    plans: list[str] = []
                    service.add_log_listener(lambda _, message: plans.append(message.message))
                    await service.fetch(SEARCH, customer, query.owners, [], query.text, True, [])
                    await asyncio.sleep(0.05)  # log messages are delivered by the event loop
                finally:
                    await service.close()
                print("\n".join(plans))
        finally:
            await database.close()
    for mode, values in timings.items():
        values.sort()
        print(
            f"{mode:8} search statement, {args.samples} callers: "
            f"p50 {statistics.median(values):.1f} ms, "
            f"p95 {values[int(len(values) * 0.95) - 1]:.1f} ms, max {values[-1]:.1f} ms"
        )


if __name__ == "__main__":
    asyncio.run(main())
