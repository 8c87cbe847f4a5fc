"""alice-admin load-demo: the demo tenants come from a data file, and loading twice
changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg

from tests.support.processes import admin

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo" / "tenants.json"


async def test_load_demo_is_idempotent(database, secret):
    owner = {"ALICE_ADMIN_DATABASE_URL": database.owner_url, "JWT_SECRET_KEY": secret}
    code, out, err = await admin("load-demo", **owner)
    assert code == 0, err
    first = [json.loads(line) for line in out.splitlines()]
    assert [t["business_name"] for t in first] == [
        "Peterson Family Insurance",
        "Smith Insurance Agency",
    ]
    assert all(t["created"] for t in first)

    code, out, err = await admin("load-demo", "--file", str(DEMO), **owner)
    assert code == 0, err
    second = [json.loads(line) for line in out.splitlines()]
    assert [t["customer_id"] for t in second] == [t["customer_id"] for t in first]
    assert not any(t["created"] for t in second)

    data = json.loads(DEMO.read_text())["tenants"]
    connection = await asyncpg.connect(database.owner_url)
    try:
        for loaded, entry in zip(first, data, strict=True):
            async with connection.transaction():
                await connection.execute(
                    "SELECT set_config('alice.customer_id', $1, true)", str(loaded["customer_id"])
                )
                memories = await connection.fetchval(
                    "SELECT count(*) FROM memories WHERE customer_id = $1", loaded["customer_id"]
                )
                callers = await connection.fetch(
                    "SELECT DISTINCT user_id FROM memories WHERE customer_id = $1 ORDER BY 1",
                    loaded["customer_id"],
                )
                settings = await connection.fetch(
                    "SELECT name FROM tenant_settings WHERE customer_id = $1 ORDER BY name",
                    loaded["customer_id"],
                )
            expected = sum(len(c["memories"]) for c in entry["callers"])
            assert memories == expected == loaded["memories"]  # no duplicates after two loads
            assert all(r["user_id"].startswith("+1555") for r in callers)  # normalised
            assert [r["name"] for r in settings] == sorted(entry["settings"])
    finally:
        await connection.close()

    code, out, err = await admin("show-customer", str(first[1]["customer_id"]), **owner)
    assert code == 0, err
    shown = json.loads(out)
    assert shown["agent_name"] == "Sarah" and shown["time_zone"] == "America/New_York"
    assert shown["settings"]["voice"] == "shimmer"
