"""The call start (GetEnrichedContext) in one database round trip, kept as strict as before.

* the SQL function of migration 0003 is SECURITY INVOKER, not owned by the service
  role, executable by it and not by PUBLIC, and its tenant setting ends with its
  statement (the next statement on that connection sees no tenant's rows);
* round trips, counted on the wire (tests/pgproxy.py): one with the statement
  cache on; a bounded few with it off (pgbouncer < 1.21);
* a slow call start is cancelled at the statement timeout and says so;
* the plans of its statements use the intended indexes on a database with many
  tenants, callers and memories (plans, read with auto_explain; never times).
  ALICE_TEST_PLAN_SCALE=full loads the benchmark's scale (10 tenants x 1,000
  callers, 50 memories and 20 call summaries each) instead of the default
  smaller one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from typing import Any

import asyncpg
import grpc

from alice_server.domain.summarizer import Commitment
from alice_server.storage.repositories import follow_ups as follow_ups_repository
from alice_server.testing import TestDatabase, running_server, temporary_database
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc, memory_service_pb2_grpc
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import resources_pb2 as res
from tests.helpers import status_of, struct
from tests.pgproxy import pg_proxy
from tests.support.calls import AUTO_CALL, call_request
from tests.support.follow_ups import ScriptedSummarizer, process_request
from tests.support.plan_data import SCALES, explain_plans, load_plan_data

# Migration 0004 added the query's parameters (p_query, p_query_embedding, p_depth),
# 0007 p_follow_ups.
FUNCTION = (
    "alice_call_start_context(bigint, text, integer, integer, text[], text, text[], text, "
    "real[], integer, integer)"
)


async def test_call_start_function_is_security_invoker_and_granted_only_to_the_service_role(
    database,
):
    owner = await asyncpg.connect(database.owner_url)
    try:
        row = await owner.fetchrow(
            "SELECT p.prosecdef, pg_get_userbyid(p.proowner) AS owner, "
            "has_function_privilege($1, p.oid, 'EXECUTE') AS service_may, "
            "coalesce((SELECT bool_or(a::text LIKE '=%') FROM unnest(p.proacl) a), true) "
            "AS public_may "
            f"FROM pg_proc p WHERE p.oid = '{FUNCTION}'::regprocedure",
            database.app_role,
        )
        service_owns = await owner.fetchval(
            "SELECT count(*) FROM pg_class WHERE relowner = "
            "(SELECT oid FROM pg_roles WHERE rolname = $1)",
            database.app_role,
        )
    finally:
        await owner.close()
    assert row["prosecdef"] is False  # SECURITY INVOKER: row-level security applies inside
    assert row["owner"] != database.app_role
    assert row["service_may"] is True
    assert row["public_may"] is False
    assert service_owns == 0


async def test_the_tenant_set_by_the_call_start_ends_with_its_statement(
    database, memories, peterson, caller_phone
):
    await memories.StoreMemory(
        mem.StoreMemoryRequest(user_id=caller_phone, type="fact", key="k", value=struct(v=1)),
        metadata=peterson.metadata(),
    )
    service = await asyncpg.connect(database.app_url)
    try:
        document = json.loads(
            await service.fetchval(
                f"SELECT {FUNCTION.split('(')[0]}($1, $2, 5, 10, '{{}}')",
                peterson.id,
                caller_phone,
            )
        )
        assert [m["key"] for m in document["memories"]] == ["k"]
        # Same connection, next statement: no tenant, so no rows (fail closed).
        assert await service.fetchval("SELECT current_setting('alice.customer_id', true)") == ""
        assert await service.fetchval("SELECT count(*) FROM memories") == 0
    finally:
        await service.close()


async def test_call_start_leaves_out_excluded_types_and_hidden_shared_settings(
    database, memories, peterson, caller_phone
):
    md = peterson.metadata()
    for scope, user, type_, key in (
        (res.SCOPE_USER, caller_phone, "fact", "car"),
        (res.SCOPE_USER, caller_phone, "thread_recap", "thread_history:1"),
        (res.SCOPE_SHARED, "", "admin_setting", "voice"),
        (res.SCOPE_SHARED, "", "admin_setting", "office_hours"),
    ):
        await memories.StoreMemory(
            mem.StoreMemoryRequest(
                scope=scope, user_id=user, type=type_, key=key, value=struct(v=key)
            ),
            metadata=md,
        )
    service = await asyncpg.connect(database.app_url)
    try:
        document = json.loads(
            await service.fetchval(
                f"SELECT {FUNCTION.split('(')[0]}($1, $2, 5, 10, $3, $4, $5)",
                peterson.id,
                caller_phone,
                ["thread_recap"],
                "admin_setting",
                ["voice"],
            )
        )
    finally:
        await service.close()
    assert [m["key"] for m in document["memories"]] == ["car", "office_hours"]


async def _count_call_start(
    database: TestDatabase, secret: str, tenant: Any, user_id: str, **settings: Any
) -> tuple[int, int]:
    """Round trips of one GetEnrichedContext of a new caller, then of a returning one."""
    request = ctx.GetEnrichedContextRequest(user_id=user_id, num_summaries=50, num_memories=100)
    md = tenant.metadata()
    async with (
        pg_proxy(database.app_url) as proxy,
        running_server(proxy.url, secret, rate_limit_per_second=0, **settings) as alice,
        grpc.aio.insecure_channel(alice.address) as channel,
    ):
        contexts = context_service_pb2_grpc.ContextServiceStub(channel)
        memories = memory_service_pb2_grpc.MemoryServiceStub(channel)
        await contexts.GetEnrichedContext(request, metadata=md)  # warm: customer check cached
        proxy.reset_counts()
        await contexts.GetEnrichedContext(request, metadata=md)
        new_caller = proxy.round_trips
        for i in range(3):
            await contexts.ProcessCall(
                call_request(user_id, f"CA-rt-{i}", turns=AUTO_CALL), metadata=md
            )
            await memories.StoreMemory(
                mem.StoreMemoryRequest(
                    user_id=user_id, type="fact", key=f"f{i}", value=struct(v=i)
                ),
                metadata=md,
            )
        proxy.reset_counts()
        response = await contexts.GetEnrichedContext(request, metadata=md)
        # 3 stored facts and the one the call notes found in AUTO_CALL (one key).
        assert len(response.summaries) == 3 and len(response.memories) == 4
        return new_caller, proxy.round_trips


async def test_call_start_is_one_round_trip(database, secret, peterson, caller_phone):
    assert await _count_call_start(database, secret, peterson, caller_phone) == (1, 1)


async def test_the_call_start_with_follow_ups_is_still_one_round_trip(
    database, secret, peterson, caller_phone
):
    scripted = ScriptedSummarizer()  # a call yields the promises and facts it scripts
    md = peterson.metadata()
    async with (
        pg_proxy(database.app_url) as proxy,
        running_server(proxy.url, secret, summarizer=scripted, rate_limit_per_second=0) as alice,
        grpc.aio.insecure_channel(alice.address) as channel,
    ):
        stub = context_service_pb2_grpc.ContextServiceStub(channel)
        turns = scripted.turns(
            [Commitment("agent", f"task {i}", "tomorrow") for i in range(5)],
            facts=[("fact", "claim_number", "HC-1")],
        )
        await stub.ProcessCall(
            process_request(caller_phone, "CA-rt", turns, dt.datetime.now(dt.UTC)), metadata=md
        )
        request = ctx.GetEnrichedContextRequest(user_id=caller_phone, num_follow_ups=50)
        await stub.GetEnrichedContext(request, metadata=md)  # warm: customer check cached
        proxy.reset_counts()
        context = await stub.GetEnrichedContext(request, metadata=md)
        assert proxy.round_trips == 1
    assert len(context.follow_ups) == 5 and len(context.memories) == 1


async def test_call_start_without_the_statement_cache_stays_in_one_transaction(
    database, secret, peterson, caller_phone
):
    # ALICE_DB_STATEMENT_CACHE_SIZE=0 (pgbouncer < 1.21): BEGIN with the tenant,
    # parse, execute, COMMIT, so that pgbouncer keeps the exchanges on one server.
    counts = await _count_call_start(
        database, secret, peterson, caller_phone, db_statement_cache_size=0
    )
    assert counts == (4, 4)


async def test_a_slow_call_start_is_cancelled_at_the_statement_timeout(
    database, secret, peterson, caller_phone
):
    md = peterson.metadata()
    request = ctx.GetEnrichedContextRequest(user_id=caller_phone)
    async with (
        pg_proxy(database.app_url) as proxy,
        running_server(
            proxy.url, secret, rate_limit_per_second=0, db_statement_timeout_ms=200
        ) as alice,
        grpc.aio.insecure_channel(alice.address) as channel,
    ):
        contexts = context_service_pb2_grpc.ContextServiceStub(channel)
        await contexts.GetEnrichedContext(request, metadata=md)
        proxy.delay = 0.6  # the network (or the server) is slower than the timeout
        code, details = await status_of(
            contexts.GetEnrichedContext(request, metadata=md, timeout=10)
        )
        proxy.delay = 0
        again = await contexts.GetEnrichedContext(request, metadata=md, timeout=10)
    assert code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert "200 ms" in details and "ALICE_DB_STATEMENT_TIMEOUT_MS" in details
    assert again.user_id == caller_phone  # the pool recovered


# --------------------------------------------------------------------------- plans


def _scans(plan: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    """(node type, relation, index) of every node of a JSON plan; a bitmap heap
    scan is read through the index of its bitmap index scan."""
    index = plan.get("Index Name")
    if plan["Node Type"] == "Bitmap Heap Scan":
        index = ",".join(sorted(i for _, _, i in _scans(plan["Plans"][0]) if i is not None))
    found = [(plan["Node Type"], plan.get("Relation Name"), index)]
    for child in plan.get("Plans", []):
        found.extend(_scans(child))
    return found


async def test_call_start_plans_use_the_intended_indexes(superuser_url):
    scale = SCALES[os.environ.get("ALICE_TEST_PLAN_SCALE", "default")]
    async with temporary_database(superuser_url) as db:
        owner = await asyncpg.connect(db.owner_url)
        try:
            ids = await load_plan_data(owner, scale)
            plans = await explain_plans(owner)
            # As the service role: its row-level security policies are in the plans.
            await owner.execute(f'SET ROLE "{db.app_role}"')
            await owner.fetchval(
                f"SELECT {FUNCTION.split('(')[0]}($1, '+15550000007', 5, 10, "
                "ARRAY['thread_recap', 'conversation'], p_follow_ups => 10)",
                ids[3],
            )
            await asyncio.sleep(0.05)  # log messages are delivered by the event loop
            call_start_plans = list(plans)
            # ListFollowUps of the whole tenant and the overdue count of the metrics.
            plans.clear()
            async with owner.transaction():
                await owner.execute("SELECT set_config('alice.customer_id', $1, true)", str(ids[3]))
                await owner.fetch(
                    follow_ups_repository._PAGE_OF_TENANT, ids[3], "open", *[None] * 4, 51
                )
                now = dt.datetime.now(dt.UTC)  # a next page: after a keyset position
                await owner.fetch(
                    follow_ups_repository._PAGE_OF_TENANT,
                    ids[3],
                    "open",
                    now.isoformat(),
                    now,
                    "CA-1-1",
                    0,
                    51,
                )
                await owner.fetchval(follow_ups_repository._COUNT_OVERDUE, ids[3], 100_000)
            await asyncio.sleep(0.05)
            tenant_plans = list(plans)
        finally:
            await owner.close()

    assert _indexes_by_table(call_start_plans) == {
        "caller_profiles": {"pk_caller_profiles"},
        "personality_averages": {"pk_personality_averages"},
        "call_summaries": {"ix_call_summaries_customer_id_user_id_started_at"},
        "memories": {"ix_memories_customer_id_user_id_updated_at"},
        "follow_ups": {"ix_follow_ups_customer_id_user_id_status_due_order"},
        "customers": {"pk_customers"},
    }
    assert _indexes_by_table(tenant_plans) == {
        "follow_ups": {"ix_follow_ups_customer_id_status_due_order"}
    }


def _indexes_by_table(plans: list[dict[str, Any]]) -> dict[str, set[str | None]]:
    """The indexes each table is read through in `plans`; no sequential scan."""
    scans = [scan for plan in plans for scan in _scans(plan)]
    by_table: dict[str, set[str | None]] = {}
    for node, relation, index in scans:
        if relation is not None:
            by_table.setdefault(relation, set()).add(index)
            assert node != "Seq Scan", f"sequential scan of {relation}: {scans}"
    return by_table
