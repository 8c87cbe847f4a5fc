"""alice-admin create-console-user: the first operator of alice-console (and
any other console user), without a running server.

It runs as the schema owner (ALICE_ADMIN_DATABASE_URL, or the embedded
database) through the same service as ConsoleService/CreateConsoleUser, so
the same rules apply; the password is hashed here with argon2id exactly as
the console hashes it (argon2-cffi, part of the `console` extra).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import secrets
import sys
from pathlib import Path
from typing import Any

from alice_server.config import Settings
from alice_server.domain import console_users
from alice_server.domain.errors import InvalidArgument
from alice_server.domain.paging import PageTokens
from alice_server.runtime import open_runtime
from alice_server.services.console_users import ConsoleUsers
from alice_server.storage.database import Database

COMMANDS = frozenset({"create-console-user"})
MIN_PASSWORD_CHARS = 10


def register(commands: Any) -> None:
    sub = commands.add_parser(
        "create-console-user",
        help="add a user of alice-console: an operator, or a tenant admin of one customer",
    )
    sub.add_argument("--login", required=True, help="login name (lower case, 2-63 characters)")
    role = sub.add_mutually_exclusive_group(required=True)
    role.add_argument("--operator", action="store_true", help="sees and manages every tenant")
    role.add_argument("--customer-id", type=int, help="a tenant admin of this customer")
    sub.add_argument(
        "--password-file",
        type=Path,
        help="read the password from this file (first line); default: ask twice on the terminal",
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    password = _password(args.password_file)
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidArgument(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
    try:
        from argon2 import PasswordHasher
    except ImportError:
        raise InvalidArgument(
            "argon2-cffi is not installed: install the console extra "
            "(pip install 'alice-server[console]')"
        ) from None
    user = console_users.new_console_user(
        args.login,
        PasswordHasher().hash(password),
        console_users.OPERATOR if args.operator else console_users.TENANT_ADMIN,
        0 if args.operator else args.customer_id,
    )
    runtime = open_runtime(settings)
    try:
        created = asyncio.run(_create(settings, runtime.require_admin_url(), user))
    finally:
        runtime.close()
    print(
        json.dumps(
            {
                "id": created.id,
                "login": created.login,
                "role": created.role,
                "customer_id": created.customer_id,
            }
        )
    )
    return 0


async def _create(
    settings: Settings, admin_url: str, user: console_users.NewConsoleUser
) -> console_users.ConsoleUser:
    db = Database.from_settings(admin_url, settings, size=1)
    try:
        # No paging here: a throw-away key, so no JWT_SECRET_KEY is needed.
        return await ConsoleUsers(db, PageTokens(secrets.token_urlsafe(32))).create(user)
    finally:
        await db.close()


def _password(path: Path | None) -> str:
    if path is not None:
        try:
            return path.read_text().splitlines()[0] if path.read_text() else ""
        except OSError as exc:
            raise InvalidArgument(f"cannot read --password-file {path}: {exc.strerror}") from None
    if not sys.stdin.isatty():
        raise InvalidArgument("no terminal to ask for the password: pass --password-file")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise InvalidArgument("the two passwords differ")
    return first
