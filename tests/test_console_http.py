"""alice-console's safety over plain HTTP, against a real console process and a
real Alice: the route walk (a tenant admin gets 403/404 for every URL of
another customer), CSRF refusal, session expiry and cookie flags, log-in rate
limits, a suspended tenant's admin, and the headers every page carries."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from urllib.parse import quote

import pytest
from argon2 import PasswordHasher
from starlette.routing import Route

from alice_console.app import CSP, create_app
from alice_console.sessions import LOGIN_COOKIE, SESSION_COOKIE, Session, SessionCodec
from alice_console.settings import ConsoleSettings
from alice_server.auth import mint_platform_token
from chad_client import AliceClient
from tests.support.console import ConsoleHttp, running_console

PASSWORD = "a long enough passphrase"
HASH = PasswordHasher().hash(PASSWORD)
EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture(scope="module")
def console(alice, secret):
    # 127.0.0.1 is trusted as a proxy: X-Forwarded-For / -Proto stand for other
    # clients and for https.
    with running_console(
        alice.address, secret, ALICE_CONSOLE_FORWARDED_ALLOW_IPS="127.0.0.1"
    ) as console:
        yield console


@pytest.fixture
async def platform(alice, secret):
    async with AliceClient(alice.address, secret=secret) as client:
        yield client.platform(token=mint_platform_token(secret))


async def _user(platform, role: str, customer_id: int = 0) -> str:
    login = f"{role.replace('_', '-')}-{secrets.token_hex(4)}"
    await platform.create_console_user(login, HASH, role=role, customer_id=customer_id)
    return login


@pytest.fixture
async def two_tenants(alice, secret, platform, peterson, smith):
    """Peterson (customer 1 of the test) and Smith, each with a caller and an admin."""
    async with AliceClient(alice.address, secret=secret) as client:
        callers = {}
        for tenant in (peterson, smith):
            caller = f"+1555{secrets.randbelow(10**7):07d}"
            view = client.for_customer(tenant.id)
            await view.process_call(
                caller,
                f"CA-{secrets.token_hex(4)}",
                [("caller", f"Hello, {tenant.name} please."), ("agent", "Sure.")],
            )
            await view.store_memory(caller, "fact", "secret_of", {"who": tenant.name})
            callers[tenant.id] = caller
    admins = {t.id: await _user(platform, "tenant_admin", t.id) for t in (peterson, smith)}
    return peterson, smith, callers, admins


def _routes() -> list[tuple[str, str]]:
    """(method, path template) of every route of the app (static files aside)."""
    app = create_app(
        ConsoleSettings(alice_addr="127.0.0.1:1", jwt_secret="x" * 32, session_secret="y" * 32)
    )
    found = []
    for route in app.routes:
        if isinstance(route, Route):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                found.append((method, route.path))
    return found


def _fill(template: str, customer_id: int, user_id: str, console_user_id: int) -> str:
    return (
        template.replace("{customer_id:int}", str(customer_id))
        .replace("{user_id:int}", str(console_user_id))
        .replace("{user_id}", quote(user_id, safe=""))
    )


async def test_a_tenant_admin_gets_403_or_404_for_every_url_of_another_customer(
    console, platform, two_tenants
):
    peterson, smith, callers, admins = two_tenants
    smith_admin = await platform.get_console_user(admins[smith.id])
    routes = _routes()
    # The walk covers the pages of both kinds of user.
    assert {"/customers/{customer_id:int}/callers/{user_id}", "/tenants/{customer_id:int}"} <= {
        path for _m, path in routes
    }

    def walk() -> None:
        http = ConsoleHttp(console.url)
        assert http.login(admins[peterson.id], PASSWORD).status_code == 303
        seen = 0
        for method, template in routes:
            if template in ("/", "/login", "/logout", "/healthz"):
                continue
            path = _fill(template, smith.id, callers[smith.id], smith_admin.id)
            response = http.post(path) if method == "POST" else http.get(path)
            assert response.status_code in (403, 404), (method, path, response.status_code)
            assert smith.name not in response.text, (method, path)
            assert callers[smith.id] not in response.text, (method, path)
            seen += 1
            # Peterson's own pages of the same shape answer (the walk is not vacuous).
            if method == "GET" and template.startswith("/customers/"):
                own = _fill(template, peterson.id, callers[peterson.id], 0)
                mine = http.get(own)
                assert mine.status_code == 200, own
                assert peterson.name in mine.text or callers[peterson.id] in mine.text
                assert smith.name not in mine.text
        assert seen >= 15
        # Smith's caller, under Peterson's own customer id: Alice's own check says no.
        foreign = f"/customers/{peterson.id}/callers/{quote(callers[smith.id], safe='')}"
        assert http.get(foreign).status_code == 404
        http.close()

    await asyncio.to_thread(walk)


async def test_every_post_needs_the_sessions_csrf_token(
    console, platform, two_tenants, alice, secret
):
    peterson, _smith, _callers, admins = two_tenants

    def attempt() -> None:
        http = ConsoleHttp(console.url)
        http.login(admins[peterson.id], PASSWORD)
        path = f"/customers/{peterson.id}/settings"
        for token in (None, "", "forged-" + http.csrf[7:]):
            data = {"new_caller_greeting": "Hacked!"}
            if token is not None:
                data["csrf_token"] = token
            response = http.http.post(path, data=data)
            assert response.status_code == 403
            assert "CSRF" in response.text
        assert http.post(path, {"new_caller_greeting": "Welcome!"}).status_code == 303
        # The log-in form has its own token.
        anonymous = ConsoleHttp(console.url)
        refused = anonymous.http.post("/login", data={"login": "x", "password": PASSWORD})
        assert refused.status_code == 403
        http.close()
        anonymous.close()

    await asyncio.to_thread(attempt)
    async with AliceClient(alice.address, secret=secret) as client:
        settings = await client.for_customer(peterson.id).get_tenant_settings()
    assert settings.new_caller_greeting == "Welcome!"


async def test_sessions_expire_and_cookies_are_httponly_lax_and_secure_over_https(
    console, platform, two_tenants
):
    peterson, _smith, _callers, admins = two_tenants
    user = await platform.get_console_user(admins[peterson.id])

    def check() -> None:
        http = ConsoleHttp(console.url)
        page = http.get("/login")
        response = http.http.post(
            "/login",
            data={
                "login": user.login,
                "password": PASSWORD,
                "csrf_token": re.search(r'value="([^"]+)"', page.text.split("csrf_token")[1])[1],
            },
        )
        cookie = response.headers["set-cookie"]
        assert SESSION_COOKIE in cookie and "HttpOnly" in cookie
        assert "SameSite=lax" in cookie and "Secure" not in cookie
        # Behind a proxy that says https, the cookie is Secure.
        proxied = ConsoleHttp(console.url)
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
        page = proxied.http.get("/login", headers=headers)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
        login_cookie = page.headers["set-cookie"]
        assert login_cookie.startswith(LOGIN_COOKIE + "=") and "Secure" in login_cookie
        # (httpx keeps Secure cookies for https only: hand it over as the browser would.)
        proxied.http.cookies.set(LOGIN_COOKIE, login_cookie.split(";")[0].split("=", 1)[1])
        secure = proxied.http.post(
            "/login",
            data={"login": user.login, "password": PASSWORD, "csrf_token": token},
            headers=headers,
        )
        assert secure.status_code == 303 and "Secure" in secure.headers["set-cookie"]

        path = f"/customers/{peterson.id}/callers"
        codec = SessionCodec(console.session_secret, 3600)
        fresh = codec.encode(Session(user.id, user.login, user.role, peterson.id, "t"))
        old = SessionCodec(console.session_secret, 3600, clock=lambda: time.time() - 3601).encode(
            Session(user.id, user.login, user.role, peterson.id, "t")
        )
        for value, expected in ((fresh, 200), (old, 303), (fresh[:-2] + "xx", 303)):
            anonymous = ConsoleHttp(console.url)
            anonymous.http.cookies.set(SESSION_COOKIE, value)
            response = anonymous.get(path)
            assert response.status_code == expected, value
            if expected == 303:
                assert response.headers["location"] == "/login"
            anonymous.close()
        http.close()
        proxied.close()

    await asyncio.to_thread(check)


async def test_log_ins_are_rate_limited_per_login_and_per_address(console, platform, smith):
    name = await _user(platform, "tenant_admin", smith.id)

    def hammer() -> None:
        http = ConsoleHttp(console.url)

        def attempt(login: str, password: str, address: str) -> int:
            headers = {"X-Forwarded-For": address}
            page = http.http.get("/login", headers=headers)
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
            return http.http.post(
                "/login",
                data={"login": login, "password": password, "csrf_token": token},
                headers=headers,
            ).status_code

        # Per login name: 5 failures, then even the right password waits.
        for i in range(5):
            assert attempt(name, "wrong password!", f"203.0.113.{i + 1}") == 401
        assert attempt(name, PASSWORD, "203.0.113.99") == 429
        # Per address: 20 failures over many names, then that address waits.
        for i in range(20):
            assert attempt(f"nobody-{i}", "wrong password!", "192.0.2.10") == 401
        refused = http.http.get("/login")
        assert refused.status_code == 200  # other addresses are not affected
        assert attempt(f"nobody-{secrets.token_hex(3)}", "x" * 12, "192.0.2.10") == 429
        http.close()

    await asyncio.to_thread(hammer)


async def test_a_suspended_tenants_admin_cannot_log_in(console, platform, two_tenants):
    _peterson, smith, _callers, admins = two_tenants
    from chad_client.platform import CustomerChanges

    def log_in() -> tuple[int, str]:
        http = ConsoleHttp(console.url)
        response = http.login(admins[smith.id], PASSWORD)
        http.close()
        return response.status_code, response.text

    await platform.update_customer(smith.id, CustomerChanges(status="suspended"))
    try:
        status, text = await asyncio.to_thread(log_in)
        assert status == 403 and "suspended" in text
    finally:
        await platform.update_customer(smith.id, CustomerChanges(status="active"))
    status, _text = await asyncio.to_thread(log_in)
    assert status == 303


async def test_pages_carry_a_strict_csp_and_load_nothing_from_other_hosts(
    console, platform, two_tenants
):
    peterson, _smith, callers, admins = two_tenants
    operator = await _user(platform, "operator")

    def visit() -> None:
        pages = {
            operator: [
                "/tenants",
                "/tenants/new",
                f"/tenants/{peterson.id}",
                f"/tenants/{peterson.id}/usage",
                "/audit",
                "/users",
            ],
            admins[peterson.id]: [
                f"/customers/{peterson.id}/settings",
                f"/customers/{peterson.id}/callers",
                f"/customers/{peterson.id}/callers/{quote(callers[peterson.id], safe='')}",
                f"/customers/{peterson.id}/callers/{quote(callers[peterson.id], safe='')}/erase",
                f"/customers/{peterson.id}/audit",
            ],
        }
        pages[""] = ["/login", "/static/console.css"]  # before any log-in
        for login, paths in pages.items():
            http = ConsoleHttp(console.url)
            if login:
                assert http.login(login, PASSWORD).status_code == 303
            for path in paths:
                response = http.get(path)
                assert response.status_code == 200, path
                assert response.headers["content-security-policy"] == CSP
                assert "default-src 'self'" in CSP and "unsafe-inline" not in CSP
                assert response.headers["x-frame-options"] == "DENY"
                assert not EXTERNAL.search(response.text), path
                assert "<script" not in response.text and " style=" not in response.text
            http.close()

    await asyncio.to_thread(visit)


async def test_an_operator_downloads_a_tenants_backup_in_the_alice_admin_format(
    console, platform, two_tenants
):
    peterson, _smith, callers, _admins = two_tenants
    operator = await _user(platform, "operator")

    def download() -> list[dict]:
        http = ConsoleHttp(console.url)
        assert http.login(operator, PASSWORD).status_code == 303
        response = http.post(f"/tenants/{peterson.id}/backup")
        assert response.status_code == 200
        assert response.headers["content-disposition"].startswith(
            f'attachment; filename="customer-{peterson.id}-'
        )
        http.close()
        return [json.loads(line) for line in response.text.splitlines()]

    lines = await asyncio.to_thread(download)
    header = lines[0]["header"]
    assert header["format"] == "alice-customer-export" and header["customer_id"] == peterson.id
    rows = lines[1:]
    assert rows[0]["table"] == "customers" and rows[0]["row"]["id"] == peterson.id
    assert isinstance(rows[0]["row"]["id"], int)  # not 1.0: restorable as written
    assert any(
        r["table"] == "memories" and r["row"]["user_id"] == callers[peterson.id] for r in rows
    )
    audit = await platform.list_audit_records(peterson.id)
    assert audit.items[0].action == "export_customer_data"


async def test_a_callers_page_lists_the_promises_still_open(
    alice, secret, console, platform, smith
):
    caller = f"+1555{secrets.randbelow(10**7):07d}"
    async with AliceClient(alice.address, secret=secret) as client:
        view = client.for_customer(smith.id)
        await view.process_call(
            caller,
            f"CA-{secrets.token_hex(4)}",
            [
                ("caller", "I need proof of insurance for my new car."),
                ("agent", "I'll email you the updated ID cards by end of day."),
            ],
        )
        (promise,) = (await view.list_follow_ups(caller)).items
    admin = await _user(platform, "tenant_admin", smith.id)

    def page() -> str:
        http = ConsoleHttp(console.url)
        assert http.login(admin, PASSWORD).status_code == 303
        response = http.get(f"/customers/{smith.id}/callers/{quote(caller, safe='')}")
        http.close()
        assert response.status_code == 200
        return response.text

    html = await asyncio.to_thread(page)
    section = html.split('id="follow-ups"', 1)[1].split("</ul>", 1)[0]
    assert "Agent: " + promise.action in section and "by end of day" not in section
    assert "due " in section and "None open" not in section
