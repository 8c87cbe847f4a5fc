"""alice-admin import-legacy against a legacy-shaped database full of awkward rows,
checked row by row; idempotent; --dry-run writes nothing; both legacy shapes.

The legacy `embedding` columns are vector(768) in production; PostgreSQL 15 here
has no pgvector, so the test database declares them float8[] (never read)."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np
import pytest

from alice_server.embedding_model import load_embedder
from alice_server.storage.repositories.memories import vector_of
from alice_server.storage.urls import libpq_url, with_database
from tests.support.processes import admin, one_line
from tests.support.tenants import create_customer

NOW = dt.datetime.now(dt.UTC)
MIGRATION = Path(__file__).resolve().parents[1] / "MIGRATION.md"
SCORES = (
    "openness",
    "conscientiousness",
    "extraversion",
    "agreeableness",
    "neuroticism",
    "formality",
    "directness",
    "detail_orientation",
    "patience",
    "technical_comfort",
    "frustration_level",
    "satisfaction_level",
    "urgency_level",
)
AVERAGES = (
    *(f"avg_{s}" for s in SCORES[:10]),
    "recent_frustration",
    "recent_satisfaction",
    "recent_urgency",
)


def schema(with_customer_id: bool) -> str:
    cid = "customer_id int NOT NULL DEFAULT 1," if with_customer_id else ""
    return f"""
    CREATE TABLE memories (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), {cid}
        user_id text, scope text, type text, k text, value_json jsonb, embedding float8[],
        source text DEFAULT 'orchestrator', ttl_days int DEFAULT 365,
        created_at timestamptz DEFAULT now());
    CREATE TABLE call_summaries (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), {cid}
        call_id varchar UNIQUE, user_id text, call_date timestamp, summary text,
        key_topics jsonb, key_variables jsonb, sentiment varchar, duration_seconds int,
        resolution_status varchar, embedding float8[], created_at timestamptz DEFAULT now());
    CREATE TABLE caller_profiles (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), {cid}
        user_id text, first_call_date timestamp, last_call_date timestamp,
        total_calls int DEFAULT 1, preferred_name text, preferences jsonb, context jsonb,
        created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now());
    CREATE TABLE personality_metrics (id serial PRIMARY KEY, {cid} user_id text, call_id text,
        measured_at timestamptz, {", ".join(f"{s} float8" for s in SCORES)},
        created_at timestamptz DEFAULT now());
    CREATE TABLE personality_averages ({cid} user_id text, call_count int,
        last_updated timestamptz, {", ".join(f"{a} float8" for a in AVERAGES)},
        satisfaction_trend text, frustration_trend text);
    """


def ago(**delta: float) -> dt.datetime:
    return NOW - dt.timedelta(**delta)


def setting(name: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"setting_key": name, "value": value, "setting_value": value, "timestamp": "x", **extra}


# (user_id, scope, type, k, value_json (a Python value, dumped as jsonb), ttl_days, created_at)
MEMORIES: list[tuple[Any, ...]] = [
    # The transcript re-inserted every turn, by both spellings of one caller: newest wins.
    (
        "5550142001",
        "user",
        "thread_recap",
        "thread_history:t1",
        {"messages": ["a"], "count": 1},
        7,
        ago(hours=3),
    ),
    (
        "+15550142001",
        "user",
        "thread_recap",
        "thread_history:t1",
        {"messages": ["a", "b"], "count": 2},
        7,
        ago(hours=2),
    ),
    (
        "5550142001",
        "user",
        "thread_recap",
        "thread_history:t1",
        {"messages": ["a", "b", "c"], "count": 3},
        7,
        ago(hours=1),
    ),
    # A JSON string value and an upper-case type.
    ("5550142001", "user", "Person", "name", "Dana Whitfield", 365, ago(days=2)),
    # No key at all.
    ("5550142001", "user", "fact", None, {"policy": "auto"}, 365, ago(days=1)),
    # Expired: 100 days old with a 90-day TTL.
    ("5550142001", "user", "moment", "old_moment", {"note": "gone"}, 90, ago(days=100)),
    # The customer_N_ prefix some writers used.
    (
        "customer_1_5550142002",
        "user",
        "preference",
        "contact_time",
        {"value": "mornings"},
        730,
        ago(days=3),
    ),
    # A shared memory.
    ("shared", "shared", "rule", "office_hours", {"hours": "9-5"}, 365, ago(days=4)),
    # A JSON string that spells an object, for the pseudo-user "unknown".
    ("unknown", "user", "fact", "note", '{"a": 1}', 365, ago(days=5)),
    # A TTL beyond Alice's maximum.
    ("+15550142002", "user", "fact", "forever", {"v": 1}, 5000, ago(days=6)),
]
SETTINGS: list[tuple[Any, ...]] = [
    (
        None,
        "shared",
        "admin_setting",
        "existing_user_greeting",
        setting("existing_user_greeting", "Welcome back {user_name}"),
        365,
        ago(days=9),
    ),
    (
        "admin",
        "shared",
        "admin_setting",
        "openai_voice",
        setting("openai_voice", "echo"),
        365,
        ago(days=9),
    ),
    (
        "admin",
        "shared",
        "admin_setting",
        "openai_voice",
        setting("openai_voice", "alloy"),
        365,
        ago(days=8),
    ),
    (
        None,
        "shared",
        "admin_setting",
        "transfer_rules",
        setting(
            "transfer_rules",
            '[{"x": 1}]',
            rules=[{"condition": "claims", "name": "claims desk", "number": "5550109999"}],
        ),
        365,
        ago(days=9),
    ),
    (None, "shared", "admin_setting", "agent_name", setting("agent_name", "Sam"), 365, ago(days=9)),
    (
        None,
        "shared",
        "admin_setting",
        "prompt_blocks",
        setting("prompt_blocks", {"identity": "You are {agent_name}."}),
        365,
        ago(days=9),
    ),
    (None, "shared", "admin_setting", "some_flag", setting("some_flag", True), 365, ago(days=9)),
]


async def build_legacy(url: str, *, with_customer_id: bool) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(schema(with_customer_id))
        owners = [1, 2] if with_customer_id else [None]
        for owner in owners:
            cid_col = ", customer_id" if owner else ""
            cid_val = f", {owner}" if owner else ""
            for user_id, scope, type_, k, value, ttl, created in MEMORIES + SETTINGS:
                if owner == 2 and type_ == "admin_setting":
                    continue
                await connection.execute(
                    f"INSERT INTO memories (user_id, scope, type, k, value_json, ttl_days, "
                    f"created_at, embedding{cid_col}) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, "
                    f"ARRAY[0.1, 0.2]{cid_val})",
                    user_id if owner != 2 else f"{user_id}-other",
                    scope,
                    type_,
                    k,
                    json.dumps(value),
                    ttl,
                    created,
                )
            suffix = "" if owner != 2 else "-other"
            await connection.execute(
                f"INSERT INTO call_summaries (call_id, user_id, call_date, summary, key_topics, "
                f"key_variables, sentiment, duration_seconds, resolution_status{cid_col}) VALUES "
                f"('CA1{suffix}', '5550142001', '2025-10-20 14:30:00', 'Asked for a quote.', "
                f'\'["auto", "quote"]\', \'{{"car": "hatchback"}}\', \'Positive\', 120, '
                f"'resolved'{cid_val}), "
                f"('CA2{suffix}', '+15550142001', '2025-10-25 09:00:00', 'Upset about a bill.', "
                f"NULL, NULL, 'frustrated', NULL, NULL{cid_val})"
            )
            await connection.execute(
                f"INSERT INTO caller_profiles (user_id, first_call_date, last_call_date, "
                f"total_calls, preferred_name, preferences, context, created_at, "
                f"updated_at{cid_col}) VALUES "
                f"('5550142001', '2025-10-01', '2025-10-20', 1, 'Dana', '{{\"lang\": \"en\"}}', "
                f"'{{\"note\": \"x\"}}', '2025-10-01', '2025-10-20'{cid_val}), "
                f"('+15550142001', '2025-09-01', '2025-10-25', 1, '', NULL, NULL, "
                f"'2025-09-01', '2025-10-25'{cid_val})"
            )
            scores = ", ".join(str(10 + i) for i in range(len(SCORES)))
            await connection.execute(
                f"INSERT INTO personality_metrics (user_id, call_id, measured_at, "
                f"{', '.join(SCORES)}{cid_col}) VALUES "
                f"('5550142001', 'CA1{suffix}', '2025-10-20 14:35+00', {scores}{cid_val}), "
                f"('5550142001', 'CA-orphan', '2025-10-21 14:35+00', {scores}{cid_val})"
            )
            averages = ", ".join(str(20 + i) for i in range(len(AVERAGES)))
            await connection.execute(
                f"INSERT INTO personality_averages (user_id, call_count, last_updated, "
                f"{', '.join(AVERAGES)}{cid_col}) VALUES "
                f"('5550142001', 1, '2025-10-20 14:35+00', {averages}{cid_val})"
            )
    finally:
        await connection.close()


@pytest.fixture
async def legacy_database(superuser_url):
    created = []

    async def make(*, with_customer_id: bool, then: str = "") -> str:
        name = f"legacy_{uuid.uuid4().hex[:10]}"
        server = await asyncpg.connect(libpq_url(superuser_url))
        try:
            await server.execute(f'CREATE DATABASE "{name}"')
        finally:
            await server.close()
        created.append(name)
        url = libpq_url(with_database(superuser_url, name))
        await build_legacy(url, with_customer_id=with_customer_id)
        if then:  # reshape it
            connection = await asyncpg.connect(url)
            try:
                await connection.execute(then)
            finally:
                await connection.close()
        return url

    yield make
    server = await asyncpg.connect(libpq_url(superuser_url))
    try:
        for name in created:
            await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await server.close()


async def memory_embeddings(owner_url: str, customer_id: int) -> list[tuple[Any, ...]]:
    connection = await asyncpg.connect(owner_url)
    try:
        async with connection.transaction():
            await connection.execute(
                "SELECT set_config('alice.customer_id', $1, true)", str(customer_id)
            )
            rows = await connection.fetch(
                "SELECT type, key, value::text AS value, embedding_bytes FROM memories "
                "WHERE customer_id = $1 ORDER BY scope, user_id, type, key",
                customer_id,
            )
    finally:
        await connection.close()
    return [
        (
            r["type"],
            r["key"],
            json.loads(r["value"]),
            None if r["embedding_bytes"] is None else list(vector_of(r["embedding_bytes"])),
        )
        for r in rows
    ]


async def alice_rows(owner_url: str, customer_id: int) -> dict[str, Any]:
    connection = await asyncpg.connect(owner_url)
    try:
        async with connection.transaction():
            await connection.execute(
                "SELECT set_config('alice.customer_id', $1, true)", str(customer_id)
            )
            memories = await connection.fetch(
                "SELECT scope, user_id, type, key, value::text AS value, source, ttl_days, "
                "created_at, expires_at FROM memories WHERE customer_id = $1 "
                "ORDER BY scope, user_id, type, key",
                customer_id,
            )
            settings = await connection.fetch(
                "SELECT name, value::text AS value FROM tenant_settings WHERE customer_id = $1",
                customer_id,
            )
            summaries = await connection.fetch(
                "SELECT call_id, user_id, started_at, ended_at, duration_seconds, summary, "
                "key_topics::text AS key_topics, sentiment FROM call_summaries "
                "WHERE customer_id = $1 ORDER BY call_id",
                customer_id,
            )
            profiles = await connection.fetch(
                "SELECT user_id, first_call_at, last_call_at, total_calls, preferred_name, "
                "preferences::text AS preferences FROM caller_profiles WHERE customer_id = $1",
                customer_id,
            )
            metrics = await connection.fetch(
                "SELECT user_id, call_id, openness, urgency_level FROM personality_metrics "
                "WHERE customer_id = $1",
                customer_id,
            )
            averages = await connection.fetch(
                "SELECT user_id, call_count, avg_openness, recent_urgency "
                "FROM personality_averages WHERE customer_id = $1",
                customer_id,
            )
            agent = await connection.fetchval(
                "SELECT agent_name FROM customers WHERE id = $1", customer_id
            )
    finally:
        await connection.close()
    return {
        "memories": [
            (
                r["scope"],
                r["user_id"],
                r["type"],
                r["key"],
                json.loads(r["value"]),
                r["source"],
                r["ttl_days"],
                r["created_at"],
                r["expires_at"],
            )
            for r in memories
        ],
        "settings": {r["name"]: json.loads(r["value"]) for r in settings},
        "summaries": [tuple(r) for r in summaries],
        "profiles": [
            (
                r["user_id"],
                r["first_call_at"],
                r["last_call_at"],
                r["total_calls"],
                r["preferred_name"],
                json.loads(r["preferences"]),
            )
            for r in profiles
        ],
        "metrics": [tuple(r) for r in metrics],
        "averages": [tuple(r) for r in averages],
        "agent_name": agent,
    }


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


async def test_import_legacy_row_by_row_idempotent_and_dry_run(database, legacy_database, secret):
    legacy_url = await legacy_database(with_customer_id=False)
    customer_id = await create_customer(database.owner_url, "Peterson Family Insurance")
    owner = {"ALICE_ADMIN_DATABASE_URL": database.owner_url, "JWT_SECRET_KEY": secret}
    args = ("import-legacy", "--legacy-url", legacy_url, "--customer-id", str(customer_id))

    code, out, err = await admin(*args, "--dry-run", **owner)
    assert code == 0, err
    dry = json.loads(out)
    assert dry["dry_run"] is True
    # In words on stderr: what would be imported, and every row left out, with why.
    # In words on stderr: what would be imported, and every row left out, with
    # why; exactly as MIGRATION.md shows it for this legacy database.
    documented = re.search(r"```text\n(dry run: .*?)```", MIGRATION.read_text(), re.S)
    assert documented is not None
    assert err == documented.group(1).replace(
        "legacy customer 1 into customer 1",
        f"legacy customer {customer_id} into customer {customer_id}",
    )
    assert "1 skipped: no call summary for its call_id" in err
    assert (await alice_rows(database.owner_url, customer_id))["memories"] == []  # nothing written

    code, out, err = await admin(*args, **owner)
    assert code == 0, err
    report = json.loads(out)
    assert report["tables"] == dry["tables"]  # the dry run counted the real import
    memories = report["tables"]["memories"]
    assert memories == {
        "read": 10,
        "imported": 7,
        "already_present": 0,
        "collapsed_duplicates": 2,
        "skipped_expired": 1,
        "skipped": {},
    }
    assert report["tables"]["personality_metrics"]["skipped"] == {
        "no call summary for its call_id": 1
    }
    assert report["legacy_has_customer_id"]["memories"] is False

    rows = await alice_rows(database.owner_url, customer_id)
    (newest,) = [m for m in MEMORIES if m[4] == {"messages": ["a", "b", "c"], "count": 3}]
    expected_memories = sorted(
        [
            (
                "shared",
                "",
                "rule",
                "office_hours",
                {"hours": "9-5"},
                "orchestrator",
                365,
                MEMORIES[7][6],
                MEMORIES[7][6] + dt.timedelta(days=365),
            ),
            (
                "user",
                "+15550142001",
                "fact",
                rows["memories"][1][3],
                {"policy": "auto"},
                "orchestrator",
                365,
                MEMORIES[4][6],
                MEMORIES[4][6] + dt.timedelta(days=365),
            ),
            (
                "user",
                "+15550142001",
                "person",
                "name",
                {"value": "Dana Whitfield"},
                "orchestrator",
                365,
                MEMORIES[3][6],
                MEMORIES[3][6] + dt.timedelta(days=365),
            ),
            (
                "user",
                "+15550142001",
                "thread_recap",
                "thread_history:t1",
                newest[4],
                "orchestrator",
                7,
                newest[6],
                newest[6] + dt.timedelta(days=7),
            ),
            (
                "user",
                "+15550142002",
                "fact",
                "forever",
                {"v": 1},
                "orchestrator",
                3650,
                MEMORIES[9][6],
                MEMORIES[9][6] + dt.timedelta(days=3650),
            ),
            (
                "user",
                "+15550142002",
                "preference",
                "contact_time",
                {"value": "mornings"},
                "orchestrator",
                730,
                MEMORIES[6][6],
                MEMORIES[6][6] + dt.timedelta(days=730),
            ),
            (
                "user",
                "unknown",
                "fact",
                "note",
                {"a": 1},
                "orchestrator",
                365,
                MEMORIES[8][6],
                MEMORIES[8][6] + dt.timedelta(days=365),
            ),
        ],
        key=lambda m: (m[0], m[1], m[2], m[3]),
    )
    assert rows["memories"] == expected_memories
    assert rows["memories"][1][3].startswith("legacy:")  # the key-less memory
    # Every imported memory is embedded by the import itself (the legacy vectors were random).
    assert "embedded" not in dry
    assert report["embedded"] == 7
    embedder = load_embedder()
    embedded = await memory_embeddings(database.owner_url, customer_id)
    assert len(embedded) == 7
    for kind, key, value, vector in embedded:
        assert vector is not None, key
        assert np.allclose(vector, embedder.embed_memory(kind, key, value), atol=1e-6), key
    assert rows["settings"] == {
        "returning_caller_greeting": "Welcome back {user_name}",
        "voice": "alloy",  # the newer of two copies
        "transfer_rules": [
            {"when": "claims", "target": "claims desk", "phone_number": "+15550109999"}
        ],
        "prompt_blocks": [{"name": "identity", "text": "You are {agent_name}."}],
        "some_flag": True,
    }
    assert rows["agent_name"] == "Sam"
    assert rows["summaries"] == [
        (
            "CA1",
            "+15550142001",
            utc("2025-10-20T14:30:00"),
            utc("2025-10-20T14:32:00"),
            120,
            "Asked for a quote.",
            '["auto", "quote"]',
            "positive",
        ),
        (
            "CA2",
            "+15550142001",
            utc("2025-10-25T09:00:00"),
            None,
            None,
            "Upset about a bill.",
            "[]",
            "negative",
        ),
    ]
    assert rows["profiles"] == [
        (
            "+15550142001",
            utc("2025-09-01T00:00:00"),
            utc("2025-10-25T00:00:00"),
            2,
            "Dana",
            {"lang": "en", "legacy_context": {"note": "x"}},
        ),
    ]
    assert rows["metrics"] == [("+15550142001", "CA1", 10.0, 22.0)]
    assert rows["averages"] == [("+15550142001", 1, 20.0, 32.0)]

    # Twice: nothing changes.
    code, out, err = await admin(*args, **owner)
    assert code == 0, err
    second = json.loads(out)
    again = second["tables"]
    assert all(t["imported"] == 0 for t in again.values()), again
    assert again["memories"]["already_present"] == 7
    assert second["embedded"] == 0
    assert await alice_rows(database.owner_url, customer_id) == rows
    assert await memory_embeddings(database.owner_url, customer_id) == embedded


async def test_import_legacy_with_customer_id_columns_takes_only_that_customer(
    database, legacy_database, secret
):
    legacy_url = await legacy_database(with_customer_id=True)
    customer_id = await create_customer(database.owner_url, "Peterson Family Insurance")
    owner = {"ALICE_ADMIN_DATABASE_URL": database.owner_url, "JWT_SECRET_KEY": secret}
    code, out, err = await admin(
        "import-legacy",
        "--legacy-url",
        legacy_url,
        "--customer-id",
        str(customer_id),
        "--legacy-customer-id",
        "1",
        **owner,
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["legacy_has_customer_id"]["memories"] is True
    assert report["tables"]["memories"]["read"] == 10  # not the other customer's 10
    rows = await alice_rows(database.owner_url, customer_id)
    assert not any("other" in m[1] for m in rows["memories"])
    assert [s[0] for s in rows["summaries"]] == ["CA1", "CA2"]


async def test_import_legacy_refuses_a_missing_customer_and_a_bad_url(
    database, legacy_database, secret
):
    owner = {"ALICE_ADMIN_DATABASE_URL": database.owner_url, "JWT_SECRET_KEY": secret}
    code, _, err = await admin(
        "import-legacy", "--legacy-url", "postgresql://nobody@127.0.0.1:1/none", **owner
    )
    assert code == 2 and "legacy database" in err
    legacy_url = await legacy_database(with_customer_id=False)
    code, _, err = await admin(
        "import-legacy", "--legacy-url", legacy_url, "--customer-id", "987654321", **owner
    )
    assert code == 2 and "create it first" in err


async def test_import_legacy_refuses_tables_of_another_shape_naming_the_missing_columns(
    database, legacy_database, secret
):
    """A legacy database built from hints (`key` for `k`, `first_call` for
    `first_call_date`) used to "import" wrong data silently."""
    customer_id = await create_customer(database.owner_url, "Peterson Family Insurance")
    owner = {"ALICE_ADMIN_DATABASE_URL": database.owner_url, "JWT_SECRET_KEY": secret}
    legacy_url = await legacy_database(
        with_customer_id=False,
        then="ALTER TABLE memories RENAME COLUMN k TO key; "
        "ALTER TABLE caller_profiles RENAME COLUMN first_call_date TO first_call; "
        "ALTER TABLE caller_profiles RENAME COLUMN last_call_date TO last_call; "
        "ALTER TABLE call_summaries ALTER COLUMN call_date TYPE text",
    )
    args = ("import-legacy", "--legacy-url", legacy_url, "--customer-id", str(customer_id))
    for dry_run in (("--dry-run",), ()):
        code, out, err = await admin(*args, *dry_run, **owner)
        assert code == 2 and out == ""
        line = one_line(err)
        assert "memories lacks k (it has key)" in line
        assert (
            "caller_profiles lacks first_call_date, last_call_date (it has first_call, last_call)"
            in line
        )
        assert "call_summaries.call_date is text, not a timestamp" in line
        assert "nothing was imported" in line
    assert (await alice_rows(database.owner_url, customer_id))["memories"] == []


async def test_import_legacy_refuses_a_database_without_any_legacy_table(
    database, superuser_url, secret
):
    customer_id = await create_customer(database.owner_url, "Peterson Family Insurance")
    owner = {"ALICE_ADMIN_DATABASE_URL": database.owner_url, "JWT_SECRET_KEY": secret}
    # The test database itself: Alice's tables, none of the legacy ones but `memories`...
    code, _, err = await admin(
        "import-legacy",
        "--legacy-url",
        database.owner_url,
        "--customer-id",
        str(customer_id),
        **owner,
    )
    assert code == 2 and "memories lacks k, value_json" in one_line(err)
    # ... and a database with no table at all.
    name = f"legacy_empty_{uuid.uuid4().hex[:8]}"
    server = await asyncpg.connect(libpq_url(superuser_url))
    try:
        await server.execute(f'CREATE DATABASE "{name}"')
        empty = libpq_url(with_database(superuser_url, name))
        code, _, err = await admin(
            "import-legacy", "--legacy-url", empty, "--customer-id", str(customer_id), **owner
        )
        assert code == 2 and "is --legacy-url the ai-memory database?" in one_line(err)
    finally:
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await server.close()
