"""alice-admin create-console-user: the console's first operator, made without a
running console, through the same service and rules as ConsoleService."""

from __future__ import annotations

import json
import secrets

from argon2 import PasswordHasher

from alice_server.auth import mint_platform_token
from chad_client import AliceClient
from tests.support.processes import admin


async def test_create_console_user_makes_operators_and_tenant_admins(
    alice, database, secret, smith, tmp_path
):
    owner = {"ALICE_ADMIN_DATABASE_URL": database.owner_url}  # no JWT secret needed
    password = tmp_path / "password"
    password.write_text("a long enough passphrase\n")
    login = f"first-operator-{secrets.token_hex(3)}"
    code, out, err = await admin(
        "create-console-user",
        "--login",
        login,
        "--operator",
        "--password-file",
        str(password),
        **owner,
    )
    assert code == 0, err
    created = json.loads(out)
    assert created["login"] == login and created["role"] == "operator"
    assert created["customer_id"] is None

    admin_login = f"smith-{secrets.token_hex(3)}"
    code, out, err = await admin(
        "create-console-user",
        "--login",
        admin_login,
        "--customer-id",
        str(smith.id),
        "--password-file",
        str(password),
        **owner,
    )
    assert code == 0, err
    assert json.loads(out)["customer_id"] == smith.id

    async with AliceClient(alice.address, secret=secret) as client:
        platform = client.platform(token=mint_platform_token(secret))
        user = await platform.get_console_user(login)
    # The console verifies the hash alice-admin made (argon2id, PHC form).
    assert user.password_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(user.password_hash, "a long enough passphrase")
    assert "passphrase" not in out + err


async def test_create_console_user_refuses_with_one_line_reasons(database, tmp_path):
    owner = {"ALICE_ADMIN_DATABASE_URL": database.owner_url}
    short = tmp_path / "short"
    short.write_text("short")
    good = tmp_path / "good"
    good.write_text("a long enough passphrase")
    taken = f"taken-{secrets.token_hex(3)}"
    assert (
        await admin(
            "create-console-user",
            "--login",
            taken,
            "--operator",
            "--password-file",
            str(good),
            **owner,
        )
    )[0] == 0
    cases = [
        (
            ["--login", "x-" + secrets.token_hex(3), "--operator", "--password-file", str(short)],
            "at least 10 characters",
        ),
        (
            [
                "--login",
                "x-" + secrets.token_hex(3),
                "--customer-id",
                "987654321",
                "--password-file",
                str(good),
            ],
            "customer 987654321 does not exist",
        ),
        (["--login", taken, "--operator", "--password-file", str(good)], "exists already"),
        (["--login", "Not Valid!", "--operator", "--password-file", str(good)], "login must be"),
        (["--login", "x-" + secrets.token_hex(3), "--operator"], "--password-file"),
    ]
    for args, reason in cases:
        code, _out, err = await admin("create-console-user", *args, **owner)
        assert code == 2, (args, err)
        assert reason in err and "Traceback" not in err, (args, err)
