"""Storage: the only code that talks to PostgreSQL.

* `database.Database`: the asyncpg pool, `tenant(customer_id)` and `admin()`
  units of work, the start-up safety check (`verify`).
* `unit_of_work`: `TenantUnitOfWork` / `AdminUnitOfWork`, the repositories of one
  transaction (never its connection), and `set_tenant_sql`, the one place that
  sets the tenant.
* `repositories/`: every SQL statement, returning the domain's dataclasses.
* `data_tables`: the one list of the tables holding a tenant's data.
* `errors`: driver exceptions translated into domain errors, in one place.
* `models`: the schema as SQLAlchemy metadata, for alembic and the migrations
  test only (nothing at run time uses it).
* `migrate`: running the alembic migrations from code.

See docs/ARCHITECTURE.md.
"""
