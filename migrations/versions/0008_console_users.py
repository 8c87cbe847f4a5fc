"""The web console's users, and per-tenant RPC counts for its usage charts.

* console_users: the people who log in to alice-console. An operator has no
  customer_id; a tenant admin has exactly one (foreign key, ON DELETE
  CASCADE: erasing a customer removes its admins, and storage.data_tables
  lists the table so the erasure counts them). The password hash is argon2id,
  computed by the console; Alice stores it opaque. Like customers (0002), the
  table has row-level security without FORCE: the schema owner (alice-admin)
  manages it, the platform role through its own policy, the service role not
  at all (no grant). `tenant_isolation` lets a tenant-bound transaction (a
  customer's export, erasure, restore) reach that customer's admins.
* tenant_usage: RPCs served and failed per customer and hour, added up by
  every server process (an additive upsert). A tenant table (RLS enabled and
  forced). The service role writes it only through
  alice_add_tenant_usage(), SECURITY DEFINER, which adds counts and can read
  nothing; the platform role reads it (GetTenantUsage) and erases it with
  the customer.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_MATCH = "customer_id = (SELECT alice_current_customer_id())"
LOGIN = r"^[a-z0-9][a-z0-9._@-]{1,62}$"
ARGON2ID = r"^\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$"


def _quote(name: str) -> str:
    return op.get_bind().dialect.identifier_preparer.quote(name)


def _schema() -> str:
    return str(op.get_bind().exec_driver_sql("SELECT quote_ident(current_schema())").scalar_one())


def _platform_grant(statement: str) -> None:
    """Run `statement` (with {role} for the platform role) if that role exists."""
    platform = f"{context.config.attributes['app_role']}_platform"
    literal = platform.replace("'", "''")
    op.execute(
        f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{literal}') THEN "
        f"{statement.format(role=_quote(platform))}; END IF; END $$"
    )


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    app = _quote(str(context.config.attributes["app_role"]))
    op.create_table(
        "console_users",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("login", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("disabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(f"login ~ '{LOGIN}'", name="ck_console_users_login"),
        sa.CheckConstraint(f"password_hash ~ '{ARGON2ID}'", name="ck_console_users_password_hash"),
        sa.CheckConstraint(
            "(role = 'operator' AND customer_id IS NULL) OR "
            "(role = 'tenant_admin' AND customer_id IS NOT NULL)",
            name="ck_console_users_role",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_console_users_customer_id_customers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_console_users"),
        sa.UniqueConstraint("login", name="uq_console_users_login"),
    )
    op.create_index("ix_console_users_customer_id", "console_users", ["customer_id"])
    op.execute("ALTER TABLE console_users ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON console_users USING ({TENANT_MATCH})")
    _platform_grant(
        "CREATE POLICY platform_manage ON console_users TO {role} USING (true) WITH CHECK (true)"
    )
    _platform_grant("GRANT SELECT, INSERT, UPDATE, DELETE ON console_users TO {role}")

    op.create_table(
        "tenant_usage",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rpc_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("error_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("rpc_count >= 0 AND error_count >= 0", name="ck_tenant_usage_counts"),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_tenant_usage_customer_id_customers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "hour", name="pk_tenant_usage"),
    )
    op.execute("ALTER TABLE tenant_usage ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE tenant_usage FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON tenant_usage "
        f"USING ({TENANT_MATCH}) WITH CHECK ({TENANT_MATCH})"
    )
    _platform_grant("GRANT SELECT, DELETE ON tenant_usage TO {role}")
    # One statement adds a flush of every tenant's counts; customers erased
    # meanwhile are skipped. Owned by the schema owner, so row-level security
    # does not apply inside; it takes counts and returns nothing.
    op.execute(
        f"""
        CREATE FUNCTION alice_add_tenant_usage(
            customer_ids bigint[], hours timestamptz[], rpcs bigint[], errors bigint[]
        ) RETURNS void
        LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = {_schema()}, pg_temp
        AS $$
            INSERT INTO tenant_usage AS u (customer_id, hour, rpc_count, error_count)
            SELECT c.customer_id, date_trunc('hour', c.hour), sum(c.rpcs), sum(c.errors)
            FROM unnest(customer_ids, hours, rpcs, errors) AS c(customer_id, hour, rpcs, errors)
            WHERE EXISTS (SELECT 1 FROM customers WHERE id = c.customer_id)
              AND c.rpcs >= 0 AND c.errors >= 0
            GROUP BY 1, 2
            ON CONFLICT (customer_id, hour) DO UPDATE
            SET rpc_count = u.rpc_count + EXCLUDED.rpc_count,
                error_count = u.error_count + EXCLUDED.error_count
        $$
        """
    )
    op.execute(
        "REVOKE ALL ON FUNCTION alice_add_tenant_usage(bigint[], timestamptz[], bigint[], "
        "bigint[]) FROM PUBLIC"
    )
    op.execute(
        "GRANT EXECUTE ON FUNCTION alice_add_tenant_usage(bigint[], timestamptz[], bigint[], "
        f"bigint[]) TO {app}"
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION alice_add_tenant_usage(bigint[], timestamptz[], bigint[], bigint[])")
    _platform_grant("REVOKE ALL ON tenant_usage, console_users FROM {role}")
    op.drop_table("tenant_usage")
    op.drop_table("console_users")
