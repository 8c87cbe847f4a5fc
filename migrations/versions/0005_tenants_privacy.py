"""Tenant lifecycle and privacy: customer profile columns, tenant settings,
the audit log, and the platform-admin role.

* customers gains voice, time_zone and rate_limit_per_second (NULL: the
  server default); its Twilio number must be E.164 (it is unique already,
  and that unique index is the call-start lookup).
* tenant_settings: one row per (customer, setting name); row-level security
  enabled and forced, like every tenant table.
* audit_log: who exported or erased what, when, how many rows; never
  content. No foreign key to customers, so erasing a customer keeps its
  records. The service role may read its tenant's records and add new ones,
  never change or delete one.
* alice_customer_ids(): SECURITY DEFINER, the customer ids only, for the
  service role's expiry task (row-level security hides customers from it).
* The platform role (`<app_role>_platform`, default alice_app_platform) logs
  in, owns nothing, is not a superuser and has no BYPASSRLS. It manages
  customers (its own policy on customers), reads every audit record, and
  reads or erases tenant rows only inside a transaction that names the
  tenant (the same policies as the service role).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_MATCH = "customer_id = (SELECT alice_current_customer_id())"
# Frozen copy of the tenant tables this revision knows (later revisions grant their own).
TENANT_TABLES = (
    "memories",
    "call_summaries",
    "caller_profiles",
    "personality_metrics",
    "personality_averages",
    "memory_history",  # 0004
)
E164 = r"^\+[1-9][0-9]{6,14}$"


def _quote(name: str) -> str:
    return op.get_bind().dialect.identifier_preparer.quote(name)


def platform_role_name(app_role: str) -> str:
    return f"{app_role}_platform"


def _roles() -> tuple[str, str]:
    app_role = str(context.config.attributes["app_role"])
    platform = platform_role_name(app_role)
    if len(platform) > 63:
        raise RuntimeError(f"the platform role name {platform!r} is longer than 63 characters")
    return _quote(app_role), _quote(platform)


def _schema() -> str:
    return str(op.get_bind().exec_driver_sql("SELECT quote_ident(current_schema())").scalar_one())


def upgrade() -> None:
    app, platform = _roles()
    platform_name = platform_role_name(str(context.config.attributes["app_role"]))
    op.add_column("customers", sa.Column("voice", sa.Text(), server_default="", nullable=False))
    op.add_column(
        "customers", sa.Column("time_zone", sa.Text(), server_default="UTC", nullable=False)
    )
    op.add_column("customers", sa.Column("rate_limit_per_second", sa.Double(), nullable=True))
    op.create_check_constraint(
        op.f("ck_customers_rate_limit_positive"), "customers", "rate_limit_per_second > 0"
    )
    op.create_check_constraint(
        op.f("ck_customers_twilio_e164"), "customers", f"twilio_phone_number ~ '{E164}'"
    )

    op.create_table(
        "tenant_settings",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("name ~ '^[a-z][a-z0-9_]{0,63}$'", name=op.f("ck_tenant_settings_name")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_tenant_settings_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "name", name=op.f("pk_tenant_settings")),
    )
    op.create_table(
        "audit_log",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "counts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "action IN ('export_user_data', 'delete_user_data', 'export_customer_data', "
            "'delete_customer_data', 'restore_customer_data')",
            name=op.f("ck_audit_log_action"),
        ),
        sa.PrimaryKeyConstraint("customer_id", "id", name=op.f("pk_audit_log")),
    )
    op.execute(
        "CREATE INDEX ix_audit_log_customer_id_created_at "
        "ON audit_log (customer_id, created_at DESC, id DESC)"
    )
    op.execute("CREATE INDEX ix_audit_log_created_at ON audit_log (created_at DESC, id DESC)")

    # Row-level security, as strict as 0002's: enabled and forced.
    op.execute("ALTER TABLE tenant_settings ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE tenant_settings FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON tenant_settings "
        f"USING ({TENANT_MATCH}) WITH CHECK ({TENANT_MATCH})"
    )
    op.execute("ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE audit_log FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_read ON audit_log FOR SELECT USING ({TENANT_MATCH})")
    op.execute(f"CREATE POLICY tenant_append ON audit_log FOR INSERT WITH CHECK ({TENANT_MATCH})")

    op.execute(
        f"""
        DO $$
        BEGIN
            -- Created beforehand by an administrator when the owner may not create
            -- roles (a managed database's usual owner).
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {platform_name!r}) THEN
                CREATE ROLE {platform} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE
                    NOREPLICATION;
            END IF;
        END
        $$
        """
    )
    op.execute(
        f"CREATE POLICY platform_manage ON customers TO {platform} USING (true) WITH CHECK (true)"
    )
    op.execute(f"CREATE POLICY platform_read ON audit_log FOR SELECT TO {platform} USING (true)")
    op.execute(
        f"CREATE POLICY platform_append ON audit_log FOR INSERT TO {platform} WITH CHECK (true)"
    )

    op.execute(
        f"DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO {platform}', "
        "current_database()); END $$"
    )
    op.execute(f"GRANT USAGE ON SCHEMA {_schema()} TO {platform}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_settings TO {app}")
    op.execute(f"GRANT SELECT, INSERT ON audit_log TO {app}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON customers TO {platform}")
    # CreateCustomer draws the next id itself (an import may choose one instead).
    op.execute(
        "DO $$ BEGIN EXECUTE format('GRANT USAGE ON SEQUENCE %s TO "
        f"{platform}', pg_get_serial_sequence('customers', 'id')); END $$"
    )
    op.execute(f"GRANT SELECT, DELETE ON {', '.join(TENANT_TABLES)}, tenant_settings TO {platform}")
    # Erasing memories records their history (0004's trigger) before it is erased too.
    op.execute(f"GRANT INSERT ON memory_history TO {platform}")
    op.execute(f"GRANT SELECT, INSERT ON audit_log TO {platform}")
    op.execute(f"GRANT SELECT ON alembic_version TO {platform}")

    # The expiry task (service role) goes tenant by tenant; row-level security on
    # customers hides the list from it, so this function returns the ids, nothing else.
    op.execute(
        f"""
        CREATE FUNCTION alice_customer_ids() RETURNS SETOF bigint
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {_schema()}, pg_temp
        AS $$ SELECT id FROM customers ORDER BY id $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION alice_customer_ids() FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION alice_customer_ids() TO {app}")


def downgrade() -> None:
    _, platform = _roles()
    op.execute("DROP FUNCTION alice_customer_ids()")
    op.execute(
        f"REVOKE ALL ON customers, {', '.join(TENANT_TABLES)}, tenant_settings, audit_log, "
        f"alembic_version FROM {platform}"
    )
    op.execute(
        "DO $$ BEGIN EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM "
        f"{platform}', pg_get_serial_sequence('customers', 'id')); END $$"
    )
    op.execute(f"REVOKE ALL ON SCHEMA {_schema()} FROM {platform}")
    op.execute(
        f"DO $$ BEGIN EXECUTE format('REVOKE ALL ON DATABASE %I FROM {platform}', "
        "current_database()); END $$"
    )
    op.execute("DROP POLICY platform_manage ON customers")
    op.drop_table("audit_log")
    op.drop_table("tenant_settings")
    op.execute(
        f"""
        DO $$
        BEGIN
            DROP ROLE IF EXISTS {platform};
        EXCEPTION WHEN dependent_objects_still_exist THEN
            RAISE NOTICE 'role % is still used elsewhere; kept', {platform!r};
        END
        $$
        """
    )
    op.drop_constraint(op.f("ck_customers_twilio_e164"), "customers", type_="check")
    op.drop_constraint(op.f("ck_customers_rate_limit_positive"), "customers", type_="check")
    op.drop_column("customers", "rate_limit_per_second")
    op.drop_column("customers", "time_zone")
    op.drop_column("customers", "voice")
