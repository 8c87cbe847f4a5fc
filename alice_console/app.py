"""The console's ASGI application: routes, the log-in, and the rules every page
follows.

* Who: every page but /login needs a session (else a redirect to /login);
  each request re-reads the user from Alice, so a disabled user or a
  suspended tenant is out at once.
* What: operator pages (/tenants, /audit, /users) answer 403 to tenant
  admins; tenant pages (/customers/{customer_id}/...) answer 403 unless the
  session's customer is that customer (operators included: their platform
  token never reaches a tenant's data). The tenant's calls then use a token
  of that customer only, so Alice refuses anything else as well.
* Forms: every POST carries the session's CSRF token (403 without it).
* Responses: a strict Content-Security-Policy (default-src 'self', no inline
  script or style), no caching of pages, no framing; templates autoescape.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from alice_console import __version__, charts, passwords
from alice_console.alice import Alice
from alice_console.ratelimit import LoginLimiter
from alice_console.sessions import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Session,
    SessionCodec,
    new_csrf,
    same_token,
)
from alice_console.settings import ConsoleSettings
from chad_client import errors
from chad_client.models import EnrichedContext
from chad_client.platform import CustomerChanges
from chad_client.prompt import build_prompt
from chad_client.tenants import TenantSettings

logger = logging.getLogger("alice.console")
HERE = Path(__file__).resolve().parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
PAGE_SIZE = 25
STATUSES = ("active", "suspended")


class Forbidden(HTTPException):
    def __init__(self, detail: str = "This page is not yours to see.") -> None:
        super().__init__(403, detail)


@dataclasses.dataclass
class Console:
    """What the routes share: settings, the Alice connection, sessions, templates."""

    settings: ConsoleSettings
    alice: Alice
    sessions: SessionCodec
    limiter: LoginLimiter
    templates: Environment


def create_app(settings: ConsoleSettings) -> Starlette:
    templates = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    templates.filters["when"] = _when
    templates.filters["json"] = lambda value: json.dumps(value, ensure_ascii=False, indent=1)
    templates.filters["path"] = lambda value: quote(str(value), safe="")
    holder: dict[str, Console] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        alice = Alice(settings)  # on the server's event loop (gRPC channels belong to one)
        app.state.console = Console(
            settings,
            alice,
            SessionCodec(settings.session_secret, settings.session_minutes * 60),
            LoginLimiter(
                settings.login_attempts, settings.address_attempts, settings.login_window_seconds
            ),
            templates,
        )
        holder["console"] = app.state.console
        try:
            yield
        finally:
            await alice.close()

    routes = [
        Route("/", home),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/healthz", healthz),
        # operators
        Route("/tenants", tenants_page),
        Route("/tenants/new", tenant_new_page, methods=["GET"]),
        Route("/tenants/new", tenant_create, methods=["POST"]),
        Route("/tenants/{customer_id:int}", tenant_page, methods=["GET"]),
        Route("/tenants/{customer_id:int}", tenant_update, methods=["POST"]),
        Route("/tenants/{customer_id:int}/status", tenant_status, methods=["POST"]),
        Route("/tenants/{customer_id:int}/admins", tenant_admin_create, methods=["POST"]),
        Route("/tenants/{customer_id:int}/usage", tenant_usage),
        Route("/tenants/{customer_id:int}/backup", tenant_backup, methods=["POST"]),
        Route("/audit", audit_page),
        Route("/users", users_page, methods=["GET"]),
        Route("/users", user_create, methods=["POST"]),
        Route("/users/{user_id:int}/disabled", user_disabled, methods=["POST"]),
        # tenant admins
        Route("/customers/{customer_id:int}/settings", settings_page, methods=["GET"]),
        Route("/customers/{customer_id:int}/settings", settings_update, methods=["POST"]),
        Route("/customers/{customer_id:int}/callers", callers_page),
        Route("/customers/{customer_id:int}/callers/{user_id}", caller_page),
        Route(
            "/customers/{customer_id:int}/callers/{user_id}/export",
            caller_export,
            methods=["POST"],
        ),
        Route(
            "/customers/{customer_id:int}/callers/{user_id}/erase",
            caller_erase_page,
            methods=["GET"],
        ),
        Route(
            "/customers/{customer_id:int}/callers/{user_id}/erase",
            caller_erase,
            methods=["POST"],
        ),
        Route("/customers/{customer_id:int}/audit", my_audit_page),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={
            HTTPException: _http_error,
            errors.AliceError: _alice_error,
        },
    )


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            if name == "Cache-Control" and request.url.path.startswith("/static/"):
                continue
            response.headers.setdefault(name, value)
        return response


# --------------------------------------------------------------------------- helpers


def console_of(request: Request) -> Console:
    return request.app.state.console  # type: ignore[no-any-return]


def render(
    request: Request,
    template: str,
    status_code: int = 200,
    session: Session | None = None,
    **values: Any,
) -> HTMLResponse:
    console = console_of(request)
    page = console.templates.get_template(template).render(
        session=session, version=__version__, path=request.url.path, **values
    )
    return HTMLResponse(page, status_code=status_code)


async def current_session(request: Request) -> Session | None:
    """The request's session if it is valid and its user may still log in."""
    console = console_of(request)
    session = console.sessions.decode(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return None
    try:
        user = await console.alice.platform.get_console_user(session.login)
    except errors.NotFound:
        return None
    if user.disabled or user.id != session.user_id or user.role != session.role:
        return None
    return session


async def require_session(request: Request) -> Session:
    session = await current_session(request)
    if session is None:
        raise HTTPException(303, headers={"Location": "/login"})
    if request.method == "POST":
        form = await request.form()
        if not same_token(session.csrf, form.get("csrf_token")):
            raise Forbidden("The form was not sent by this console (CSRF token missing or wrong).")
    return session


async def require_operator(request: Request) -> Session:
    session = await require_session(request)
    if not session.is_operator:
        raise Forbidden("Operators only.")
    return session


async def require_tenant(request: Request) -> tuple[Session, int]:
    """The session of the tenant admin of the customer named in the path."""
    session = await require_session(request)
    customer_id = int(request.path_params["customer_id"])
    if session.is_operator or session.customer_id != customer_id:
        raise Forbidden()
    return session, customer_id


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "-"


def _field(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (301, 302, 303, 307):
        return RedirectResponse(exc.headers["Location"] if exc.headers else "/", exc.status_code)
    session = await _quiet_session(request)
    return render(
        request,
        "error.html",
        exc.status_code,
        session,
        title={403: "Forbidden", 404: "Not found", 429: "Too many attempts"}.get(
            exc.status_code, "Error"
        ),
        message=exc.detail,
    )


_ERROR_STATUS: dict[type[errors.AliceError], tuple[int, str]] = {
    errors.NotFound: (404, "Not found"),
    errors.PermissionDenied: (403, "Not allowed"),
    errors.InvalidArgument: (400, "Invalid input"),
    errors.AlreadyExists: (409, "Already exists"),
    errors.FailedPrecondition: (409, "Not possible now"),
    errors.RateLimited: (429, "Too many requests"),
    errors.Unavailable: (503, "Alice is unavailable"),
    errors.DeadlineExceeded: (504, "Alice did not answer in time"),
}


async def _alice_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.AliceError)
    status, title = next(
        (v for k, v in _ERROR_STATUS.items() if isinstance(exc, k)), (502, "Alice failed")
    )
    logger.info(
        "%s %s: %s (request id %s)", request.method, request.url.path, title, exc.request_id
    )
    session = await _quiet_session(request)
    return render(
        request,
        "error.html",
        status,
        session,
        title=title,
        message=exc.details,
        request_id=exc.request_id,
    )


async def _quiet_session(request: Request) -> Session | None:
    try:
        return await current_session(request)
    except errors.AliceError:
        return None


def _prompt_preview(customer: Any, settings: TenantSettings) -> dict[str, Any]:
    """The prompt for a new and a returning caller, with chad_client's builder."""
    new = EnrichedContext.empty(customer.id, "+15550000000", "preview")
    returning = dataclasses.replace(new, is_new_caller=False)
    return {
        "new": build_prompt(customer, settings, new),
        "returning": build_prompt(customer, settings, returning, user_name="Dana"),
    }


# --------------------------------------------------------------------------- log-in


async def home(request: Request) -> Response:
    session = await current_session(request)
    if session is None:
        return redirect("/login")
    if session.is_operator:
        return redirect("/tenants")
    return redirect(f"/customers/{session.customer_id}/callers")


async def healthz(request: Request) -> Response:
    healthy = await console_of(request).alice.client.health()
    return Response("ok\n" if healthy else "alice unavailable\n", 200 if healthy else 503)


def _login_form(request: Request, status: int = 200, error: str = "", login: str = "") -> Response:
    console = console_of(request)
    token, cookie = console.sessions.login_token()
    response = render(
        request, "login.html", status, None, csrf_token=token, error=error, login=login
    )
    response.set_cookie(
        LOGIN_COOKIE,
        cookie,
        max_age=3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


async def login_page(request: Request) -> Response:
    if await current_session(request) is not None:
        return redirect("/")
    return _login_form(request)


async def login_submit(request: Request) -> Response:
    console = console_of(request)
    form = await request.form()
    expected = console.sessions.login_token_of(request.cookies.get(LOGIN_COOKIE))
    if not same_token(expected, form.get("csrf_token")):
        raise Forbidden("The log-in form expired or was not sent by this console: reload it.")
    login = _field(form, "login").lower()
    password = form.get("password", "")
    address = client_address(request)
    wait = console.limiter.retry_after(login, address)
    if wait > 0:
        logger.warning("log-in refused: too many failed attempts (address %s)", address)
        response = _login_form(
            request,
            429,
            f"Too many failed log-ins. Try again in {int(wait) + 1} seconds.",
            login,
        )
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    user = None
    if re.fullmatch(r"[a-z0-9][a-z0-9._@-]{1,62}", login):
        with contextlib.suppress(errors.NotFound):
            user = await console.alice.platform.get_console_user(login)
    valid = passwords.verify(user.password_hash if user else None, str(password))
    if user is None or not valid:
        console.limiter.failed(login, address)
        return _login_form(request, 401, "Wrong login or password.", login)
    if user.disabled:
        return _login_form(request, 403, "This account is disabled.", login)
    if user.role == "tenant_admin":
        assert user.customer_id is not None
        customer = await console.alice.platform.get_customer(user.customer_id)
        if customer.status != "active":
            return _login_form(
                request,
                403,
                "This business is suspended: its console is closed. Contact the operator.",
                login,
            )
    console.limiter.succeeded(login)
    await console.alice.platform.update_console_user(user.id, record_login=True)
    session = Session(user.id, user.login, user.role, user.customer_id, new_csrf())
    response = redirect("/")
    response.set_cookie(
        SESSION_COOKIE,
        console.sessions.encode(session),
        max_age=int(console.sessions.max_age),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_COOKIE)
    logger.info("log-in of console user %d (%s)", user.id, user.role)
    return response


async def logout(request: Request) -> Response:
    await require_session(request)
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


# --------------------------------------------------------------------------- operators


async def tenants_page(request: Request) -> Response:
    session = await require_operator(request)
    platform = console_of(request).alice.platform
    query = request.query_params.get("q", "").strip()
    status = request.query_params.get("status", "")
    if status not in STATUSES:
        status = ""
    customers = [
        c
        async for c in platform.iter_customers(status=status or None, page_size=500)  # type: ignore[arg-type]
        if not query
        or query.casefold() in c.business_name.casefold()
        or query in c.twilio_number
        or query == str(c.id)
    ]
    return render(
        request,
        "tenants.html",
        session=session,
        customers=customers,
        query=query,
        status=status,
        statuses=STATUSES,
    )


async def tenant_new_page(request: Request) -> Response:
    session = await require_operator(request)
    return render(request, "tenant_new.html", session=session, values={}, error="")


async def tenant_create(request: Request) -> Response:
    session = await require_operator(request)
    form = await request.form()
    values = {name: _field(form, name) for name in _PROFILE_FIELDS}
    try:
        customer = await console_of(request).alice.platform.create_customer(
            values["business_name"],
            agent_name=values["agent_name"],
            greeting_template=values["greeting_template"],
            voice=values["voice"],
            twilio_number=values["twilio_number"],
            time_zone=values["time_zone"],
        )
    except (errors.InvalidArgument, errors.AlreadyExists) as exc:
        return render(request, "tenant_new.html", 400, session, values=values, error=exc.details)
    return redirect(f"/tenants/{customer.id}")


_PROFILE_FIELDS = (
    "business_name",
    "agent_name",
    "greeting_template",
    "voice",
    "twilio_number",
    "time_zone",
)


async def _tenant_view(
    request: Request, session: Session, customer_id: int, status: int = 200, **extra: Any
) -> Response:
    platform = console_of(request).alice.platform
    customer = await platform.get_customer(customer_id)
    admins = (await platform.list_console_users(customer_id, page_size=100)).items
    return render(
        request,
        "tenant.html",
        status,
        session,
        customer=customer,
        admins=admins,
        preview=_prompt_preview(customer, TenantSettings()),
        **({"error": "", "notice": ""} | extra),
    )


async def tenant_page(request: Request) -> Response:
    session = await require_operator(request)
    notice = {"saved": "Saved.", "admin": "Tenant admin created."}.get(
        request.query_params.get("done", ""), ""
    )
    return await _tenant_view(request, session, request.path_params["customer_id"], notice=notice)


async def tenant_update(request: Request) -> Response:
    session = await require_operator(request)
    customer_id = request.path_params["customer_id"]
    form = await request.form()
    values = {name: _field(form, name) for name in _PROFILE_FIELDS}
    changes = CustomerChanges(**values)  # type: ignore[arg-type]
    try:
        await console_of(request).alice.platform.update_customer(customer_id, changes)
    except (errors.InvalidArgument, errors.AlreadyExists) as exc:
        return await _tenant_view(request, session, customer_id, 400, error=exc.details)
    return redirect(f"/tenants/{customer_id}?done=saved")


async def tenant_status(request: Request) -> Response:
    await require_operator(request)
    customer_id = request.path_params["customer_id"]
    form = await request.form()
    action = _field(form, "action")
    if action not in ("suspend", "resume"):
        raise HTTPException(400, "action must be suspend or resume")
    status = "suspended" if action == "suspend" else "active"
    await console_of(request).alice.platform.update_customer(
        customer_id,
        CustomerChanges(status=status),  # type: ignore[arg-type]
    )
    return redirect(f"/tenants/{customer_id}")


async def tenant_admin_create(request: Request) -> Response:
    session = await require_operator(request)
    customer_id = request.path_params["customer_id"]
    form = await request.form()
    try:
        password_hash = passwords.hash_password(str(form.get("password", "")))
        await console_of(request).alice.platform.create_console_user(
            _field(form, "login"), password_hash, role="tenant_admin", customer_id=customer_id
        )
    except passwords.WeakPassword as exc:
        return await _tenant_view(request, session, customer_id, 400, error=str(exc))
    except (errors.InvalidArgument, errors.AlreadyExists) as exc:
        return await _tenant_view(request, session, customer_id, 400, error=exc.details)
    return redirect(f"/tenants/{customer_id}?done=admin")


async def tenant_usage(request: Request) -> Response:
    session = await require_operator(request)
    customer_id = request.path_params["customer_id"]
    try:
        days = int(request.query_params.get("days", "30"))
    except ValueError:
        days = 30
    days = min(max(days, 1), 366)
    platform = console_of(request).alice.platform
    customer = await platform.get_customer(customer_id)
    usage = await platform.get_tenant_usage(customer_id, days=days)
    labels = [d.date.isoformat() for d in usage]
    series = {
        "Calls per day": charts.bar_chart(
            "Calls per day", labels, [d.calls for d in usage], css_class="calls"
        ),
        "Callers per day (distinct)": charts.bar_chart(
            "Callers per day", labels, [d.callers for d in usage], css_class="callers"
        ),
        "New callers per day": charts.bar_chart(
            "New callers per day", labels, [d.new_callers for d in usage], css_class="callers"
        ),
        "Memories stored per day": charts.bar_chart(
            "Memories stored per day", labels, [d.memories for d in usage], css_class="memories"
        ),
        "RPCs per day (failed in red)": charts.bar_chart(
            "RPCs per day",
            labels,
            [d.rpc_count for d in usage],
            css_class="rpcs",
            errors=[d.error_count for d in usage],
        ),
    }
    totals = {
        "calls": sum(d.calls for d in usage),
        "new_callers": sum(d.new_callers for d in usage),
        "memories": sum(d.memories for d in usage),
        "rpcs": sum(d.rpc_count for d in usage),
        "errors": sum(d.error_count for d in usage),
    }
    return render(
        request,
        "usage.html",
        session=session,
        customer=customer,
        charts=series,
        usage=usage,
        totals=totals,
        days=days,
    )


async def tenant_backup(request: Request) -> Response:
    await require_operator(request)
    customer_id = request.path_params["customer_id"]
    platform = console_of(request).alice.platform
    await platform.get_customer(customer_id)  # NOT_FOUND as a page, before the download
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")

    async def lines() -> AsyncIterator[bytes]:
        async for item in platform.iter_customer_export(customer_id):
            yield (json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n").encode()

    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson",
        headers={
            "Content-Disposition": f'attachment; filename="customer-{customer_id}-{stamp}.jsonl"'
        },
    )


async def audit_page(request: Request) -> Response:
    session = await require_operator(request)
    raw = request.query_params.get("customer_id", "").strip()
    customer_id = int(raw) if raw.isdigit() else 0
    page = await console_of(request).alice.platform.list_audit_records(
        customer_id,
        page_size=PAGE_SIZE,
        page_token=request.query_params.get("page_token", ""),
    )
    return render(
        request,
        "audit.html",
        session=session,
        records=page.items,
        next_page_token=page.next_page_token,
        customer_id=customer_id or "",
        scope="platform",
    )


async def users_page(request: Request, status: int = 200, error: str = "") -> Response:
    session = await require_operator(request)
    page = await console_of(request).alice.platform.list_console_users(
        page_size=PAGE_SIZE, page_token=request.query_params.get("page_token", "")
    )
    return render(
        request,
        "users.html",
        status,
        session,
        users=page.items,
        next_page_token=page.next_page_token,
        error=error,
    )


async def user_create(request: Request) -> Response:
    await require_operator(request)
    form = await request.form()
    try:
        password_hash = passwords.hash_password(str(form.get("password", "")))
        await console_of(request).alice.platform.create_console_user(
            _field(form, "login"), password_hash, role="operator"
        )
    except passwords.WeakPassword as exc:
        return await users_page(request, 400, str(exc))
    except (errors.InvalidArgument, errors.AlreadyExists) as exc:
        return await users_page(request, 400, exc.details)
    return redirect("/users")


async def user_disabled(request: Request) -> Response:
    session = await require_operator(request)
    user_id = request.path_params["user_id"]
    form = await request.form()
    disable = _field(form, "disabled") == "true"
    if disable and user_id == session.user_id:
        raise HTTPException(400, "You cannot disable yourself.")
    await console_of(request).alice.platform.update_console_user(user_id, disabled=disable)
    return redirect("/users")


# --------------------------------------------------------------------------- tenant admins


async def _settings_view(
    request: Request, session: Session, customer_id: int, status: int = 200, **extra: Any
) -> Response:
    tenant = console_of(request).alice.tenant(customer_id)
    customer = await tenant.get_my_customer()
    settings = await tenant.get_tenant_settings()
    return render(
        request,
        "settings.html",
        status,
        session,
        customer=customer,
        settings=settings,
        preview=_prompt_preview(customer, settings),
        **({"error": "", "notice": ""} | extra),
    )


async def settings_page(request: Request) -> Response:
    session, customer_id = await require_tenant(request)
    notice = "Saved." if request.query_params.get("done") == "saved" else ""
    return await _settings_view(request, session, customer_id, notice=notice)


_TEXT_SETTINGS = ("new_caller_greeting", "returning_caller_greeting", "voice")


async def settings_update(request: Request) -> Response:
    session, customer_id = await require_tenant(request)
    form = await request.form()
    values = {name: _field(form, name) for name in _TEXT_SETTINGS}
    tenant = console_of(request).alice.tenant(customer_id)
    try:
        await tenant.update_tenant_settings(
            TenantSettings(
                new_caller_greeting=values["new_caller_greeting"] or None,
                returning_caller_greeting=values["returning_caller_greeting"] or None,
                voice=values["voice"] or None,
            ),
            clear=[k for k, v in values.items() if not v],
        )
    except errors.InvalidArgument as exc:
        return await _settings_view(request, session, customer_id, 400, error=exc.details)
    return redirect(f"/customers/{customer_id}/settings?done=saved")


async def callers_page(request: Request) -> Response:
    session, customer_id = await require_tenant(request)
    tenant = console_of(request).alice.tenant(customer_id)
    query = request.query_params.get("q", "").strip()
    if query:
        try:
            profiles = [await tenant.get_caller_profile(query)]
        except (errors.NotFound, errors.InvalidArgument):
            profiles = []
        next_page_token = ""
    else:
        page = await tenant.list_caller_profiles(
            page_size=PAGE_SIZE, page_token=request.query_params.get("page_token", "")
        )
        profiles, next_page_token = page.items, page.next_page_token
    customer = await tenant.get_my_customer()
    stats = await tenant.get_tenant_stats()
    return render(
        request,
        "callers.html",
        session=session,
        customer=customer,
        profiles=profiles,
        query=query,
        next_page_token=next_page_token,
        stats=stats,
    )


async def caller_page(request: Request) -> Response:
    session, customer_id = await require_tenant(request)
    user_id = request.path_params["user_id"]
    tenant = console_of(request).alice.tenant(customer_id)
    profile = await tenant.get_caller_profile(user_id)
    summaries = (await tenant.list_call_summaries(profile.user_id, page_size=10)).items
    memories = (await tenant.list_memories(profile.user_id, page_size=50)).items
    transcript = None
    if summaries:
        with contextlib.suppress(errors.NotFound):
            transcript = await tenant.get_call_transcript(summaries[0].call_id)
    follow_ups = (await tenant.list_follow_ups(profile.user_id, status="open")).items
    customer = await tenant.get_my_customer()
    return render(
        request,
        "caller.html",
        session=session,
        customer=customer,
        profile=profile,
        summaries=summaries,
        memories=memories,
        transcript=transcript,
        follow_ups=follow_ups,
    )


async def caller_export(request: Request) -> Response:
    _session, customer_id = await require_tenant(request)
    user_id = request.path_params["user_id"]
    tenant = console_of(request).alice.tenant(customer_id)
    rows = await tenant.export_user_data(user_id)
    document = {
        "customer_id": customer_id,
        "user_id": user_id,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(),
        "rows": [{"table": r.table, "row": r.row} for r in rows],
    }
    safe_name = re.sub(r"[^0-9A-Za-z+_-]", "_", user_id)[:64]
    return Response(
        json.dumps(document, ensure_ascii=False, indent=1),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="caller-{safe_name}.json"'},
    )


async def caller_erase_page(request: Request) -> Response:
    session, customer_id = await require_tenant(request)
    tenant = console_of(request).alice.tenant(customer_id)
    profile = await tenant.get_caller_profile(request.path_params["user_id"])
    customer = await tenant.get_my_customer()
    return render(
        request, "erase.html", session=session, customer=customer, profile=profile, error=""
    )


async def caller_erase(request: Request) -> Response:
    session, customer_id = await require_tenant(request)
    tenant = console_of(request).alice.tenant(customer_id)
    profile = await tenant.get_caller_profile(request.path_params["user_id"])
    customer = await tenant.get_my_customer()
    form = await request.form()
    if _field(form, "confirm") != profile.user_id:
        return render(
            request,
            "erase.html",
            400,
            session,
            customer=customer,
            profile=profile,
            error=f"Type the caller's number exactly ({profile.user_id}) to confirm.",
        )
    erasure = await tenant.delete_user_data(profile.user_id)
    return render(request, "erased.html", session=session, user_id=profile.user_id, erasure=erasure)


async def my_audit_page(request: Request) -> Response:
    session, customer_id = await require_tenant(request)
    tenant = console_of(request).alice.tenant(customer_id)
    page = await tenant.list_my_audit_records(
        page_size=PAGE_SIZE, page_token=request.query_params.get("page_token", "")
    )
    return render(
        request,
        "audit.html",
        session=session,
        customer=await tenant.get_my_customer(),
        records=page.items,
        next_page_token=page.next_page_token,
        customer_id=customer_id,
        scope="tenant",
    )
