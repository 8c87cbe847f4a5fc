"""Tenant isolation: the service's login role and row-level security.

* `alice_current_customer_id()` reads the transaction-local setting
  `alice.customer_id`; unset or empty gives NULL, so a policy comparing with it
  yields no rows (fail closed).
* The five tenant tables get ENABLE and FORCE ROW LEVEL SECURITY (FORCE: the
  owner is bound too) and one policy for reads and writes.
* customers gets RLS without FORCE: the service role sees only the row of its
  current tenant; the owner (alice-admin) manages all of them.
* The service role (ALICE_DB_APP_ROLE, default alice_app) logs in, owns
  nothing, is not a superuser and has no BYPASSRLS. It may read and write the
  tenant tables, read customers and alembic_version, nothing else.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import context, op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "memories",
    "call_summaries",
    "caller_profiles",
    "personality_metrics",
    "personality_averages",
)
TENANT_MATCH = "customer_id = (SELECT alice_current_customer_id())"


def _role() -> str:
    role = str(context.config.attributes["app_role"])
    return op.get_bind().dialect.identifier_preparer.quote(role)


def upgrade() -> None:
    role = _role()
    op.execute(
        """
        CREATE FUNCTION alice_current_customer_id() RETURNS bigint
        LANGUAGE sql STABLE PARALLEL SAFE
        AS $$ SELECT NULLIF(current_setting('alice.customer_id', true), '')::bigint $$
        """
    )
    for table in TENANT_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING ({TENANT_MATCH}) WITH CHECK ({TENANT_MATCH})"
        )
    op.execute("ALTER TABLE customers ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY current_tenant_only ON customers FOR SELECT "
        "USING (id = (SELECT alice_current_customer_id()))"
    )

    # The role is cluster-wide and may exist already (another database of the
    # same cluster, created beforehand by an administrator because the owner
    # lacks CREATEROLE, or a concurrent migration): create it only if missing.
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {role!r}) THEN
                CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE
                    NOREPLICATION;
            END IF;
        EXCEPTION WHEN duplicate_object THEN
            RAISE NOTICE 'role % exists already', {role!r};
        END
        $$
        """
    )
    op.execute(
        f"DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO {role}', "
        "current_database()); END $$"
    )
    op.execute(f"GRANT USAGE ON SCHEMA {_schema()} TO {role}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(TENANT_TABLES)} TO {role}")
    op.execute(f"GRANT SELECT ON customers, alembic_version TO {role}")


def downgrade() -> None:
    role = _role()
    op.execute(f"REVOKE ALL ON {', '.join(TENANT_TABLES)}, customers, alembic_version FROM {role}")
    op.execute(f"REVOKE ALL ON SCHEMA {_schema()} FROM {role}")
    op.execute(
        f"DO $$ BEGIN EXECUTE format('REVOKE ALL ON DATABASE %I FROM {role}', "
        "current_database()); END $$"
    )
    # Dropped only when no other database of the cluster still uses it.
    op.execute(
        f"""
        DO $$
        BEGIN
            DROP ROLE IF EXISTS {role};
        EXCEPTION WHEN dependent_objects_still_exist THEN
            RAISE NOTICE 'role % is still used elsewhere; kept', {role!r};
        END
        $$
        """
    )
    op.execute("DROP POLICY current_tenant_only ON customers")
    op.execute("ALTER TABLE customers DISABLE ROW LEVEL SECURITY")
    for table in TENANT_TABLES:
        op.execute(f"DROP POLICY tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP FUNCTION alice_current_customer_id()")


def _schema() -> str:
    return str(op.get_bind().exec_driver_sql("SELECT quote_ident(current_schema())").scalar_one())
