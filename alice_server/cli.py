"""Console scripts: `alice-server` runs the service, `alice-admin` manages it."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import signal
import sys
from collections.abc import Sequence
from typing import Any

from alice_server import logs
from alice_server.auth import SCOPE_READ, SCOPE_WRITE, mint_token
from alice_server.config import ConfigError, Settings
from alice_server.domain import customers
from alice_server.domain.errors import AliceError, Unavailable
from alice_server.domain.identity import UserIdNormalizer
from alice_server.runtime import Runtime, jwt_secret, open_runtime
from alice_server.services import admin
from alice_server.storage import migrate
from alice_server.storage.database import (
    Database,
    PoolOptions,
    SchemaOutOfDate,
    UnsafeDatabaseRole,
)
from alice_server.tools import backfill_embeddings

logger = logging.getLogger("alice.cli")


def _fail(program: str, message: str, code: int = 2) -> int:
    print(f"{program}: {message}", file=sys.stderr)
    return code


# --------------------------------------------------------------------------- alice-server


def server_main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="alice-server",
        description="Run Alice. Settings come from the environment (see README.md); without "
        "DATABASE_URL an embedded PostgreSQL in ALICE_DATA_DIR is used.",
    )
    parser.add_argument("--listen", help="host:port to listen on (overrides ALICE_LISTEN_ADDRESS)")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.listen:
            settings = dataclasses.replace(settings, listen_address=args.listen)
            settings.validate()
    except ConfigError as exc:
        return _fail("alice-server", str(exc))
    logs.configure(settings.log_level)
    try:
        secret = jwt_secret(settings)
        asyncio.run(serve(settings, secret))
    except ConfigError as exc:
        return _fail("alice-server", str(exc))
    except (UnsafeDatabaseRole, SchemaOutOfDate, OSError) as exc:
        return _fail("alice-server", str(exc), 1)
    except AliceError as exc:  # the database refused or could not be reached
        reason = f"{type(exc.__cause__ or exc).__name__}: {exc.__cause__ or exc.message}"
        return _fail("alice-server", f"cannot use the database: {reason}", 1)
    return 0


async def serve(settings: Settings, secret: str) -> None:
    """Run until SIGINT or SIGTERM, then stop gracefully."""
    from alice_server.server import AliceServer

    runtime = await asyncio.to_thread(open_runtime, settings)
    try:
        app_url = runtime.require_app_url()
    except ConfigError:
        await asyncio.to_thread(runtime.close)
        raise
    database = Database(app_url, PoolOptions.from_settings(settings))
    try:
        await database.verify()
        server = AliceServer(settings, database, secret)
        await server.start()
        host = settings.listen_address.rsplit(":", 1)[0]
        where = f"embedded database in {settings.data_dir}" if settings.embedded else "DATABASE_URL"
        logger.info("Alice listening on %s:%d (%s)", host, server.port, where)
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        await stopping.wait()
        logger.info(
            "stopping: letting running calls finish (up to %.0fs)",
            settings.shutdown_grace_seconds,
        )
        await server.stop()
    finally:
        await database.close()
        await asyncio.to_thread(runtime.close)


# --------------------------------------------------------------------------- alice-admin


def admin_main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="alice-admin",
        description="Manage Alice: migrations, customers (tenants) and tokens. Uses the same "
        "settings as alice-server; database commands need ALICE_ADMIN_DATABASE_URL (the schema "
        "owner) unless the embedded default database is in use.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub = commands.add_parser("migrate", help="upgrade the schema (default: to the newest)")
    sub.add_argument("--revision", default="head")
    sub = commands.add_parser("downgrade", help="downgrade the schema to REVISION ('base': all)")
    sub.add_argument("revision")

    sub = commands.add_parser("create-customer", help="add a customer; prints it as JSON")
    sub.add_argument("--name", required=True, help="business name")
    sub.add_argument("--agent-name", default="", help="the voice agent's name for this customer")
    sub.add_argument("--greeting", default="", help="greeting template")
    sub.add_argument("--phone", help="the customer's telephony number (normalised to E.164)")
    sub.add_argument("--id", type=int, help="explicit id (for imports); default: next free id")
    commands.add_parser("list-customers", help="print all customers as JSON lines")
    for name, text in (
        ("suspend-customer", "suspend"),
        ("activate-customer", "reactivate"),
    ):
        sub = commands.add_parser(
            name,
            help=f"{text} a customer (takes effect within ALICE_CUSTOMER_CACHE_SECONDS)",
        )
        sub.add_argument("customer_id", type=int)

    sub = commands.add_parser("mint-token", help="print a JWT for a customer")
    sub.add_argument("--customer-id", type=int, required=True)
    sub.add_argument(
        "--scope",
        default=f"{SCOPE_READ} {SCOPE_WRITE}",
        help=f"space-separated scopes (default: '{SCOPE_READ} {SCOPE_WRITE}')",
    )
    sub.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default 3600)")

    commands.add_parser("purge-expired", help="delete expired memories of every customer")
    backfill_embeddings.add_parser(commands)
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env()
        logs.configure("WARNING" if settings.log_level == "INFO" else settings.log_level)
        if args.command == "mint-token":
            if args.customer_id <= 0 or args.ttl <= 0:
                return _fail("alice-admin", "--customer-id and --ttl must be positive")
            print(
                mint_token(
                    jwt_secret(settings),
                    args.customer_id,
                    scope=args.scope,
                    ttl_seconds=args.ttl,
                )
            )
            return 0
        return _with_runtime(settings, args)
    except (ConfigError, AliceError) as exc:
        return _fail("alice-admin", getattr(exc, "message", str(exc)))


def _with_runtime(settings: Settings, args: argparse.Namespace) -> int:
    runtime = open_runtime(settings)
    try:
        admin_url = runtime.require_admin_url()
        if args.command == "migrate":
            migrate.upgrade(admin_url, settings.app_role, args.revision)
            print(f"schema at {args.revision}")
            return 0
        if args.command == "downgrade":
            migrate.downgrade(admin_url, settings.app_role, args.revision)
            print(f"schema at {args.revision}")
            return 0
        return asyncio.run(_run_admin(runtime, args))
    finally:
        runtime.close()


async def _run_admin(runtime: Runtime, args: argparse.Namespace) -> int:
    settings = runtime.settings
    database = Database(runtime.require_admin_url(), PoolOptions(size=1))
    try:
        if args.command == "backfill-embeddings":
            return await backfill_embeddings.run(database, args)
        if args.command == "purge-expired":
            total = await admin.purge_expired(database, settings.memory_history_days)
            print(f"deleted {total} expired memories")
            return 0
        result: Any
        if args.command == "create-customer":
            phone = UserIdNormalizer(settings.default_region)(args.phone) if args.phone else None
            result = await admin.create_customer(
                database,
                customers.new_customer(
                    business_name=args.name,
                    agent_name=args.agent_name,
                    greeting_template=args.greeting,
                    twilio_phone_number=phone,
                    customer_id=args.id,
                ),
            )
        elif args.command == "list-customers":
            result = await admin.list_customers(database)
        else:
            status = customers.SUSPENDED if args.command == "suspend-customer" else customers.ACTIVE
            result = await admin.set_status(database, args.customer_id, status)
    except Unavailable as exc:
        raise ConfigError(f"cannot reach the database: {exc.message}") from None
    finally:
        await database.close()
    for record in result if isinstance(result, list) else [result]:
        print(json.dumps(dataclasses.asdict(record)))
    return 0
