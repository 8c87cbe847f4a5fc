"""SearchMemories' statement before and after migration 0011, side by side.

    python benchmarks/bench_search_round_trips.py
        [--database-url postgresql://alice_bench_app:PASSWORD@127.0.0.1:5432/alice_bench]
        [--rounds 6] [--searches 1000] [--callers 1000] [--tenants 10]

Before 0011 a search ran in a tenant transaction: BEGIN with the tenant setting
(one message), the statement, COMMIT: three round trips. Since 0011 it is one
statement, `alice_search_memories(...)`, which sets the tenant itself. This
sends both, on two connections of the service role to a database that
`bench_scale.py` loaded (the default `alice_bench`, whose memories have
embeddings: `alice-admin backfill-embeddings`), for random callers of random
tenants with one of four spoken questions, hybrid (keywords and embeddings):
the two take turns for `--rounds` rounds of `--searches` searches each, one at a
time. Printed per form: wall time per search (the round trips) and the CPU its
PostgreSQL backend used per search (/proc, so PostgreSQL must run on this host).
The "before" statement is the text of commit 4181556's repository, frozen here.

Asserts nothing about speed; exits 1 if the two forms return different rows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from pathlib import Path

import asyncpg

from alice_server.storage.repositories.memories import SEARCH

COLUMNS = (
    "id, scope, user_id, type, key, value, source, ttl_days, created_at, updated_at, expires_at, "
    "call_id"
)
BEFORE = f"""
SELECT {", ".join("m." + c.strip() for c in COLUMNS.split(","))},
       CASE WHEN m.search_vector @@ q.query
            THEN ts_rank_cd(m.search_vector, q.query)::float8 END AS keyword_score,
       CASE WHEN $5::boolean THEN m.embedding_bytes END AS embedding
FROM memories m, (
    SELECT CASE WHEN $4::text IS NOT NULL THEN
               to_tsquery('simple'::regconfig,
                          coalesce(string_agg(quote_literal(lexeme), ' | '), ''))
           END AS query
    FROM unnest(tsvector_to_array(to_tsvector('english'::regconfig, $4::text))) AS lexeme
) q
WHERE m.customer_id = $1 AND m.user_id = ANY($2::text[]) AND m.expires_at > now()
        AND (cardinality($3::text[]) = 0 OR m.type = ANY($3::text[]))
        AND m.type <> ALL($6::text[])
ORDER BY m.updated_at DESC, m.id DESC
"""
QUESTIONS = (
    "what car does he drive",
    "when should we call him back",
    "does she have a dog",
    "what is the policy number",
)


def backend_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default="postgresql://alice_bench_app@127.0.0.1:5432/alice_bench",
        help="the service role's URL (row-level security applies)",
    )
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--searches", type=int, default=1000)
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--callers", type=int, default=1000)
    args = parser.parse_args()
    connections = {
        "before": await asyncpg.connect(args.database_url),
        "after": await asyncpg.connect(args.database_url),
    }
    pids = {k: await c.fetchval("SELECT pg_backend_pid()") for k, c in connections.items()}
    rng = random.Random(1)  # noqa: S311 - test data, not security

    async def search(kind: str, arguments: tuple[object, ...]) -> list[asyncpg.Record]:
        connection = connections[kind]
        rows: list[asyncpg.Record]
        if kind == "after":
            rows = await connection.fetch(SEARCH, *arguments)
            return rows
        await connection.execute(
            "BEGIN; SELECT set_config('alice.customer_id', "
            f"'{int(str(arguments[0]))}', true), set_config('statement_timeout', '5000', true)"
        )
        rows = await connection.fetch(BEFORE, *arguments)
        await connection.execute("COMMIT")
        return rows

    def arguments() -> tuple[object, ...]:
        tenant = rng.randrange(1, args.tenants + 1)
        caller = f"+1555{1_000_000 + rng.randrange(args.callers):07d}"  # bench_scale's numbers
        return (tenant, [caller, ""], [], rng.choice(QUESTIONS), True, [])

    try:
        for _ in range(100):  # warm up; and the two forms must agree
            same = arguments()
            before, after = await search("before", same), await search("after", same)
            if [tuple(r) for r in before] != [tuple(r) for r in after]:
                print("the two statements returned different rows", file=sys.stderr)
                return 1
        totals = {kind: [0.0, 0.0, 0] for kind in connections}
        for r in range(args.rounds):
            for kind in ("before", "after") if r % 2 == 0 else ("after", "before"):
                cpu = backend_cpu_seconds(pids[kind])
                started = time.perf_counter()
                for _ in range(args.searches):
                    await search(kind, arguments())
                totals[kind][0] += time.perf_counter() - started
                totals[kind][1] += backend_cpu_seconds(pids[kind]) - cpu
                totals[kind][2] += args.searches
    finally:
        for connection in connections.values():
            await connection.close()
    for kind, (wall, cpu, n) in totals.items():
        print(
            f"{kind:6}: {wall / n * 1000:.3f} ms per search (wall), PostgreSQL backend CPU "
            f"{cpu / n * 1000:.3f} ms per search ({n} searches, {args.rounds} interleaved rounds)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
