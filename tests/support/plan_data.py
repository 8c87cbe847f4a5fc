"""Many tenants, callers and memories, inserted by SQL, for the tests that read plans
(tests/test_call_start.py, tests/test_search_plan.py). ALICE_TEST_PLAN_SCALE=full
selects the benchmark's scale."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest

from alice_server.domain.traits import AVERAGED_TRAITS

SCALES = {
    # tenants, callers per tenant, memories per caller, summaries per caller, shared memories
    "default": (10, 200, 20, 8, 50),
    "full": (10, 1000, 50, 20, 50),
}


async def load_plan_data(
    owner: asyncpg.Connection, scale: tuple[int, int, int, int, int]
) -> list[int]:
    tenants, callers, per_caller, summaries, shared = scale
    ids = [
        row["id"]
        for row in await owner.fetch(
            "INSERT INTO customers (business_name) "
            "SELECT 'Plan tenant ' || t FROM generate_series(1, $1) t RETURNING id",
            tenants,
        )
    ]
    caller = "'+1555' || lpad(u::text, 7, '0')"
    await owner.execute(
        "INSERT INTO caller_profiles (customer_id, user_id, first_call_at, last_call_at, "
        "total_calls) "
        f"SELECT c, {caller}, now() - interval '90 days', now() - (u || ' minutes')::interval, $3 "
        "FROM unnest($1::bigint[]) c, generate_series(1, $2) u",
        ids,
        callers,
        summaries,
    )
    await owner.execute(
        "INSERT INTO personality_averages (customer_id, user_id, call_count, "
        + ", ".join(f"avg_{t}" for t in AVERAGED_TRAITS)
        + ", recent_frustration, recent_satisfaction, recent_urgency) "
        f"SELECT c, {caller}, $3, "
        + ", ".join("50" for _ in AVERAGED_TRAITS)
        + ", 50, 50, 50 FROM unnest($1::bigint[]) c, generate_series(1, $2) u",
        ids,
        callers,
        summaries,
    )
    await owner.execute(
        "INSERT INTO call_summaries (customer_id, call_id, user_id, started_at, summary, "
        "key_topics, sentiment, turn_count) "
        f"SELECT c, 'CA-' || u || '-' || s, {caller}, now() - (s || ' days')::interval, "
        "'The caller asked about their policy.', '[\"policy\"]', 'neutral', 12 "
        "FROM unnest($1::bigint[]) c, generate_series(1, $2) u, generate_series(1, $3) s",
        ids,
        callers,
        summaries,
    )
    await owner.execute(
        "INSERT INTO memories (customer_id, scope, user_id, type, key, value, source, "
        "ttl_days, expires_at, updated_at) "
        f"SELECT c, 'user', {caller}, 'fact', 'fact ' || m, jsonb_build_object('v', m), 'api', "
        "365, now() + interval '365 days', now() - (m || ' minutes')::interval "
        "FROM unnest($1::bigint[]) c, generate_series(1, $2) u, generate_series(1, $3) m",
        ids,
        callers,
        per_caller,
    )
    await owner.execute(
        "INSERT INTO memories (customer_id, scope, user_id, type, key, value, source, "
        "ttl_days, expires_at) "
        "SELECT c, 'shared', '', 'business', 'info ' || m, jsonb_build_object('v', m), 'api', "
        "365, now() + interval '365 days' "
        "FROM unnest($1::bigint[]) c, generate_series(1, $2) m",
        ids,
        shared,
    )
    # One follow-up per call: the three newest calls' still open, the others done;
    # every fourth undated, the rest due from two days ago on (some overdue).
    await owner.execute(
        "INSERT INTO follow_ups (customer_id, user_id, call_id, ordinal, party, action, "
        "due_at, promised_at, status, resolved_at) "
        f"SELECT c, {caller}, 'CA-' || u || '-' || s, 0, 'agent', 'call back', "
        "CASE WHEN s % 4 = 0 THEN NULL ELSE now() + ((s - 2) || ' days')::interval END, "
        "now() - (s || ' days')::interval, "
        "CASE WHEN s <= 3 THEN 'open' ELSE 'done' END, "
        "CASE WHEN s <= 3 THEN NULL ELSE now() END "
        "FROM unnest($1::bigint[]) c, generate_series(1, $2) u, generate_series(1, $3) s",
        ids,
        callers,
        summaries,
    )
    # A platform's many other customers: the time zone is read by primary key.
    await owner.execute(
        "INSERT INTO customers (business_name) "
        "SELECT 'Other tenant ' || t FROM generate_series(1, 2000) t"
    )
    await owner.execute("ANALYZE")
    return ids


async def explain_plans(
    owner: asyncpg.Connection, *, analyze: bool = False
) -> list[dict[str, Any]]:
    """Turn auto_explain on for the connection `owner` (skipping the test on a PostgreSQL
    without it) and return the list every statement's JSON plan is appended to, nested
    statements (those inside SQL functions) included. Log messages reach the list through
    the event loop: let it run (`await asyncio.sleep(0.05)`) before reading."""
    try:
        await owner.execute("LOAD 'auto_explain'")
    except asyncpg.PostgresError as exc:
        pytest.skip(f"auto_explain is not available on this PostgreSQL: {exc}")
    settings = {
        "auto_explain.log_min_duration": "0",
        "auto_explain.log_analyze": "on" if analyze else "off",
        "auto_explain.log_nested_statements": "on",
        "auto_explain.log_format": "json",
        "auto_explain.log_level": "notice",
        "client_min_messages": "notice",
    }
    for setting, value in settings.items():
        await owner.execute("SELECT set_config($1, $2, false)", setting, value)
    plans: list[dict[str, Any]] = []

    def collect(_: object, message: asyncpg.PostgresLogMessage) -> None:
        if "plan:" in message.message:
            plans.append(json.loads(message.message.split("plan:", 1)[1])["Plan"])

    owner.add_log_listener(collect)
    return plans
