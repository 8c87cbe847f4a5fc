"""Console scripts: `alice-server` runs the service, `alice-admin` manages it."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import re
import sys
from collections.abc import Sequence
from typing import Any

import grpc

from alice_server import __version__, logs
from alice_server.admin import console_commands, tenant_commands
from alice_server.admin.tokens import check_token_request
from alice_server.auth import SCOPE_READ, SCOPE_WRITE, mint_token
from alice_server.cli_errors import explain
from alice_server.config import DEFAULT_APP_ROLE, ConfigError, Settings
from alice_server.domain import customers
from alice_server.domain.errors import AliceError, Unavailable
from alice_server.domain.identity import UserIdNormalizer
from alice_server.domain.transcripts import TRANSCRIPT_RETENTION_DAYS
from alice_server.runtime import Runtime, jwt_secret, open_runtime
from alice_server.services import admin
from alice_server.services.customers import CustomerDirectory
from alice_server.storage import migrate
from alice_server.storage.database import (
    Database,
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
        description="Run Alice. Settings come from the environment (see docs/settings.md); without "
        "DATABASE_URL an embedded PostgreSQL in ALICE_DATA_DIR is used.",
    )
    parser.add_argument("--listen", help="host:port to listen on (overrides ALICE_LISTEN_ADDRESS)")
    parser.add_argument(
        "--health-check",
        action="store_true",
        help="ask the server at the listen address (or --listen) for its gRPC health and exit "
        "0 if it is SERVING, 1 otherwise (the container's HEALTHCHECK)",
    )
    parser.add_argument("--version", action="version", version=f"alice-server {__version__}")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.listen:
            settings = dataclasses.replace(settings, listen_address=args.listen)
            settings.validate()
    except ConfigError as exc:
        return _fail("alice-server", str(exc))
    if args.health_check:
        return _health_check(settings)
    logs.configure(settings.log_level, settings.log_format)
    try:
        secret = jwt_secret(settings)
        if settings.workers > 1:
            from alice_server import workers

            return workers.run(settings, secret)
        from alice_server.serve import serve  # the gRPC stack: not for alice-admin's start

        asyncio.run(serve(settings, secret))
    except ConfigError as exc:
        return _fail("alice-server", str(exc))
    except (UnsafeDatabaseRole, SchemaOutOfDate, OSError) as exc:
        return _fail("alice-server", str(exc), 1)
    except AliceError as exc:  # the database refused or could not be reached
        explained = explain(exc, settings.app_role)
        if explained:
            return _fail("alice-server", explained, 1)
        reason = f"{type(exc.__cause__ or exc).__name__}: {exc.__cause__ or exc.message}"
        return _fail("alice-server", f"cannot use the database: {reason}", 1)
    except Exception as exc:
        explained = explain(exc, settings.app_role)
        if explained is None:
            raise
        return _fail("alice-server", explained, 1)
    return 0


def _health_check(settings: Settings) -> int:
    from alice_server.health import probe

    host, _, port = settings.listen_address.rpartition(":")
    if host in ("", "0.0.0.0", "[::]", "::"):  # noqa: S104 - a wildcard: ask over loopback
        host = "127.0.0.1"
    root = settings.tls_cert_file.read_bytes() if settings.tls_cert_file else None
    try:
        status = asyncio.run(probe(f"{host}:{port}", root_certificate=root))
    except grpc.aio.AioRpcError as exc:
        return _fail("alice-server", f"health check of {host}:{port} failed: {exc.code().name}", 1)
    print(status)
    return 0 if status == "SERVING" else 1


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
    sub.add_argument(
        "--yes", action="store_true", help="do not ask before 'base' (which deletes all data)"
    )

    sub = commands.add_parser("create-customer", help="add a customer; prints it as JSON")
    sub.add_argument("--name", required=True, help="business name")
    sub.add_argument("--agent-name", default="", help="the voice agent's name for this customer")
    sub.add_argument("--greeting", default="", help="greeting template")
    sub.add_argument(
        "--phone",
        help="the customer's telephony number, normalised to E.164 (numbers without a country "
        "code are read in ALICE_DEFAULT_REGION)",
    )
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

    commands.add_parser(
        "purge-expired",
        help="delete expired memories and transcript turns past their retention, of every customer",
    )
    tenant_commands.register(commands)  # t-tenants: onboarding, privacy, backups, demo data
    console_commands.register(commands)  # alice-console's users
    parser.add_argument("--version", action="version", version=f"alice-admin {__version__}")
    backfill_embeddings.add_parser(commands)
    args = parser.parse_args(argv)

    app_role = DEFAULT_APP_ROLE
    try:
        settings = Settings.from_env()
        app_role = settings.app_role
        logs.configure(
            "WARNING" if settings.log_level == "INFO" else settings.log_level,
            settings.log_format,
        )
        if settings.log_level != "DEBUG":  # alice-admin says what failed, in one line
            logging.getLogger("alice.storage").setLevel(logging.ERROR)
            logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        if args.command in tenant_commands.COMMANDS:
            return tenant_commands.run(settings, args)
        if args.command in console_commands.COMMANDS:
            return console_commands.run(settings, args)
        if args.command == "mint-token":
            if args.customer_id <= 0:
                return _fail("alice-admin", "--customer-id must be positive")
            check_token_request(settings, args.scope, args.ttl, platform=False)
            secret = jwt_secret(settings)
        confirmed = args.command != "downgrade" or args.revision != "base" or args.yes
        if not confirmed and not _confirm("downgrade base drops every Alice table and all data"):
            return _fail(
                "alice-admin",
                "not confirmed: nothing changed (pass --yes to skip the question)",
            )
        if args.command == "create-customer" and args.phone is not None:
            args.phone = _telephone_number(args.phone, settings.default_region)
        if args.command == "mint-token":
            _with_runtime(settings, args)  # refuses a customer that does not exist
            print(mint_token(secret, args.customer_id, scope=args.scope, ttl_seconds=args.ttl))
            return 0
        return _with_runtime(settings, args)
    except (ConfigError, AliceError) as exc:
        return _fail("alice-admin", getattr(exc, "message", str(exc)))
    except Exception as exc:
        explained = explain(exc, app_role)
        if explained is None:
            raise
        return _fail("alice-admin", explained, 1)


def _confirm(what: str) -> bool:
    if not sys.stdin.isatty():
        return False
    answer = input(f"{what}. Type 'yes' to continue: ")
    return answer.strip().lower() == "yes"


def _telephone_number(raw: str, region: str) -> str:
    """E.164, or a ConfigError saying what a telephone number looks like."""
    normalised = UserIdNormalizer(region)(raw, field="--phone")
    if not re.fullmatch(r"\+[1-9]\d{6,14}", normalised):
        raise ConfigError(
            f"--phone must be a telephone number such as +18005551234 or (800) 555-1234 "
            f"(without a country code it is read in ALICE_DEFAULT_REGION={region}), got {raw!r}"
        )
    return normalised


def _with_runtime(settings: Settings, args: argparse.Namespace) -> int:
    runtime = open_runtime(settings)
    try:
        if args.command == "mint-token":  # the service role can look a customer up
            return asyncio.run(_run_admin(runtime, args))
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
    if args.command == "mint-token":
        # Through the service role (RLS shows it that one customer) or the owner.
        url = runtime.app_url or runtime.require_admin_url()
        database = Database.from_settings(url, runtime.settings, size=1)
        try:
            await CustomerDirectory(database, 0).check_active(args.customer_id)
        finally:
            await database.close()
        return 0
    database = Database.from_settings(runtime.require_admin_url(), runtime.settings, size=1)
    try:
        if args.command == "backfill-embeddings":
            return await backfill_embeddings.run(database, args)
        if args.command == "purge-expired":
            total = await admin.purge_expired(database, runtime.settings.memory_history_days)
            print(f"deleted {total} expired memories")
            turns = await admin.purge_transcript_turns(database)
            print(f"deleted {turns} transcript turns older than {TRANSCRIPT_RETENTION_DAYS} days")
            return 0
        result: Any
        if args.command == "create-customer":
            result = await admin.create_customer(
                database,
                customers.new_customer(
                    business_name=args.name,
                    agent_name=args.agent_name,
                    greeting_template=args.greeting,
                    twilio_phone_number=args.phone,
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
