"""Signed session cookies and CSRF tokens.

The cookie holds who logged in (user id, login, role, customer) and the
session's CSRF token, signed with ALICE_CONSOLE_SESSION_SECRET
(itsdangerous, HMAC-SHA1 over a timestamped payload). It expires
ALICE_CONSOLE_SESSION_MINUTES after the log-in, whatever happens meanwhile:
the signature covers the log-in time, so nobody can extend it. The cookie is
HttpOnly, SameSite=Lax, and Secure when the console is reached over https.

Every POST form carries the session's CSRF token (`csrf_token`), compared in
constant time; the log-in form, before any session, uses a token of its own
cookie (double submit, signed).
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

SESSION_COOKIE = "alice_console_session"
LOGIN_COOKIE = "alice_console_login"


@dataclass(frozen=True, slots=True)
class Session:
    user_id: int
    login: str
    role: str  # "operator" | "tenant_admin"
    customer_id: int | None
    csrf: str

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"


def _serializer(secret: str, salt: str, clock: Callable[[], float]) -> URLSafeTimedSerializer:
    class Signer(TimestampSigner):
        def get_timestamp(self) -> int:  # used when signing and when checking the age
            return int(clock())

    return URLSafeTimedSerializer(
        secret, salt=salt, signer=Signer, signer_kwargs={"key_derivation": "hmac"}
    )


class SessionCodec:
    def __init__(
        self, secret: str, max_age_seconds: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.max_age = max_age_seconds
        self._sessions = _serializer(secret, "alice-console-session", clock)
        self._login = _serializer(secret, "alice-console-login", clock)

    def encode(self, session: Session) -> str:
        payload: dict[str, Any] = {
            "u": session.user_id,
            "l": session.login,
            "r": session.role,
            "c": session.customer_id,
            "x": session.csrf,
        }
        return str(self._sessions.dumps(payload))

    def decode(self, cookie: str | None) -> Session | None:
        """The session, or None if the cookie is missing, forged or expired."""
        if not cookie:
            return None
        try:
            data = self._sessions.loads(cookie, max_age=max(1, int(self.max_age)))
            return Session(
                int(data["u"]), str(data["l"]), str(data["r"]), data["c"], str(data["x"])
            )
        except (BadSignature, KeyError, TypeError, ValueError):
            return None

    def login_token(self) -> tuple[str, str]:
        """A CSRF token for the log-in form and its signed cookie value."""
        token = secrets.token_urlsafe(24)
        return token, str(self._login.dumps(token))

    def login_token_of(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            return str(self._login.loads(cookie, max_age=3600))
        except BadSignature:
            return None


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def same_token(expected: str | None, given: object) -> bool:
    return (
        expected is not None
        and expected != ""
        and isinstance(given, str)
        and hmac.compare_digest(expected.encode(), given.encode())
    )
