"""The Citus path, checked on the catalog after the last migration (issue 17, item 4).

Citus cannot be installed here, so these tests check the rules a table needs to
be distributed by `customer_id` (`create_distributed_table('<t>', 'customer_id')`,
co-located) without redesign, on the real schema the migrations build:

* every tenant table's primary key, unique constraints and unique indexes include
  customer_id (Citus enforces uniqueness only within a shard);
* every foreign key between distributed tables includes customer_id on both sides
  (co-located joins); a distributed table may refer to a reference table
  (`customers`), never the reverse;
* a sequence-generated key of a distributed table is bigint (Citus gives each node
  its own range of a bigint sequence) and only ever part of a key with customer_id;
* every row-level security policy the service role meets compares customer_id with
  the one transaction-local tenant, and the call-start functions read each tenant
  table only with `customer_id = p_customer_id` (so they can be distributed with
  `create_distributed_function(..., '$1', colocate_with := 'memories')` and run on
  the node that holds the tenant).

The exceptions, and why (docs/SCALING.md):

* `customers`: the tenant directory itself, a *reference table* (one copy on every
  node); its identity key generates the customer ids.
* `console_users`: operators belong to no customer (customer_id NULL), so it is a
  platform table like customers: a reference table with its own identity `id` and
  a unique `login` across the platform. It is in storage/data_tables.py only so that
  a customer's export and erasure include its admins.
* `alembic_version`: the coordinator's own.

Every other table of the schema must be classified here: a new table fails the test
until someone decides how it is distributed.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import asyncpg
import pytest_asyncio

from alice_server.storage.data_tables import AUDIT_TABLE, TENANT_DATA_TABLES
from alice_server.testing import TestDatabase

REFERENCE_TABLES = {"customers", "console_users"}
LOCAL_TABLES = {"alembic_version"}
DISTRIBUTED_TABLES = {t.name for t in TENANT_DATA_TABLES} - REFERENCE_TABLES | {AUDIT_TABLE}
# The functions that set the tenant themselves (one round trip), with how many
# tenant tables each reads at least.
CALL_START_FUNCTIONS = {
    "alice_call_start_context": 5,
    "alice_call_start_search": 5,
    "alice_search_memories": 1,
}
CURRENT = "( SELECT alice_current_customer_id() AS alice_current_customer_id)"
TENANT_PREDICATE = f"(customer_id = {CURRENT})"
# customers' own policy for the service role: the tenant's own row.
CUSTOMER_PREDICATE = f"(id = {CURRENT})"


@pytest_asyncio.fixture
async def catalog(database: TestDatabase) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database.owner_url)
    try:
        yield connection
    finally:
        await connection.close()


async def _tables(catalog: asyncpg.Connection) -> set[str]:
    rows = await catalog.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
    )
    return {r["relname"] for r in rows}


async def test_every_table_is_classified(catalog):
    tables = await _tables(catalog)
    assert tables == DISTRIBUTED_TABLES | REFERENCE_TABLES | LOCAL_TABLES


async def test_distributed_tables_have_a_not_null_bigint_customer_id(catalog):
    rows = await catalog.fetch(
        "SELECT c.relname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull "
        "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "WHERE c.relname = ANY($1::text[]) AND a.attname = 'customer_id' AND NOT a.attisdropped",
        sorted(DISTRIBUTED_TABLES),
    )
    assert {r["relname"]: (r["type"], r["attnotnull"]) for r in rows} == {
        name: ("bigint", True) for name in DISTRIBUTED_TABLES
    }


async def test_every_key_and_unique_index_of_a_distributed_table_includes_customer_id(catalog):
    rows = await catalog.fetch(
        "SELECT c.relname, i.indexrelid::regclass::text AS index, i.indisprimary, "
        "       array_agg(a.attname::text) AS columns "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey) "
        "WHERE c.relname = ANY($1::text[]) AND i.indisunique "
        "GROUP BY 1, 2, 3",
        sorted(DISTRIBUTED_TABLES),
    )
    without = [(r["relname"], r["index"]) for r in rows if "customer_id" not in r["columns"]]
    assert without == []
    # Every distributed table has a primary key (Citus needs one for replication
    # and for rebalancing shards with logical replication).
    assert {r["relname"] for r in rows if r["indisprimary"]} == DISTRIBUTED_TABLES


async def test_foreign_keys_are_co_located_or_point_at_reference_tables(catalog):
    rows = await catalog.fetch(
        "SELECT con.conname, src.relname AS source, dst.relname AS target, "
        "       ARRAY(SELECT attname::text FROM pg_attribute "
        "             WHERE attrelid = con.conrelid AND attnum = ANY(con.conkey)) AS columns, "
        "       ARRAY(SELECT attname::text FROM pg_attribute "
        "             WHERE attrelid = con.confrelid AND attnum = ANY(con.confkey)) AS targets "
        "FROM pg_constraint con JOIN pg_class src ON src.oid = con.conrelid "
        "JOIN pg_class dst ON dst.oid = con.confrelid "
        "JOIN pg_namespace n ON n.oid = src.relnamespace "
        "WHERE con.contype = 'f' AND n.nspname = 'public'"
    )
    problems = []
    for row in rows:
        source, target = row["source"], row["target"]
        if source in REFERENCE_TABLES and target in DISTRIBUTED_TABLES:
            problems.append(f"{row['conname']}: a reference table refers to a distributed one")
        elif source in DISTRIBUTED_TABLES and target in DISTRIBUTED_TABLES:
            if "customer_id" not in row["columns"] or "customer_id" not in row["targets"]:
                problems.append(f"{row['conname']}: not co-located by customer_id")
        elif target in REFERENCE_TABLES:
            continue  # distributed -> reference, or reference -> reference: fine
        elif source not in REFERENCE_TABLES | DISTRIBUTED_TABLES:
            problems.append(f"{row['conname']}: {source} is not classified")
    assert problems == []
    assert len(rows) > 10  # the query saw the schema's keys


async def test_sequence_generated_keys_are_bigint_and_never_a_key_alone(catalog):
    rows = await catalog.fetch(
        "SELECT c.relname, a.attname::text, format_type(a.atttypid, a.atttypmod) AS type, "
        "       ARRAY(SELECT ARRAY(SELECT attname::text FROM pg_attribute "
        "                          WHERE attrelid = i.indrelid AND attnum = ANY(i.indkey))::text "
        "             FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique "
        "               AND a.attnum = ANY(i.indkey)) AS keys "
        "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 "
        "  AND (a.attidentity <> '' OR pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%')"
    )
    generated = {(r["relname"], r["attname"]) for r in rows}
    # The ones there are today: a new one is looked at when it comes.
    assert generated == {
        ("customers", "id"),
        ("console_users", "id"),
        ("call_summaries", "id"),
        ("personality_metrics", "id"),
        ("memory_history", "id"),
        (AUDIT_TABLE, "id"),
    }
    for row in rows:
        if row["relname"] in REFERENCE_TABLES:
            continue  # generated on the coordinator, one copy everywhere
        assert row["type"] == "bigint", row
        # Unique only together with customer_id: one sequence serving every tenant
        # (or one range per node) never makes two tenants' rows collide, and
        # nothing looks a row up by this id alone.
        assert row["keys"], row
        assert all("customer_id" in key for key in row["keys"]), row


async def test_every_policy_the_service_role_meets_names_one_customer(catalog):
    rows = await catalog.fetch(
        "SELECT tablename::text, policyname::text, roles::text[] AS roles, qual, with_check "
        "FROM pg_policies WHERE schemaname = 'public'"
    )
    platform_only = []
    for row in rows:
        clauses = [c for c in (row["qual"], row["with_check"]) if c is not None]
        if all(c == TENANT_PREDICATE for c in clauses):
            continue
        if row["tablename"] == "customers" and clauses == [CUSTOMER_PREDICATE]:
            continue
        platform_only.append((row["tablename"], row["policyname"], row["roles"]))
    # Policies that span customers are the platform role's, on the platform's tables
    # and the audit log (ListAuditRecords of every customer: a multi-shard query).
    assert platform_only, "the platform policies exist"
    for table, policy, roles in platform_only:
        assert table in REFERENCE_TABLES | {AUDIT_TABLE}, (table, policy)
        assert len(roles) == 1 and roles[0].endswith("_platform"), (table, policy, roles)
    # Row-level security is on for every distributed table.
    secured = await catalog.fetch(
        "SELECT relname FROM pg_class WHERE relname = ANY($1::text[]) AND relrowsecurity",
        sorted(DISTRIBUTED_TABLES),
    )
    assert {r["relname"] for r in secured} == DISTRIBUTED_TABLES


async def test_the_functions_that_set_the_tenant_read_one_customer(catalog):
    tenant_tables = "|".join(sorted(DISTRIBUTED_TABLES))
    reference = re.compile(rf"\b(?:FROM|JOIN)\s+({tenant_tables}|customers)\b", re.I)
    for name, tables in CALL_START_FUNCTIONS.items():
        source = await catalog.fetchval(
            "SELECT prosrc FROM pg_proc "
            "WHERE proname = $1 AND pronamespace = 'public'::regnamespace",
            name,
        )
        assert source, name
        # The tenant it sets is its first argument, and nothing else sets one.
        assert re.findall(r"set_config\('alice\.customer_id',\s*([^,]+),", source) == [
            "p_customer_id::text"
        ]
        found = list(reference.finditer(source))
        assert len(found) >= tables, name
        for match in found:
            table = match.group(1)
            # The first WHERE or ON after the table names its customer.
            rest = source[match.end() :]
            clause = re.search(r"\b(WHERE|ON)\b(.{0,120})", rest, re.S)
            assert clause, (name, table)
            column = "id" if table == "customers" else "customer_id"
            assert re.search(rf"\b{column}\s*=\s*p_customer_id\b", clause.group(2)), (
                name,
                table,
                clause.group(2),
            )
        # No other customer is named: every customer_id the function mentions is
        # compared with p_customer_id (or is the setting's name).
        for mention in re.finditer(r"(?<!p_)customer_id\b(.{0,20})", source):
            assert re.match(r"\s*=\s*p_customer_id\b|',", mention.group(1)), (name, mention)
