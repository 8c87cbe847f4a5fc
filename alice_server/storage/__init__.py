"""Storage: the only code that talks to PostgreSQL.

* `database.Database`: the asyncpg pool, `tenant(customer_id)` and `admin()`
  units of work, the start-up safety check (`verify`).
* `unit_of_work`: `TenantUnitOfWork` / `AdminUnitOfWork`, the repositories of one
  transaction.
* `repositories/`: every SQL statement, returning the domain's dataclasses.
* `errors`: driver exceptions translated into domain errors, in one place.
* `models`: the schema as SQLAlchemy metadata, for alembic and the migrations
  test only (nothing at run time uses it).
* `migrate`: running the alembic migrations from code.

See docs/ARCHITECTURE.md.
"""
