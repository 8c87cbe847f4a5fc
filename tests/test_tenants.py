"""TenantService over real gRPC: platform tokens manage customers, tenants read
their own profile and settings, and neither kind of token reaches the other's RPCs."""

from __future__ import annotations

import asyncio
import secrets
import time

import asyncpg
import grpc
import jwt
import pytest
from google.protobuf import struct_pb2

from alice_server.auth import mint_platform_token
from alice_server.testing import running_server
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import privacy_service_pb2 as priv
from chad_client.v1 import privacy_service_pb2_grpc, tenant_service_pb2_grpc
from chad_client.v1 import tenant_service_pb2 as pb
from tests.helpers import status_of, struct


def platform_md(secret: str, scope: str = "platform:admin") -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {mint_platform_token(secret, scope=scope)}"),)


def fresh_number() -> str:
    return f"+1555{secrets.randbelow(10**7):07d}"


@pytest.fixture(scope="session")
def tenants_stub(channel) -> tenant_service_pb2_grpc.TenantServiceStub:
    return tenant_service_pb2_grpc.TenantServiceStub(channel)


@pytest.fixture(scope="session")
def privacy_stub(channel) -> privacy_service_pb2_grpc.PrivacyServiceStub:
    return privacy_service_pb2_grpc.PrivacyServiceStub(channel)


async def test_platform_admin_creates_gets_pages_and_updates_customers(tenants_stub, secret):
    md = platform_md(secret)
    number = fresh_number()
    local = f"({number[2:5]}) {number[5:8]}-{number[8:]}"
    created = (
        await tenants_stub.CreateCustomer(
            pb.CreateCustomerRequest(
                business_name="  Harbor Mutual ",
                agent_name="Ava",
                voice="alloy",
                twilio_number=local,
                time_zone="America/Denver",
                rate_limit_per_second=5,
            ),
            metadata=md,
        )
    ).customer
    assert created.id > 0 and created.business_name == "Harbor Mutual"
    assert created.twilio_number == number  # normalised to E.164
    assert created.status == pb.CUSTOMER_STATUS_ACTIVE
    assert created.HasField("rate_limit_per_second") and created.rate_limit_per_second == 5

    got = (
        await tenants_stub.GetCustomer(pb.GetCustomerRequest(customer_id=created.id), metadata=md)
    ).customer
    assert got == created

    # The same number, written another way, is taken.
    status, details = await status_of(
        tenants_stub.CreateCustomer(
            pb.CreateCustomerRequest(business_name="Other", twilio_number=number[2:]), metadata=md
        )
    )
    assert status == grpc.StatusCode.ALREADY_EXISTS and "twilio_number" in details

    updated = (
        await tenants_stub.UpdateCustomer(
            pb.UpdateCustomerRequest(
                customer_id=created.id, agent_name="Max", clear_rate_limit=True
            ),
            metadata=md,
        )
    ).customer
    assert updated.agent_name == "Max" and updated.voice == "alloy"  # the rest unchanged
    assert not updated.HasField("rate_limit_per_second")
    assert updated.updated_at.ToDatetime() >= created.updated_at.ToDatetime()

    for request, fragment in (
        (pb.UpdateCustomerRequest(customer_id=created.id, time_zone="Mars/Olympus"), "time_zone"),
        (pb.UpdateCustomerRequest(customer_id=created.id, business_name=" "), "business_name"),
        (pb.UpdateCustomerRequest(customer_id=created.id, twilio_number="12"), "twilio_number"),
        (
            pb.UpdateCustomerRequest(customer_id=created.id, rate_limit_per_second=-1),
            "rate_limit",
        ),
    ):
        status, details = await status_of(tenants_stub.UpdateCustomer(request, metadata=md))
        assert status == grpc.StatusCode.INVALID_ARGUMENT and fragment in details
    status, _ = await status_of(
        tenants_stub.GetCustomer(pb.GetCustomerRequest(customer_id=987654321), metadata=md)
    )
    assert status == grpc.StatusCode.NOT_FOUND

    # Pages: every customer exactly once, in id order.
    seen: list[int] = []
    token = ""
    while True:
        page = await tenants_stub.ListCustomers(
            pb.ListCustomersRequest(page_size=2, page_token=token), metadata=md
        )
        seen.extend(c.id for c in page.customers)
        token = page.next_page_token
        if not token:
            break
    assert created.id in seen and seen == sorted(set(seen))
    status, _ = await status_of(
        tenants_stub.ListCustomers(pb.ListCustomersRequest(page_size=-1), metadata=md)
    )
    assert status == grpc.StatusCode.INVALID_ARGUMENT


async def test_suspending_rejects_the_tenants_tokens(tenants_stub, contexts, secret, peterson):
    md = platform_md(secret)
    request = ctx.GetEnrichedContextRequest(user_id="+15550000000")
    await contexts.GetEnrichedContext(request, metadata=peterson.metadata())
    await tenants_stub.UpdateCustomer(
        pb.UpdateCustomerRequest(customer_id=peterson.id, status=pb.CUSTOMER_STATUS_SUSPENDED),
        metadata=md,
    )
    status, details = await status_of(
        contexts.GetEnrichedContext(request, metadata=peterson.metadata())
    )
    assert status == grpc.StatusCode.PERMISSION_DENIED and "suspended" in details
    await tenants_stub.UpdateCustomer(
        pb.UpdateCustomerRequest(customer_id=peterson.id, status=pb.CUSTOMER_STATUS_ACTIVE),
        metadata=md,
    )
    await contexts.GetEnrichedContext(request, metadata=peterson.metadata())


async def test_suspension_reaches_another_replica_within_the_cache_ttl(database, secret, peterson):
    """Two servers on one database: the other replica refuses once its cache entry expires."""
    ttl = 1.0
    kwargs = {
        "rate_limit_per_second": 0,
        "customer_cache_seconds": ttl,
        "platform_database_url": database.platform_url,
    }
    async with (
        running_server(database.app_url, secret, **kwargs) as a,
        running_server(database.app_url, secret, **kwargs) as b,
        grpc.aio.insecure_channel(a.address) as channel_a,
        grpc.aio.insecure_channel(b.address) as channel_b,
    ):
        from chad_client.v1 import context_service_pb2_grpc

        context_b = context_service_pb2_grpc.ContextServiceStub(channel_b)
        request = ctx.GetEnrichedContextRequest(user_id="+15550000001")
        await context_b.GetEnrichedContext(request, metadata=peterson.metadata())  # cached
        await tenant_service_pb2_grpc.TenantServiceStub(channel_a).UpdateCustomer(
            pb.UpdateCustomerRequest(customer_id=peterson.id, status=pb.CUSTOMER_STATUS_SUSPENDED),
            metadata=platform_md(secret),
        )
        await asyncio.sleep(ttl + 0.2)
        status, _ = await status_of(
            context_b.GetEnrichedContext(request, metadata=peterson.metadata())
        )
        assert status == grpc.StatusCode.PERMISSION_DENIED


async def test_tokens_reach_only_their_own_kind_of_rpc(
    tenants_stub, privacy_stub, memories, contexts, secret, peterson
):
    platform = platform_md(secret)
    # A platform token never reads a tenant's data...
    for call in (
        memories.ListMemories(mem.ListMemoriesRequest(user_id="+15550000002"), metadata=platform),
        memories.StoreMemory(
            mem.StoreMemoryRequest(user_id="+15550000002", type="fact", key="k", value=struct(v=1)),
            metadata=platform,
        ),
        contexts.GetEnrichedContext(
            ctx.GetEnrichedContextRequest(user_id="+15550000002"), metadata=platform
        ),
        tenants_stub.GetMyCustomer(pb.GetMyCustomerRequest(), metadata=platform),
        tenants_stub.GetSettings(pb.GetSettingsRequest(), metadata=platform),
        privacy_stub.DeleteUserData(
            priv.DeleteUserDataRequest(user_id="+15550000002"), metadata=platform
        ),
    ):
        status, details = await status_of(call)
        assert status == grpc.StatusCode.PERMISSION_DENIED and "tenant token" in details
    # ...and a tenant token, whatever scopes it claims, never reaches a platform RPC.
    tenant = peterson.metadata(scope="memory:read memory:write platform:admin")
    for call in (
        tenants_stub.CreateCustomer(pb.CreateCustomerRequest(business_name="X"), metadata=tenant),
        tenants_stub.ListCustomers(pb.ListCustomersRequest(), metadata=tenant),
        tenants_stub.LookupCustomerByNumber(
            pb.LookupCustomerByNumberRequest(phone_number="+15550000002"), metadata=tenant
        ),
        privacy_stub.DeleteCustomerData(
            priv.DeleteCustomerDataRequest(
                customer_id=peterson.id, confirm_customer_id=peterson.id
            ),
            metadata=tenant,
        ),
    ):
        status, details = await status_of(call)
        assert status == grpc.StatusCode.PERMISSION_DENIED and "platform token" in details
    # The call router's lookup-only token manages nothing.
    lookup = platform_md(secret, "platform:lookup")
    status, details = await status_of(
        tenants_stub.CreateCustomer(pb.CreateCustomerRequest(business_name="X"), metadata=lookup)
    )
    assert status == grpc.StatusCode.PERMISSION_DENIED and "platform:admin" in details
    # A token that claims to be both is refused outright.
    now = int(time.time())
    mixed = jwt.encode(
        {
            "platform": True,
            "customer_id": peterson.id,
            "scope": "platform:admin",
            "iat": now,
            "exp": now + 60,
        },
        secret,
        algorithm="HS256",
    )
    status, details = await status_of(
        tenants_stub.ListCustomers(
            pb.ListCustomersRequest(), metadata=(("authorization", f"Bearer {mixed}"),)
        )
    )
    assert status == grpc.StatusCode.UNAUTHENTICATED and "customer_id" in details


async def test_lookup_by_dialled_number_in_any_format(tenants_stub, secret):
    admin = platform_md(secret)
    number = fresh_number()
    created = (
        await tenants_stub.CreateCustomer(
            pb.CreateCustomerRequest(business_name="Lookup Co", twilio_number=number),
            metadata=admin,
        )
    ).customer
    lookup = platform_md(secret, "platform:lookup")
    for dialled in (number, number[2:], f"1-{number[2:5]}-{number[5:8]}-{number[8:]}"):
        found = await tenants_stub.LookupCustomerByNumber(
            pb.LookupCustomerByNumberRequest(phone_number=dialled), metadata=lookup
        )
        assert found.customer.id == created.id
    status, _ = await status_of(
        tenants_stub.LookupCustomerByNumber(
            pb.LookupCustomerByNumberRequest(phone_number=fresh_number()), metadata=lookup
        )
    )
    assert status == grpc.StatusCode.NOT_FOUND
    status, _ = await status_of(
        tenants_stub.LookupCustomerByNumber(
            pb.LookupCustomerByNumberRequest(phone_number="not a number"), metadata=lookup
        )
    )
    assert status == grpc.StatusCode.INVALID_ARGUMENT


async def test_lookup_is_one_index_scan(database):
    from alice_server.storage.repositories.tenants import _BY_NUMBER

    connection = await asyncpg.connect(database.platform_url)
    try:
        await connection.execute("SET enable_seqscan = off")  # a tiny table would seq-scan
        plan = await connection.fetchval(f"EXPLAIN (FORMAT TEXT) {_BY_NUMBER}", "+15550000000")
        assert "uq_customers_twilio_phone_number" in plan, plan
        await connection.execute("RESET enable_seqscan")
    finally:
        await connection.close()


async def test_my_customer_and_settings(tenants_stub, secret, peterson, smith):
    mine = (
        await tenants_stub.GetMyCustomer(pb.GetMyCustomerRequest(), metadata=peterson.metadata())
    ).customer
    assert mine.id == peterson.id and mine.business_name == peterson.name
    assert mine.time_zone == "UTC"

    settings = pb.TenantSettings(
        new_caller_greeting="{time_greeting}, {business_name}.",
        voice="verse",
        transfer_rules=pb.TransferRules(
            rules=[
                pb.TransferRule(when="claims", target="claims desk", phone_number="+15550109999")
            ]
        ),
        prompt_blocks=pb.PromptBlocks(
            blocks=[pb.PromptBlock(name="identity", text="You are {agent_name}.")]
        ),
    )
    settings.other["office_hours"].CopyFrom(struct_pb2.Value(struct_value=struct(weekdays="8-17")))
    written = (
        await tenants_stub.UpdateSettings(
            pb.UpdateSettingsRequest(settings=settings), metadata=peterson.metadata()
        )
    ).settings
    assert written.voice == "verse" and written.transfer_rules.rules[0].target == "claims desk"
    assert not written.HasField("returning_caller_greeting")
    assert written.other["office_hours"].struct_value["weekdays"] == "8-17"

    both = (
        await tenants_stub.GetSettings(
            pb.GetSettingsRequest(names=["voice", "office_hours"]), metadata=peterson.metadata()
        )
    ).settings
    assert both.voice == "verse" and "office_hours" in both.other
    assert not both.HasField("new_caller_greeting") and not both.HasField("prompt_blocks")

    # Another tenant sees none of it.
    theirs = (
        await tenants_stub.GetSettings(pb.GetSettingsRequest(), metadata=smith.metadata())
    ).settings
    assert theirs == pb.TenantSettings()

    # A bad value changes nothing; clearing removes.
    bad = pb.TenantSettings(
        voice="x",
        transfer_rules=pb.TransferRules(
            rules=[pb.TransferRule(when="w", target="t", phone_number="12")]
        ),
    )
    status, details = await status_of(
        tenants_stub.UpdateSettings(
            pb.UpdateSettingsRequest(settings=bad), metadata=peterson.metadata()
        )
    )
    assert status == grpc.StatusCode.INVALID_ARGUMENT and "E.164" in details
    cleared = (
        await tenants_stub.UpdateSettings(
            pb.UpdateSettingsRequest(clear=["office_hours", "transfer_rules"]),
            metadata=peterson.metadata(),
        )
    ).settings
    assert cleared.voice == "verse"
    assert not cleared.HasField("transfer_rules") and "office_hours" not in cleared.other

    for request in (
        pb.UpdateSettingsRequest(),
        pb.UpdateSettingsRequest(settings=pb.TenantSettings(voice="a"), clear=["voice"]),
        pb.UpdateSettingsRequest(clear=["Bad-Name"]),
    ):
        status, _ = await status_of(
            tenants_stub.UpdateSettings(request, metadata=peterson.metadata())
        )
        assert status == grpc.StatusCode.INVALID_ARGUMENT
    # Writing needs memory:write.
    status, _ = await status_of(
        tenants_stub.UpdateSettings(
            pb.UpdateSettingsRequest(settings=pb.TenantSettings(voice="a")),
            metadata=peterson.metadata(scope="memory:read"),
        )
    )
    assert status == grpc.StatusCode.PERMISSION_DENIED


async def test_platform_rpcs_need_the_platform_database(database, secret):
    async with (
        running_server(database.app_url, secret) as alice,
        grpc.aio.insecure_channel(alice.address) as channel,
    ):
        status, details = await status_of(
            tenant_service_pb2_grpc.TenantServiceStub(channel).ListCustomers(
                pb.ListCustomersRequest(), metadata=platform_md(secret)
            )
        )
    assert status == grpc.StatusCode.FAILED_PRECONDITION
    assert "ALICE_PLATFORM_DATABASE_URL" in details
