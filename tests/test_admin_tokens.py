"""alice-admin mints only tokens the server accepts: a lifetime over
ALICE_MAX_TOKEN_LIFETIME_SECONDS or a scope no RPC knows is refused in one
line with a non-zero exit, before any database is opened."""

from __future__ import annotations

import jwt

from alice_server import server
from alice_server.auth import PLATFORM_SCOPES, TENANT_SCOPES
from tests.support.processes import admin, one_line

# No database is needed: the checks come first (this URL is never reached).
NOWHERE = "postgresql://nobody@127.0.0.1:9/none"


def test_every_scope_an_rpc_requires_is_one_alice_admin_can_mint():
    assert set(server.METHOD_SCOPES.values()) <= TENANT_SCOPES
    assert set(server.PLATFORM_METHOD_SCOPES.values()) <= PLATFORM_SCOPES


async def test_mint_token_refuses_a_lifetime_over_the_servers_limit(secret):
    env = {"DATABASE_URL": NOWHERE, "JWT_SECRET_KEY": secret}
    code, out, err = await admin("mint-token", "--customer-id", "1", "--ttl", "999999", **env)
    assert code == 2 and out == ""
    line = one_line(err)
    assert "--ttl 999999" in line and "ALICE_MAX_TOKEN_LIFETIME_SECONDS (86400)" in line
    code, _, err = await admin(
        "mint-platform-token", "--ttl", "90000", JWT_SECRET_KEY=secret, DATABASE_URL=NOWHERE
    )
    assert code == 2 and "ALICE_MAX_TOKEN_LIFETIME_SECONDS" in one_line(err)
    code, _, err = await admin(
        "onboard", "--name", "X", "--ttl", "999999", JWT_SECRET_KEY=secret, DATABASE_URL=NOWHERE
    )
    assert code == 2 and "--ttl 999999" in one_line(err)


async def test_mint_platform_token_follows_a_raised_limit(secret):
    code, token, err = await admin(
        "mint-platform-token",
        "--ttl",
        "90000",
        JWT_SECRET_KEY=secret,
        DATABASE_URL=NOWHERE,
        ALICE_MAX_TOKEN_LIFETIME_SECONDS="100000",
    )
    assert code == 0, err
    claims = jwt.decode(token.strip(), secret, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 90000


async def test_mint_token_refuses_unknown_scopes_naming_the_known_ones(secret):
    env = {"DATABASE_URL": NOWHERE, "JWT_SECRET_KEY": secret}
    code, out, err = await admin(
        "mint-token", "--customer-id", "1", "--scope", "memory:read bogus:scope", **env
    )
    assert code == 2 and out == ""
    line = one_line(err)
    assert "'bogus:scope'" in line and "memory:read, memory:read:write" in line
    # A platform scope on a tenant token is as useless as a made-up one, and back.
    code, _, err = await admin(
        "mint-token", "--customer-id", "1", "--scope", "platform:admin", **env
    )
    assert code == 2 and "not a scope of a tenant token" in one_line(err)
    code, _, err = await admin("mint-platform-token", "--scope", "memory:read", **env)
    assert code == 2 and "platform:admin, platform:lookup" in one_line(err)
