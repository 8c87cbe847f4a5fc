"""A search reads at most the caller's memories plus the tenant's shared ones.

SearchMemories' function (migration 0011) and the call start with a query
(migration 0009) are EXPLAINed (ANALYZE, through auto_explain: the statements
inside the functions; as the service role, so row-level security is in the plan)
on a database of 10 tenants with many callers each (ALICE_TEST_PLAN_SCALE=full:
the benchmark's 10 x 1,000 callers with 50 memories each). Every read of
`memories` must be an index scan on the (customer_id, user_id, ...) indexes
whose index condition names the caller, and must return no more rows than the
caller's memories plus the shared ones: no sequential scan, no bitmap scan of
the tenant, no full-text (GIN) index over the whole table. Plans, never times.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import asyncpg
import pytest

from alice_server.storage.repositories.memories import SEARCH
from alice_server.testing import temporary_database
from tests.support.plan_data import SCALES, explain_plans, load_plan_data

CALLER = "+15550000007"  # caller 7 of every tenant (tests/test_call_start.py's numbering)
# Common words of every memory ("fact"), a number, and words no memory has.
QUERY = "what fact 7 did the caller mention about zebras"
CALLER_INDEXES = {
    "ix_memories_customer_id_user_id_updated_at",
    "ix_memories_customer_id_user_id_created_at",
}


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan]
    for child in plan.get("Plans", []):
        found.extend(_nodes(child))
    return found


def _memory_reads(plans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [n for plan in plans for n in _nodes(plan) if n.get("Relation Name") == "memories"]


def _assert_reads_only_the_caller(plans: list[dict[str, Any]], most: int) -> None:
    """Every read of memories goes through a caller index by the caller (directly, or
    as a bitmap built from it) and returns at most `most` rows."""
    reads = _memory_reads(plans)
    assert reads, f"no read of memories in {plans}"
    for node in reads:
        summary = {k: node.get(k) for k in ("Node Type", "Index Name", "Index Cond")}
        if node["Node Type"] == "Bitmap Heap Scan":
            bitmaps = [n for n in _nodes(node) if n["Node Type"] != "Bitmap Heap Scan"]
            assert all(n["Node Type"] == "Bitmap Index Scan" for n in bitmaps), bitmaps
            for index in bitmaps:
                assert index["Index Name"] in CALLER_INDEXES, bitmaps
                assert "user_id" in index["Index Cond"], bitmaps
                assert index["Actual Rows"] * index["Actual Loops"] <= most, bitmaps
        else:
            assert node["Node Type"] in ("Index Scan", "Index Only Scan"), summary
            assert node["Index Name"] in CALLER_INDEXES, summary
            assert "user_id" in node["Index Cond"], summary
        assert node["Actual Rows"] * node["Actual Loops"] <= most, summary


@pytest.mark.parametrize("plan_mode", ["force_custom_plan", "force_generic_plan"])
async def test_a_search_reads_only_the_callers_and_the_shared_memories(superuser_url, plan_mode):
    scale = SCALES[os.environ.get("ALICE_TEST_PLAN_SCALE", "default")]
    _, _, per_caller, _, shared = scale
    async with temporary_database(superuser_url) as db:
        owner = await asyncpg.connect(db.owner_url)
        try:
            ids = await load_plan_data(owner, scale)
            # Every memory of one tenant gets an embedding (the semantic ranking reads
            # them); a rare word in another caller's memory tempts the full-text index.
            await owner.execute(
                "UPDATE memories SET embedding_bytes = decode(repeat('3d800000', 256), 'hex') "
                "WHERE customer_id = $1",
                ids[3],
            )
            await owner.execute(
                "INSERT INTO memories (customer_id, scope, user_id, type, key, value, source, "
                "ttl_days, expires_at) VALUES ($1, 'user', '+15550000099', 'fact', 'zebras', "
                "'{\"v\": \"zebras\"}', 'api', 30, now() + interval '30 days')",
                ids[3],
            )
            await owner.execute("VACUUM ANALYZE memories")  # no dead row versions in the indexes
            plans = await explain_plans(owner, analyze=True)  # every execution's plans
            await owner.execute(f'SET ROLE "{db.app_role}"')
            await owner.execute("SET plan_cache_mode = " + plan_mode)
            arguments = (ids[3], [CALLER, ""], [], QUERY, True, [])
            for _ in range(6):  # past the planner's first five custom plans
                rows = await owner.fetch(SEARCH, *arguments)
            await asyncio.sleep(0.05)  # log messages are delivered by the event loop
        finally:
            await owner.close()
    _assert_reads_only_the_caller(plans, per_caller + shared)
    assert len(rows) == per_caller + shared
    assert all(len(r["embedding"]) == 4 * 256 for r in rows)
    assert any(r["keyword_score"] is not None for r in rows)


async def test_the_call_start_with_a_query_reads_only_the_callers_and_the_shared_memories(
    superuser_url,
):
    scale = SCALES[os.environ.get("ALICE_TEST_PLAN_SCALE", "default")]
    _, _, per_caller, _, shared = scale
    async with temporary_database(superuser_url) as db:
        owner = await asyncpg.connect(db.owner_url)
        try:
            ids = await load_plan_data(owner, scale)
            plans = await explain_plans(owner, analyze=True)
            await owner.execute(f'SET ROLE "{db.app_role}"')
            row = await owner.fetchrow(
                "SELECT document::text, embeddings FROM alice_call_start_search("
                "$1, $2, 5, 10, ARRAY['thread_recap'], '', '{}', $3, true)",
                ids[3],
                CALLER,
                QUERY,
            )
            await asyncio.sleep(0.05)  # log messages are delivered by the event loop
        finally:
            await owner.close()
    _assert_reads_only_the_caller(plans, per_caller + shared)
    assert len(json.loads(row["document"])["candidates"]) == per_caller + shared


@pytest.mark.parametrize(
    "signature",
    [
        "alice_call_start_search(bigint, text, integer, integer, text[], text, text[], text, "
        "boolean, integer)",
        "alice_search_memories(bigint, text[], text[], text, boolean, text[])",
    ],
)
async def test_the_search_functions_are_security_invoker_and_granted_only_to_the_service(
    database, signature
):
    owner = await asyncpg.connect(database.owner_url)
    try:
        row = await owner.fetchrow(
            "SELECT p.prosecdef, pg_get_userbyid(p.proowner) AS owner, "
            "has_function_privilege($1, p.oid, 'EXECUTE') AS service_may, "
            "coalesce((SELECT bool_or(a::text LIKE '=%') FROM unnest(p.proacl) a), true) "
            "AS public_may FROM pg_proc p WHERE p.oid = $2::regprocedure",
            database.app_role,
            signature,
        )
    finally:
        await owner.close()
    assert row["prosecdef"] is False  # SECURITY INVOKER: row-level security applies inside
    assert row["owner"] != database.app_role
    assert row["service_may"] is True
    assert row["public_may"] is False
