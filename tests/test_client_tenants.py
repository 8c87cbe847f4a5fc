"""chad_client's tenant, privacy and platform methods (async and sync) against a
real server, and the call-start example. (The sync twins' signatures:
tests/test_client_coverage.py.)"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from pathlib import Path

import pytest

from alice_server.auth import mint_platform_token
from chad_client import (
    AliceClient,
    CustomerChanges,
    NotFound,
    PermissionDenied,
    PromptBlock,
    SyncAliceClient,
    TenantSettings,
    TransferRule,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "call_start.py"


def number() -> str:
    return f"+1555{secrets.randbelow(10**7):07d}"


async def test_platform_and_tenant_methods(alice, secret):
    dialled = number()
    async with AliceClient(alice.address, secret=secret) as client:
        admin = client.platform(token=mint_platform_token(secret))
        customer = await admin.create_customer(
            "Lakeside Insurance",
            agent_name="Ava",
            twilio_number=dialled,
            time_zone="America/Chicago",
        )
        assert customer.status == "active" and customer.rate_limit_per_second is None
        router = client.platform(secret=secret)  # mints platform:lookup tokens itself
        assert (await router.lookup_customer_by_number(dialled[2:])).id == customer.id
        with pytest.raises(PermissionDenied):
            await router.create_customer("Not allowed")
        with pytest.raises(NotFound):
            await router.lookup_customer_by_number(number())

        tenant = client.for_customer(customer.id)
        assert (await tenant.get_my_customer()).agent_name == "Ava"
        settings = await tenant.update_tenant_settings(
            TenantSettings(
                returning_caller_greeting="{time_greeting} {user_name}",
                transfer_rules=[TransferRule("claims", "claims desk", "+15550100099")],
                prompt_blocks=[PromptBlock("identity", "You are {agent_name}.")],
                other={"office_hours": {"mon": "9-5"}},
            )
        )
        assert settings.transfer_rules == [TransferRule("claims", "claims desk", "+15550100099")]
        assert settings.other == {"office_hours": {"mon": "9-5"}} and settings.voice is None
        assert (await tenant.get_tenant_settings(["office_hours"])).prompt_blocks is None
        cleared = await tenant.update_tenant_settings(clear=["office_hours"])
        assert cleared.other == {} and cleared.prompt_blocks is not None

        updated = await admin.update_customer(customer.id, CustomerChanges(voice="verse"))
        assert updated.voice == "verse" and updated.agent_name == "Ava"
        ids = [c.id async for c in admin.iter_customers(page_size=3)]
        assert customer.id in ids

        suspended = await admin.suspend_customer(customer.id)
        assert suspended.status == "suspended"
        with pytest.raises(PermissionDenied):
            await tenant.get_my_customer()


async def test_sync_client_privacy_round(alice, secret, peterson, caller_phone):
    # In a worker thread: the test's event loop serves the in-process server.
    await asyncio.to_thread(sync_privacy_round, alice.address, secret, peterson.id, caller_phone)


def sync_privacy_round(address: str, secret: str, customer_id: int, caller_phone: str) -> None:
    from chad_client.tokens import SecretTokenProvider

    provider = SecretTokenProvider(secret, scope="memory:read memory:write privacy:admin")
    with SyncAliceClient(address, token_provider=provider) as client:
        tenant = client.for_customer(customer_id)
        tenant.store_memory(caller_phone, "fact", "pet", {"name": "Rex"})
        rows = tenant.export_user_data(caller_phone)
        assert [(r.table, r.row["key"]) for r in rows] == [("memories", "pet")]
        erasure = tenant.delete_user_data(caller_phone)
        assert erasure.counts["memories"] == 1 and erasure.audit.action == "delete_user_data"
        assert tenant.export_user_data(caller_phone) == []
        records = tenant.list_my_audit_records(page_size=3).items
        assert [r.action for r in records[:3]] == [
            "export_user_data",
            "delete_user_data",
            "export_user_data",
        ]
        platform = client.platform(token=mint_platform_token(secret))
        page = platform.list_audit_records(customer_id, page_size=2)
        assert len(page.items) == 2 and page.next_page_token


async def test_call_start_example(alice, secret):
    dialled = number()
    async with AliceClient(alice.address, secret=secret) as client:
        admin = client.platform(token=mint_platform_token(secret))
        customer = await admin.create_customer(
            "Example Mutual", agent_name="Robin", twilio_number=dialled, time_zone="Asia/Tokyo"
        )
        await client.for_customer(customer.id).update_tenant_settings(
            TenantSettings(
                new_caller_greeting="{time_greeting}, {business_name}, {agent_name} here."
            )
        )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLE),
        "--address",
        alice.address,
        "--dialled",
        dialled[2:],
        "--caller",
        "(555) 010-4455",
        env={
            **os.environ,
            "JWT_SECRET_KEY": secret,
            "ALICE_PLATFORM_TOKEN": mint_platform_token(secret, scope="platform:lookup"),
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    text = out.decode()
    assert f"tenant: {customer.id} (Example Mutual)" in text
    assert ", Example Mutual, Robin here." in text
    assert "You are Robin, the phone assistant of Example Mutual." in text
