"""ConsoleService through the real server: console users (platform only, hashes
kept opaque and never logged, erased with their customer) and GetTenantUsage
(daily series from the tenant's tables and the flushed RPC counts)."""

from __future__ import annotations

import datetime as dt
import logging
import secrets

import grpc
import pytest
from argon2 import PasswordHasher

from alice_server.auth import mint_platform_token
from alice_server.metrics import TENANT_USAGE
from chad_client import AliceClient
from chad_client.errors import AlreadyExists, InvalidArgument, NotFound
from chad_client.v1 import console_service_pb2 as con_pb
from chad_client.v1 import console_service_pb2_grpc
from tests.helpers import status_of
from tests.support.tenants import create_customer

HASHER = PasswordHasher()


def login() -> str:
    return f"user-{secrets.token_hex(4)}"


@pytest.fixture
async def client(alice, secret):
    async with AliceClient(alice.address, secret=secret) as client:
        yield client


@pytest.fixture
def platform(client, secret):
    return client.platform(token=mint_platform_token(secret))


async def test_console_users_are_created_read_listed_and_updated(platform, smith, caplog):
    password_hash = HASHER.hash("correct horse battery staple")
    caplog.set_level(logging.DEBUG)
    operator = await platform.create_console_user(login().upper(), password_hash, role="operator")
    assert operator.login == operator.login.lower() and operator.customer_id is None
    assert operator.password_hash == ""  # only GetConsoleUser returns it
    admin = await platform.create_console_user(
        login(), password_hash, role="tenant_admin", customer_id=smith.id
    )
    assert (admin.role, admin.customer_id, admin.disabled) == ("tenant_admin", smith.id, False)

    fetched = await platform.get_console_user(admin.login)
    assert fetched.password_hash == password_hash and fetched.last_login_at is None
    assert HASHER.verify(fetched.password_hash, "correct horse battery staple")

    mine = await platform.list_console_users(smith.id)
    assert [u.login for u in mine.items] == [admin.login]
    assert all(u.password_hash == "" for u in mine.items)

    logged_in = await platform.update_console_user(admin.id, record_login=True)
    assert logged_in.last_login_at is not None
    disabled = await platform.update_console_user(admin.id, disabled=True)
    assert disabled.disabled and disabled.last_login_at == logged_in.last_login_at
    new_hash = HASHER.hash("another passphrase")
    await platform.update_console_user(admin.id, password_hash=new_hash, disabled=False)
    again = await platform.get_console_user(admin.login)
    assert (again.password_hash, again.disabled) == (new_hash, False)
    # Alice keeps hashes out of its logs.
    assert password_hash not in caplog.text and new_hash not in caplog.text


async def test_console_user_pages_follow_ids(platform, peterson):
    logins = [login() for _ in range(3)]
    for name in logins:
        await platform.create_console_user(
            name, HASHER.hash("pw-" + name), role="tenant_admin", customer_id=peterson.id
        )
    first = await platform.list_console_users(peterson.id, page_size=2)
    assert len(first.items) == 2 and first.next_page_token
    second = await platform.list_console_users(
        peterson.id, page_size=2, page_token=first.next_page_token
    )
    assert [u.login for u in first.items + second.items] == logins
    assert second.next_page_token == ""
    with pytest.raises(InvalidArgument, match="page_token"):
        await platform.list_console_users(0, page_token=first.next_page_token)
    with pytest.raises(InvalidArgument, match="page_size"):
        await platform.list_console_users(peterson.id, page_size=-1)


async def test_bad_console_users_are_refused_with_reasons(platform, smith, caplog):
    good = HASHER.hash("pw")
    not_argon2id = "$2b$12$" + "a" * 53  # a bcrypt hash
    caplog.set_level(logging.DEBUG)
    with pytest.raises(InvalidArgument, match="argon2id") as refused:
        await platform.create_console_user(login(), not_argon2id, role="operator")
    assert not_argon2id not in str(refused.value) and not_argon2id not in caplog.text
    with pytest.raises(InvalidArgument, match="login"):
        await platform.create_console_user("no spaces allowed", good, role="operator")
    with pytest.raises(InvalidArgument, match="operator belongs to no customer"):
        await platform.create_console_user(login(), good, role="operator", customer_id=smith.id)
    with pytest.raises(InvalidArgument, match="needs the customer_id"):
        await platform.create_console_user(login(), good, role="tenant_admin")
    with pytest.raises(NotFound, match="customer 987654321"):
        await platform.create_console_user(
            login(), good, role="tenant_admin", customer_id=987654321
        )
    taken = login()
    await platform.create_console_user(taken, good, role="operator")
    with pytest.raises(AlreadyExists, match=taken):
        await platform.create_console_user(taken, good, role="operator")
    with pytest.raises(NotFound):
        await platform.get_console_user("nobody-here")
    with pytest.raises(NotFound):
        await platform.update_console_user(987654321, disabled=True)
    with pytest.raises(InvalidArgument, match="nothing to change"):
        await platform.update_console_user(1)


async def test_tenant_tokens_never_reach_console_users(channel, smith):
    stub = console_service_pb2_grpc.ConsoleServiceStub(channel)
    for call in (
        stub.GetConsoleUser(
            con_pb.GetConsoleUserRequest(login="anyone"), metadata=smith.metadata()
        ),
        stub.GetTenantUsage(
            con_pb.GetTenantUsageRequest(customer_id=smith.id), metadata=smith.metadata()
        ),
    ):
        code, details = await status_of(call)
        assert code == grpc.StatusCode.PERMISSION_DENIED
        assert "platform token" in details


async def test_erasing_a_customer_erases_its_console_users(platform, database, secret):
    customer_id = await create_customer(database.owner_url, "Short Lived Insurance")
    admin = await platform.create_console_user(
        login(), HASHER.hash("pw"), role="tenant_admin", customer_id=customer_id
    )
    erasure = await platform.delete_customer_data(customer_id)
    assert erasure.counts["console_users"] == 1
    with pytest.raises(NotFound):
        await platform.get_console_user(admin.login)


async def test_tenant_usage_counts_days_and_rpcs(alice, client, platform, peterson):
    tenant = client.for_customer(peterson.id)
    await alice.server.usage.flush()  # what earlier tests counted is written now
    caller = f"+1555{secrets.randbelow(10**7):07d}"
    await tenant.process_call(
        caller,
        f"CA-{secrets.token_hex(4)}",
        [("caller", "Hi, I would like to insure my new car."), ("agent", "Of course.")],
    )
    await tenant.store_memory(caller, "fact", "car", {"model": "hatchback"})
    with pytest.raises(NotFound):
        await tenant.get_memory("00000000-0000-0000-0000-000000000000")
    counted = TENANT_USAGE.take()
    TENANT_USAGE.give_back(counted)
    rpcs = sum(v[0] for (cid, _h), v in counted.items() if cid == peterson.id)
    errors = sum(v[1] for (cid, _h), v in counted.items() if cid == peterson.id)
    assert (rpcs, errors) == (3, 1)
    assert await alice.server.usage.flush() >= 1
    assert TENANT_USAGE.take() == {}

    days = await platform.get_tenant_usage(peterson.id, days=7)
    assert len(days) == 7 and days[-1].date == dt.datetime.now(dt.UTC).date()
    assert [d.date for d in days] == sorted(d.date for d in days)
    today = days[-1]
    assert (today.calls, today.callers, today.new_callers) == (1, 1, 1)
    assert today.memories >= 1
    assert (today.rpc_count, today.error_count) == (3, 1)
    assert all(d.rpc_count == 0 for d in days[:-1])

    # Another process's counts add up (the upsert is additive).
    TENANT_USAGE.count(peterson.id, failed=True)
    await alice.server.usage.flush()
    again = (await platform.get_tenant_usage(peterson.id, days=1))[-1]
    assert (again.rpc_count, again.error_count) == (4, 2)

    assert len(await platform.get_tenant_usage(peterson.id)) == 30
    assert len(await platform.get_tenant_usage(peterson.id, days=10_000)) == 366
    with pytest.raises(InvalidArgument, match="days"):
        await platform.get_tenant_usage(peterson.id, days=-1)
    with pytest.raises(NotFound):
        await platform.get_tenant_usage(987654321)
