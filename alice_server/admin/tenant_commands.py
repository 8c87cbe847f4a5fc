"""alice-admin: tenants, platform tokens, privacy, backups and demo data.

Registered in alice_server/cli.py with two lines (`register`, `run`). Every
command runs as the schema owner (ALICE_ADMIN_DATABASE_URL, or the embedded
database), through the same services as the RPCs, and prints JSON (one
object per line) unless said otherwise. Errors exit 2 with a message.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from alice_server.admin import backup_file, demo
from alice_server.admin.tokens import check_token_request
from alice_server.auth import (
    SCOPE_PLATFORM_ADMIN,
    SCOPE_READ,
    SCOPE_WRITE,
    mint_platform_token,
    mint_token,
)
from alice_server.config import Settings
from alice_server.domain import privacy, tenants
from alice_server.domain.errors import InvalidArgument
from alice_server.domain.identity import UserIdNormalizer
from alice_server.domain.paging import PageTokens
from alice_server.domain.privacy import ExportHeader, SubjectHasher
from alice_server.runtime import Runtime, jwt_secret, open_runtime
from alice_server.services.privacy import PrivacyService
from alice_server.services.tenants import CustomerAdmin
from alice_server.storage.database import Database

DEFAULT_TENANT_SCOPE = f"{SCOPE_READ} {SCOPE_WRITE}"

Handler = Callable[["Context", argparse.Namespace], Coroutine[Any, Any, int]]
_HANDLERS: dict[str, Handler] = {}


def _command(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _HANDLERS[name] = handler
        return handler

    return register


COMMANDS = frozenset(
    {
        "onboard",
        "update-customer",
        "show-customer",
        "mint-platform-token",
        "export-user",
        "erase-user",
        "backup",
        "restore",
        "erase-customer",
        "audit-log",
        "load-demo",
        "import-legacy",
    }
)


def register(commands: Any) -> None:
    """Add this module's subcommands to alice-admin's parser."""
    sub = commands.add_parser(
        "onboard", help="create a customer and print its id and a token (one step)"
    )
    _profile_options(sub, create=True)
    sub.add_argument("--settings", type=Path, help="JSON file of tenant settings to store")
    sub.add_argument("--scope", default=DEFAULT_TENANT_SCOPE, help="the token's scopes")
    sub.add_argument("--ttl", type=int, default=86400, help="token lifetime, seconds (1 day)")
    sub.add_argument(
        "--format",
        choices=("json", "shell"),
        default="json",
        help="shell: ALICE_CUSTOMER_ID=... and ALICE_TOKEN=... lines for eval",
    )

    sub = commands.add_parser("update-customer", help="change a customer's profile fields")
    sub.add_argument("customer_id", type=int)
    _profile_options(sub, create=False)
    sub.add_argument("--status", choices=tenants.STATUSES)
    sub.add_argument("--clear-rate-limit", action="store_true", help="back to the default")

    sub = commands.add_parser("show-customer", help="print one customer with its settings")
    sub.add_argument("customer_id", type=int)

    sub = commands.add_parser("mint-platform-token", help="print a platform token (no customer_id)")
    sub.add_argument(
        "--scope",
        default=SCOPE_PLATFORM_ADMIN,
        help="platform:admin (default) or platform:lookup (the call router's)",
    )
    sub.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default 3600)")

    for name, text in (
        ("export-user", "print every row of one caller (JSON lines)"),
        ("erase-user", "erase every row of one caller; prints the counts"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--customer-id", type=int, required=True)
        sub.add_argument("user_id")

    sub = commands.add_parser(
        "backup", help="export customers to files (JSON lines, .gz compresses): cron-suitable"
    )
    target = sub.add_mutually_exclusive_group(required=True)
    target.add_argument("--customer-id", type=int, help="one customer")
    target.add_argument("--all", action="store_true", help="every customer")
    sub.add_argument(
        "--output", type=Path, required=True, help="a file (one customer) or a directory (--all)"
    )

    sub = commands.add_parser("restore", help="load a backup file into this database")
    sub.add_argument("file", type=Path)

    sub = commands.add_parser(
        "erase-customer", help="erase a customer and all its data (audit records stay)"
    )
    sub.add_argument("customer_id", type=int)
    sub.add_argument("--confirm", type=int, required=True, help="repeat the customer id")

    sub = commands.add_parser("audit-log", help="print audit records, newest first")
    sub.add_argument("--customer-id", type=int, default=0, help="0: every customer")
    sub.add_argument("--limit", type=int, default=50)

    sub = commands.add_parser("load-demo", help="load the demo tenants and callers (idempotent)")
    sub.add_argument("--file", type=Path, default=None, help=f"default: {demo.DEFAULT_FILE}")

    sub = commands.add_parser(
        "import-legacy",
        help="import a legacy ai-memory database into a customer (idempotent; see MIGRATION.md)",
    )
    sub.add_argument("--legacy-url", required=True, help="the legacy database's URL (read only)")
    sub.add_argument("--customer-id", type=int, default=1, help="the Alice customer (default 1)")
    sub.add_argument(
        "--legacy-customer-id",
        type=int,
        help="rows of this legacy customer_id, where the legacy tables have one "
        "(default: --customer-id)",
    )
    sub.add_argument("--dry-run", action="store_true", help="print the counts, write nothing")


def _profile_options(sub: argparse.ArgumentParser, *, create: bool) -> None:
    sub.add_argument("--name", required=create, help="business name")
    sub.add_argument("--agent-name", help="the voice agent's name for this customer")
    sub.add_argument("--greeting", help="greeting template ({agent_name}, {time_greeting}...)")
    sub.add_argument("--voice", help="text-to-speech voice")
    sub.add_argument("--phone", help="the customer's Twilio number (normalised to E.164)")
    sub.add_argument("--time-zone", help="IANA time zone, e.g. America/Chicago")
    sub.add_argument("--rate-limit", type=float, help="calls per second (default: server's)")


@dataclasses.dataclass
class Context:
    settings: Settings
    runtime: Runtime
    db: Database

    @property
    def phones(self) -> tenants.PhoneNumbers:
        return tenants.PhoneNumbers(self.settings.default_region)

    def privacy(self) -> PrivacyService:
        secret = jwt_secret(self.settings)
        return PrivacyService(self.db, self.db, SubjectHasher(secret), PageTokens(secret))

    def customers(self) -> CustomerAdmin:
        return CustomerAdmin(self.db, PageTokens(jwt_secret(self.settings)), cache_seconds=0)


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run one of this module's commands; its exit status."""
    if args.command in ("mint-platform-token", "onboard"):  # before any database is opened
        platform = args.command == "mint-platform-token"
        check_token_request(settings, args.scope, args.ttl, platform=platform)
    if args.command == "mint-platform-token":
        try:
            token = mint_platform_token(
                jwt_secret(settings), scope=args.scope, ttl_seconds=args.ttl
            )
        except ValueError as exc:
            raise InvalidArgument(str(exc)) from None
        print(token)
        return 0
    runtime = open_runtime(settings)
    try:
        return asyncio.run(_run(settings, runtime, args))
    finally:
        runtime.close()


async def _run(settings: Settings, runtime: Runtime, args: argparse.Namespace) -> int:
    db = Database.from_settings(runtime.require_admin_url(), settings, size=1)
    try:
        return await _HANDLERS[args.command](Context(settings, runtime, db), args)
    finally:
        await db.close()


def _print(value: Any) -> None:
    print(json.dumps(value, default=_json_default, ensure_ascii=False))


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _customer_json(customer: tenants.Customer) -> dict[str, Any]:
    return dataclasses.asdict(customer)


# --------------------------------------------------------------------------- customers


@_command("onboard")
async def _onboard(ctx: Context, args: argparse.Namespace) -> int:
    draft = tenants.draft(
        ctx.phones,
        business_name=args.name,
        agent_name=args.agent_name or "",
        greeting_template=args.greeting or "",
        voice=args.voice or "",
        twilio_number=args.phone or "",
        time_zone=args.time_zone or "",
        rate_limit_per_second=args.rate_limit,
    )
    settings_update = None
    if args.settings is not None:
        values = json.loads(args.settings.read_text())
        if not isinstance(values, dict):
            raise InvalidArgument("--settings must hold a JSON object {name: value}")
        settings_update = tenants.settings_update(values, [])
    customer = await demo.create_with_settings(ctx.db, draft, settings_update)
    token = mint_token(
        jwt_secret(ctx.settings), customer.id, scope=args.scope, ttl_seconds=args.ttl
    )
    if args.format == "shell":
        print(f"ALICE_CUSTOMER_ID={customer.id}")
        print(f"ALICE_TOKEN={token}")
    else:
        _print({"id": customer.id, "token": token, "customer": _customer_json(customer)})
    return 0


@_command("update-customer")
async def _update(ctx: Context, args: argparse.Namespace) -> int:
    changes = tenants.changes(
        ctx.phones,
        business_name=args.name,
        agent_name=args.agent_name,
        greeting_template=args.greeting,
        voice=args.voice,
        twilio_number=args.phone,
        time_zone=args.time_zone,
        status=args.status,
        rate_limit_per_second=args.rate_limit,
        clear_rate_limit=args.clear_rate_limit,
    )
    customer = await ctx.customers().update(args.customer_id, changes)
    _print(_customer_json(customer))
    return 0


@_command("show-customer")
async def _show(ctx: Context, args: argparse.Namespace) -> int:
    customer = await ctx.customers().get(args.customer_id)
    async with ctx.db.tenant(customer.id) as uow:
        settings = await uow.settings.read()
    _print({**_customer_json(customer), "settings": settings})
    return 0


# --------------------------------------------------------------------------- privacy


@_command("export-user")
async def _export_user(ctx: Context, args: argparse.Namespace) -> int:
    user_id = UserIdNormalizer(ctx.settings.default_region)(args.user_id)
    for table, row in await ctx.privacy().export_user(args.customer_id, user_id):
        _print({"table": table, "row": row})
    return 0


@_command("erase-user")
async def _erase_user(ctx: Context, args: argparse.Namespace) -> int:
    user_id = UserIdNormalizer(ctx.settings.default_region)(args.user_id)
    erasure = await ctx.privacy().erase_user(args.customer_id, user_id)
    _print({"counts": erasure.counts, "audit_id": erasure.audit.id})
    return 0


async def _backup_one(ctx: Context, customer_id: int, path: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    with backup_file.atomic_output(path) as out:
        stream = ctx.privacy().export_customer(customer_id, privacy.ADMIN_ACTOR, db=ctx.db)
        async for item in stream:
            if isinstance(item, ExportHeader):
                out.write(backup_file.line({"header": backup_file.header_json(item)}))
            else:
                table, row = item
                out.write(backup_file.line({"table": table, "row": row}))
                counts[table] = counts.get(table, 0) + 1
    return counts


@_command("backup")
async def _backup(ctx: Context, args: argparse.Namespace) -> int:
    if not args.all:
        counts = await _backup_one(ctx, args.customer_id, args.output)
        _print({"customer_id": args.customer_id, "file": str(args.output), "rows": counts})
        return 0
    args.output.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    async with ctx.db.admin() as uow:
        ids = await uow.tenants.ids()
    for customer_id in ids:
        path = args.output / f"customer-{customer_id}-{stamp}.jsonl.gz"
        counts = await _backup_one(ctx, customer_id, path)
        _print({"customer_id": customer_id, "file": str(path), "rows": counts})
    return 0


@_command("restore")
async def _restore(ctx: Context, args: argparse.Namespace) -> int:
    header, rows = backup_file.read(args.file)
    counts = await ctx.privacy().restore_customer(ctx.db, header, rows)
    _print({"customer_id": header.customer_id, "rows": counts})
    return 0


@_command("erase-customer")
async def _erase_customer(ctx: Context, args: argparse.Namespace) -> int:
    if args.confirm != args.customer_id:
        raise InvalidArgument("--confirm must repeat the customer id")
    erasure = await ctx.privacy().erase_customer(args.customer_id, privacy.ADMIN_ACTOR, db=ctx.db)
    _print(
        {"customer_id": args.customer_id, "counts": erasure.counts, "audit_id": erasure.audit.id}
    )
    return 0


@_command("audit-log")
async def _audit(ctx: Context, args: argparse.Namespace) -> int:
    page = await ctx.privacy().audit(args.customer_id or None, args.limit, "")
    for record in page.records:
        _print(record)
    return 0


@_command("load-demo")
async def _load_demo(ctx: Context, args: argparse.Namespace) -> int:
    summary = await demo.load(ctx.db, args.file or demo.DEFAULT_FILE, ctx.phones)
    for line in summary:
        _print(line)
    return 0


@_command("import-legacy")
async def _import_legacy(ctx: Context, args: argparse.Namespace) -> int:
    from alice_server.services.legacy_import import LegacyImport

    if args.customer_id <= 0:
        raise InvalidArgument("--customer-id must be positive")
    report = await LegacyImport(ctx.db, UserIdNormalizer(ctx.settings.default_region)).run(
        args.legacy_url,
        args.customer_id,
        legacy_customer_id=args.legacy_customer_id,
        dry_run=args.dry_run,
    )
    for line in report.summary():
        print(line, file=sys.stderr)
    result = report.as_json()
    if not args.dry_run:
        result["embedded"] = await _embed_imported(ctx.db, args.customer_id)
    _print(result)
    return 0


async def _embed_imported(db: Database, customer_id: int) -> int | None:
    """Embeddings for the imported memories (the legacy vectors were random):
    the backfill, for this customer only, with its progress on stderr. The
    import is committed first; if this stops, `backfill-embeddings` finishes it."""
    from alice_server.embedding_model import EmbeddingModelMissing, load_embedder
    from alice_server.tools.backfill_embeddings import backfill

    try:
        embedder = load_embedder()
    except EmbeddingModelMissing as missing:
        print(f"embeddings not computed: {missing}", file=sys.stderr)
        return None
    return await backfill(
        db, embedder, report=lambda line: print(line, file=sys.stderr), customer_ids=[customer_id]
    )
