"""PrivacyService and the per-tenant backup: export, erasure, restore, audit."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

import asyncpg
import grpc
import pytest

from alice_server.auth import mint_platform_token
from alice_server.storage.data_tables import AUDIT_TABLE, TENANT_DATA_TABLES
from alice_server.testing import temporary_database
from chad_client.v1 import call_service_pb2 as calls_pb
from chad_client.v1 import call_service_pb2_grpc, privacy_service_pb2_grpc, tenant_service_pb2_grpc
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import privacy_service_pb2 as pb
from chad_client.v1 import resources_pb2 as res
from chad_client.v1 import tenant_service_pb2 as ten
from tests.helpers import status_of, struct
from tests.support.logs import captured, json_lines
from tests.support.processes import admin
from tests.support.tenants import TenantHandle, create_customer

PRIVACY = "memory:read memory:write privacy:admin"


@pytest.fixture(scope="session")
def privacy_stub(channel) -> privacy_service_pb2_grpc.PrivacyServiceStub:
    return privacy_service_pb2_grpc.PrivacyServiceStub(channel)


@pytest.fixture(scope="session")
def tenants_stub(channel) -> tenant_service_pb2_grpc.TenantServiceStub:
    return tenant_service_pb2_grpc.TenantServiceStub(channel)


def platform(secret: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {mint_platform_token(secret)}"),)


def phone() -> str:
    return f"+1555{secrets.randbelow(10**7):07d}"


async def give_caller_history(
    memories, contexts, tenant: TenantHandle, user_id: str, calls=None
) -> None:
    """Rows in every caller table: memories, a processed call (summary, metrics,
    profile, averages) and, given the CallService stub, the call's record and its
    stored transcript turns (the call is then summarised from them)."""
    md = tenant.metadata()
    for key in ("name", "contact_time"):
        await memories.StoreMemory(
            mem.StoreMemoryRequest(user_id=user_id, type="fact", key=key, value=struct(v=key)),
            metadata=md,
        )
    call_id = f"CA-{secrets.token_hex(6)}"
    caller_says = "Hi, I need to add my daughter to my policy."
    agent_says = "Sure, what is her date of birth?"
    if calls is not None:
        await calls.AppendTranscriptTurns(
            calls_pb.AppendTranscriptTurnsRequest(
                user_id=user_id,
                call_id=call_id,
                turns=[
                    calls_pb.TranscriptTurn(sequence=0, role=res.ROLE_CALLER, content=caller_says),
                    calls_pb.TranscriptTurn(sequence=1, role=res.ROLE_AGENT, content=agent_says),
                ],
            ),
            metadata=md,
        )
        await contexts.ProcessCall(
            ctx.ProcessCallRequest(user_id=user_id, call_id=call_id), metadata=md
        )
        return
    await contexts.ProcessCall(
        ctx.ProcessCallRequest(
            user_id=user_id,
            call_id=call_id,
            turns=[
                res.Turn(role=res.ROLE_CALLER, content=caller_says),
                res.Turn(role=res.ROLE_AGENT, content=agent_says),
            ],
        ),
        metadata=md,
    )


async def test_every_table_with_tenant_data_is_declared(database):
    """A table with a customer_id column that is not in storage.data_tables would be
    neither exported nor erased."""
    connection = await asyncpg.connect(database.owner_url)
    try:
        tables = {
            r[0]
            for r in await connection.fetch(
                "SELECT table_name FROM information_schema.columns "
                "WHERE column_name = 'customer_id' AND table_schema = 'public'"
            )
        }
    finally:
        await connection.close()
    assert tables - {AUDIT_TABLE} == {t.name for t in TENANT_DATA_TABLES}


async def test_export_and_erase_one_caller(privacy_stub, memories, contexts, channel, peterson):
    caller, other = phone(), phone()
    calls = call_service_pb2_grpc.CallServiceStub(channel)
    await give_caller_history(memories, contexts, peterson, caller, calls)
    await give_caller_history(memories, contexts, peterson, other, calls)
    md = peterson.metadata(scope=PRIVACY)

    written = [
        r.record
        async for r in privacy_stub.ExportUserData(
            pb.ExportUserDataRequest(user_id=caller[2:]),
            metadata=md,  # 10-digit form
        )
    ]
    tables: dict[str, int] = {}
    for record in written:
        tables[record.table] = tables.get(record.table, 0) + 1
        assert record.row["user_id"] == caller  # nothing of the other caller
        assert record.row["customer_id"] == peterson.id
    assert tables == {
        "caller_profiles": 1,
        "personality_averages": 1,
        "call_summaries": 1,
        "personality_metrics": 1,
        "calls": 1,
        "call_transcript_turns": 2,
        "memories": 2,
    }

    # Erasure needs privacy:admin, not just memory:write.
    status, _ = await status_of(
        privacy_stub.DeleteUserData(
            pb.DeleteUserDataRequest(user_id=caller), metadata=peterson.metadata()
        )
    )
    assert status == grpc.StatusCode.PERMISSION_DENIED

    erased = await privacy_stub.DeleteUserData(
        pb.DeleteUserDataRequest(user_id=caller), metadata=md
    )
    # Deleting the memories records their last values in memory_history (two
    # rows), which the erasure then deletes with the rest. The built-in
    # summariser made no follow-ups (tests/test_follow_ups.py erases some).
    assert {c.table: c.rows for c in erased.counts} == tables | {
        "memory_history": 2,
        "follow_ups": 0,
    }
    assert erased.audit.action == pb.AUDIT_ACTION_DELETE_USER_DATA
    assert erased.audit.actor == f"tenant:{peterson.id}"
    assert caller[2:] not in erased.audit.subject and erased.audit.subject.startswith("hmac-")

    # Nothing of the caller comes back from any RPC.
    read = peterson.metadata()
    listed = await memories.ListMemories(mem.ListMemoriesRequest(user_id=caller), metadata=read)
    assert list(listed.memories) == []
    found = await memories.SearchMemories(
        mem.SearchMemoriesRequest(user_id=caller, query="contact time name"), metadata=read
    )
    assert list(found.results) == []
    context = await contexts.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=caller), metadata=read
    )
    assert context.is_new_caller and not context.summaries and not context.memories
    status, _ = await status_of(
        contexts.GetCallerProfile(ctx.GetCallerProfileRequest(user_id=caller), metadata=read)
    )
    assert status == grpc.StatusCode.NOT_FOUND
    summaries = await contexts.ListCallSummaries(
        ctx.ListCallSummariesRequest(user_id=caller), metadata=read
    )
    assert list(summaries.summaries) == []
    again = await privacy_stub.DeleteUserData(pb.DeleteUserDataRequest(user_id=caller), metadata=md)
    assert all(c.rows == 0 for c in again.counts)

    # The other caller is untouched.
    kept = await memories.ListMemories(mem.ListMemoriesRequest(user_id=other), metadata=read)
    assert len(kept.memories) == 2

    # The tenant reads its own audit trail: counts, no content.
    audit = await privacy_stub.ListMyAuditRecords(pb.ListMyAuditRecordsRequest(), metadata=md)
    actions = [r.action for r in audit.records[:3]]
    assert actions == [
        pb.AUDIT_ACTION_DELETE_USER_DATA,
        pb.AUDIT_ACTION_DELETE_USER_DATA,
        pb.AUDIT_ACTION_EXPORT_USER_DATA,
    ]
    export_record = audit.records[2]
    # The export found no history yet (nothing was updated or deleted before it).
    assert {c.table: c.rows for c in export_record.counts} == tables | {
        "memory_history": 0,
        "follow_ups": 0,
    }
    assert export_record.subject == erased.audit.subject  # same caller, linkable
    assert all(r.customer_id == peterson.id for r in audit.records)


async def _snapshot(owner_url: str, customer_id: int) -> dict[str, list[Any]]:
    """Every row of the customer, table by table, as PostgreSQL's JSON (exact)."""
    connection = await asyncpg.connect(owner_url)
    try:
        async with connection.transaction():
            await connection.execute(
                "SELECT set_config('alice.customer_id', $1, true)", str(customer_id)
            )
            result = {
                "customers": [
                    await connection.fetchval(
                        "SELECT to_jsonb(c)::text FROM customers c WHERE id = $1", customer_id
                    )
                ]
            }
            for table in TENANT_DATA_TABLES:
                rows = await connection.fetch(
                    f"SELECT to_jsonb(t)::text FROM {table.name} t "
                    f"WHERE customer_id = $1 ORDER BY {table.order_by}",
                    customer_id,
                )
                result[table.name] = [json.loads(r[0]) for r in rows]
            result["customers"] = [json.loads(x) for x in result["customers"] if x]
            return result
    finally:
        await connection.close()


async def test_backup_erase_restore_round_trip_row_by_row(
    database, superuser_url, secret, privacy_stub, tenants_stub, memories, contexts, tmp_path
):
    customer_id = await create_customer(database.owner_url, "Round Trip Insurance")
    tenant = TenantHandle(customer_id, "Round Trip Insurance", secret)
    for _ in range(2):
        await give_caller_history(memories, contexts, tenant, phone())
    await tenants_stub.UpdateSettings(
        ten.UpdateSettingsRequest(settings=ten.TenantSettings(voice="verse")),
        metadata=tenant.metadata(),
    )
    # Two follow-ups per call, one undated (the built-in summariser makes none yet).
    owner_connection = await asyncpg.connect(database.owner_url)
    try:
        await owner_connection.execute(
            "INSERT INTO follow_ups (customer_id, user_id, call_id, ordinal, party, action, "
            "due_phrase, due_at, promised_at) "
            "SELECT customer_id, user_id, call_id, n, 'agent', 'send the quote', 'tomorrow', "
            "CASE WHEN n = 0 THEN started_at + interval '1 day' END, started_at "
            "FROM call_summaries, generate_series(0, 1) n WHERE customer_id = $1",
            customer_id,
        )
    finally:
        await owner_connection.close()
    before = await _snapshot(database.owner_url, customer_id)
    assert len(before["memories"]) == 4 and len(before["personality_metrics"]) == 2
    assert len(before["follow_ups"]) == 4

    # The platform stream and the cron backup carry the same rows.
    stream = [
        r
        async for r in privacy_stub.ExportCustomerData(
            pb.ExportCustomerDataRequest(customer_id=customer_id), metadata=platform(secret)
        )
    ]
    assert stream[0].HasField("header") and stream[0].header.customer_id == customer_id
    streamed: dict[str, int] = {}
    for item in stream[1:]:
        streamed[item.record.table] = streamed.get(item.record.table, 0) + 1
    assert streamed == {t: len(rows) for t, rows in before.items() if rows}

    backup = tmp_path / "customer.jsonl.gz"
    owner = {"ALICE_ADMIN_DATABASE_URL": database.owner_url, "JWT_SECRET_KEY": secret}
    code, out, err = await admin(
        "backup", "--customer-id", str(customer_id), "--output", str(backup), **owner
    )
    assert code == 0, err
    assert json.loads(out)["rows"]["memories"] == 4

    erased = await privacy_stub.DeleteCustomerData(
        pb.DeleteCustomerDataRequest(customer_id=customer_id, confirm_customer_id=customer_id),
        metadata=platform(secret),
    )
    counts = {c.table: c.rows for c in erased.counts}
    # Deleting each memory records its last value in memory_history first, and
    # the erasure then deletes that history too.
    history = len(before["memory_history"]) + len(before["memories"])
    assert counts == {t: len(rows) for t, rows in before.items()} | {"memory_history": history}
    gone = await _snapshot(database.owner_url, customer_id)
    assert all(rows == [] for rows in gone.values())
    status, _ = await status_of(
        memories.ListMemories(
            mem.ListMemoriesRequest(user_id="+15550000000"), metadata=tenant.metadata()
        )
    )
    assert status == grpc.StatusCode.PERMISSION_DENIED  # the customer no longer exists

    # The audit records outlive the data they describe.
    audit = await privacy_stub.ListAuditRecords(
        pb.ListAuditRecordsRequest(customer_id=customer_id), metadata=platform(secret)
    )
    assert [r.action for r in audit.records] == [
        pb.AUDIT_ACTION_DELETE_CUSTOMER_DATA,
        pb.AUDIT_ACTION_EXPORT_CUSTOMER_DATA,
        pb.AUDIT_ACTION_EXPORT_CUSTOMER_DATA,
    ]
    assert [r.actor for r in audit.records] == ["platform", "alice-admin", "platform"]

    code, out, err = await admin("restore", str(backup), **owner)
    assert code == 0, err
    assert await _snapshot(database.owner_url, customer_id) == before
    # ...and the tenant works again, its identity sequences ahead of the restored ids.
    await give_caller_history(memories, contexts, tenant, phone())

    # Restoring twice is refused; so is a file that is not an export.
    code, _, err = await admin("restore", str(backup), **owner)
    assert code == 2 and "exists in this database" in err
    junk = tmp_path / "junk.jsonl"
    junk.write_text('{"hello": 1}\n')
    code, _, err = await admin("restore", str(junk), **owner)
    assert code == 2 and "export header" in err

    # Into a fresh database: the same rows.
    async with temporary_database(superuser_url) as fresh:
        code, _, err = await admin(
            "restore", str(backup), ALICE_ADMIN_DATABASE_URL=fresh.owner_url, JWT_SECRET_KEY=secret
        )
        assert code == 0, err
        assert await _snapshot(fresh.owner_url, customer_id) == before


async def test_customer_erasure_is_platform_only_and_confirmed(privacy_stub, secret, smith):
    status, details = await status_of(
        privacy_stub.DeleteCustomerData(
            pb.DeleteCustomerDataRequest(customer_id=smith.id, confirm_customer_id=smith.id + 1),
            metadata=platform(secret),
        )
    )
    assert status == grpc.StatusCode.INVALID_ARGUMENT and "confirm" in details
    status, _ = await status_of(
        privacy_stub.DeleteCustomerData(
            pb.DeleteCustomerDataRequest(customer_id=987654321, confirm_customer_id=987654321),
            metadata=platform(secret),
        )
    )
    assert status == grpc.StatusCode.NOT_FOUND


async def test_unknown_customers_are_quiet(privacy_stub, secret):
    """An unknown customer is an ordinary NOT_FOUND (an export) or an empty page
    (its audit records): no ERROR line (asyncio's "Resetting connection with an
    active transaction" would be one)."""
    missing = 2**62
    with captured() as log:
        code, _ = await status_of(
            _drain(
                privacy_stub.ExportCustomerData(
                    pb.ExportCustomerDataRequest(customer_id=missing), metadata=platform(secret)
                )
            )
        )
        assert code == grpc.StatusCode.NOT_FOUND
        page = await privacy_stub.ListAuditRecords(
            pb.ListAuditRecordsRequest(customer_id=missing), metadata=platform(secret)
        )
        assert not page.records
        await asyncio.sleep(0.2)  # a connection released late logs late
    errors = [line for line in json_lines(log) if line.get("level") == "ERROR"]
    assert not errors, errors


async def _drain(stream: Any) -> None:
    async for _ in stream:
        pass
