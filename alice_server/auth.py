"""Tokens and the tenant of the current RPC.

A request is authenticated by `authorization: Bearer <JWT>` metadata: HS256
only, signed with JWT_SECRET_KEY, with the claims

    customer_id  the tenant, a positive integer (never a string, float or bool)
    scope        space-separated scopes: "memory:read", "memory:write";
                 "memory:read:write" grants both
    iat, exp     required

The tenant fixed here reaches the handlers through a context variable
(`current_tenant()`): handlers never take a customer_id from the request.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import jwt

from alice_server.domain.errors import PermissionDenied, Unauthenticated

ALGORITHM = "HS256"
SCOPE_READ = "memory:read"
SCOPE_WRITE = "memory:write"
SCOPE_READ_WRITE = "memory:read:write"
_SCOPE_GRANTS = {SCOPE_READ_WRITE: frozenset({SCOPE_READ, SCOPE_WRITE})}
SCOPE_PRIVACY = "privacy:admin"  # a tenant's GDPR requests (PrivacyService)
MAX_CUSTOMER_ID = 2**63 - 1
CLOCK_SKEW_SECONDS = 5


@dataclass(frozen=True, slots=True)
class Tenant:
    """Who is calling: the customer (tenant) and the scopes its token grants."""

    customer_id: int
    scopes: frozenset[str]

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise PermissionDenied(f"the token lacks the scope {scope!r} needed for this call")


_current: contextvars.ContextVar[Tenant] = contextvars.ContextVar("alice_tenant")


def current_tenant() -> Tenant:
    """The tenant of the RPC being handled. Raises if called outside an RPC."""
    try:
        return _current.get()
    except LookupError:
        raise RuntimeError(
            "no tenant: current_tenant() called outside an authenticated RPC"
        ) from None


def bind_tenant(tenant: Tenant) -> contextvars.Token[Tenant]:
    return _current.set(tenant)


def unbind_tenant(token: contextvars.Token[Tenant]) -> None:
    _current.reset(token)


def current_customer_id() -> int | None:
    """The tenant's customer_id for log records; None outside an RPC."""
    tenant = _current.get(None)
    return tenant.customer_id if tenant is not None else None


def expand_scopes(scope_claim: str) -> frozenset[str]:
    granted: set[str] = set()
    for scope in scope_claim.split():
        granted |= _SCOPE_GRANTS.get(scope, {scope})
    return frozenset(granted)


class TokenRejected(Unauthenticated):
    """A token refused, with a machine-readable `reason` (sent as google.rpc.ErrorInfo)."""

    def __init__(self, message: str, reason: str = "TOKEN_INVALID") -> None:
        super().__init__(message)
        self.reason = reason


# ErrorInfo reasons a client can act on (chad_client renews on TOKEN_EXPIRED).
REASON_MISSING = "TOKEN_MISSING"
REASON_INVALID = "TOKEN_INVALID"
REASON_EXPIRED = "TOKEN_EXPIRED"
ERROR_DOMAIN = "alice.memory.v1"

# Longer values are not tokens this service mints; they are refused unparsed.
MAX_TOKEN_CHARS = 4096
# Verified tokens remembered per process (first in, first out past this).
TOKEN_CACHE_SIZE = 4096
# Claims beyond this (year 33658) are nonsense, whatever their type.
_MAX_TIME_CLAIM = 10**12
DEFAULT_MAX_LIFETIME_SECONDS = 86400

# What PyJWT and the JSON/base64 parsing under it raise for hostile input:
# every one of them is the caller's fault, so UNAUTHENTICATED, never INTERNAL.
_PARSE_ERRORS = (
    jwt.PyJWTError,
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    OverflowError,
    RecursionError,
)


class TokenVerifier:
    """Checks bearer tokens. Every failure is `TokenRejected` saying which check failed.

    A token that passed every check is remembered (keyed by the whole token
    string, so one token's result never serves another) until its own `exp`,
    never later: repeated calls with one token cost a dictionary lookup instead
    of an HMAC and a JSON parse. At most TOKEN_CACHE_SIZE tokens are kept.
    """

    def __init__(
        self,
        secret: str,
        *,
        max_lifetime_seconds: float = DEFAULT_MAX_LIFETIME_SECONDS,
        cache_size: int = TOKEN_CACHE_SIZE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret
        self._max_lifetime = max_lifetime_seconds
        self._cache_size = cache_size
        self._clock = clock
        self._verified: dict[str, tuple[Tenant | Platform, float]] = {}  # token -> (who, exp)

    def verify_header(self, values: Iterable[str]) -> Tenant:
        """Verify the `authorization` metadata values of one request."""
        return self.verify(self._bearer(values))

    def _bearer(self, values: Iterable[str]) -> str:
        headers = list(values)
        if not headers:
            raise TokenRejected(
                "missing authorization metadata: send 'authorization: Bearer <JWT>'",
                REASON_MISSING,
            )
        if len(headers) > 1:
            raise TokenRejected("send exactly one authorization metadata entry")
        scheme, _, token = headers[0].strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenRejected("authorization metadata must be 'Bearer <JWT>'", REASON_MISSING)
        return token.strip()

    def verify(self, token: str) -> Tenant:
        """A tenant token's tenant; a platform token is refused here."""
        principal = self.verify_principal(token)
        if not isinstance(principal, Tenant):
            raise TokenRejected("a platform token does not act for a customer: use a tenant token")
        return principal

    def verify_principal_header(self, values: Iterable[str]) -> Tenant | Platform:
        """Like `verify_header`, but a platform token gives a `Platform`."""
        return self.verify_principal(self._bearer(values))

    def verify_principal(self, token: str) -> Tenant | Platform:
        """Every check of the token, or the remembered result of an earlier one."""
        cached = self._verified.get(token)
        if cached is not None:
            if self._clock() < cached[1]:
                return cached[0]
            del self._verified[token]  # past its exp: checked afresh (and refused)
        if len(token) > MAX_TOKEN_CHARS:
            raise TokenRejected(f"the token is longer than {MAX_TOKEN_CHARS} characters")
        claims = self._decode(token)
        expires = self._lifetime(claims)
        principal = _principal(claims)
        if self._cache_size > 0 and self._clock() < expires:
            if len(self._verified) >= self._cache_size:
                del self._verified[next(iter(self._verified))]
            self._verified[token] = (principal, float(expires))
        return principal

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except _PARSE_ERRORS:
            raise TokenRejected("the token is malformed: expected a JWT") from None
        if header.get("alg") != ALGORITHM:
            raise TokenRejected(f"the token must be signed with {ALGORITHM}")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": ["exp", "iat"], "verify_aud": False},
                leeway=CLOCK_SKEW_SECONDS,
            )
        except jwt.ExpiredSignatureError:
            # PyJWT reads `"exp": true` as 1 (long expired): not a time at all.
            _time_claim(jwt.decode(token, options={"verify_signature": False}), "exp")
            raise TokenRejected("the token has expired: mint a new one", REASON_EXPIRED) from None
        except jwt.InvalidSignatureError:
            raise TokenRejected("the token's signature is invalid") from None
        except jwt.MissingRequiredClaimError as exc:
            raise TokenRejected(f"the token lacks the required claim {exc.claim!r}") from None
        except jwt.ImmatureSignatureError:
            raise TokenRejected("the token's iat or nbf lies in the future") from None
        except _PARSE_ERRORS:
            raise TokenRejected("the token is malformed or its claims are invalid") from None
        if not isinstance(claims, dict):
            raise TokenRejected("the token's claims must be a JSON object")
        return claims

    def _lifetime(self, claims: dict[str, Any]) -> float:
        """exp; iat and exp must be JSON numbers, exp - iat within the allowed lifetime."""
        issued, expires = _time_claim(claims, "iat"), _time_claim(claims, "exp")
        if expires <= issued:
            raise TokenRejected("the token's exp must be later than its iat")
        if expires - issued > self._max_lifetime:
            raise TokenRejected(
                f"the token lives longer than {self._max_lifetime:g} seconds (exp - iat): "
                "mint shorter-lived tokens"
            )
        return expires


def _time_claim(claims: dict[str, Any], name: str) -> float:
    value: Any = claims.get(name)
    # bool is an int subclass; strings such as "9999999999" PyJWT would accept.
    if type(value) not in (int, float) or not abs(value) < _MAX_TIME_CLAIM:
        raise TokenRejected(f"the token's {name} must be a number of seconds since the epoch")
    return float(value)


def _principal(claims: dict[str, Any]) -> Tenant | Platform:
    """A tenant token (customer_id) or a platform token (platform: true, no customer_id)."""
    if PLATFORM_CLAIM not in claims:
        return Tenant(customer_id=_customer_id(claims), scopes=_scopes(claims))
    if claims[PLATFORM_CLAIM] is not True:
        raise TokenRejected(f"the token's {PLATFORM_CLAIM!r} claim must be true")
    if "customer_id" in claims:
        raise TokenRejected("a platform token must not carry a customer_id")
    return Platform(scopes=_scopes(claims))


def _customer_id(claims: dict[str, Any]) -> int:
    if "customer_id" not in claims:
        raise TokenRejected("the token lacks the required claim 'customer_id'")
    value = claims["customer_id"]
    # bool is an int subclass: True must not be customer 1.
    if type(value) is not int or not 0 < value <= MAX_CUSTOMER_ID:
        raise TokenRejected("the token's customer_id must be a positive integer")
    return value


def _scopes(claims: dict[str, Any]) -> frozenset[str]:
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise TokenRejected("the token's scope must be a space-separated string")
    return expand_scopes(scope)


def mint_token(
    secret: str,
    customer_id: int,
    *,
    scope: str = f"{SCOPE_READ} {SCOPE_WRITE}",
    ttl_seconds: int = 3600,
    now: float | None = None,
) -> str:
    """A token for `customer_id`, as the voice agent mints them (and alice-admin)."""
    if type(customer_id) is not int or customer_id <= 0:
        raise ValueError("customer_id must be a positive integer")
    issued = int(time.time() if now is None else now)
    payload = {
        "customer_id": customer_id,
        "scope": scope,
        "iat": issued,
        "exp": issued + ttl_seconds,
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


# --------------------------------------------------------------------------- platform tokens
# (t-tenants) Operators' tokens: claims `platform: true`, `scope`, `iat`, `exp`, and no
# customer_id. They reach only the platform RPCs (rpc_scopes.PLATFORM_METHOD_SCOPES); a
# tenant token never reaches those, and a platform token never reaches a tenant RPC.

PLATFORM_CLAIM = "platform"
SCOPE_PLATFORM_ADMIN = "platform:admin"
SCOPE_PLATFORM_LOOKUP = "platform:lookup"
_SCOPE_GRANTS[SCOPE_PLATFORM_ADMIN] = frozenset({SCOPE_PLATFORM_ADMIN, SCOPE_PLATFORM_LOOKUP})

# Every scope a token may usefully carry (alice-admin mints no other;
# tests/test_admin_tokens.py checks that the RPCs' scopes are among them).
TENANT_SCOPES = frozenset({SCOPE_READ, SCOPE_WRITE, SCOPE_READ_WRITE, SCOPE_PRIVACY})
PLATFORM_SCOPES = frozenset({SCOPE_PLATFORM_ADMIN, SCOPE_PLATFORM_LOOKUP})


@dataclass(frozen=True, slots=True)
class Platform:
    """An operator (alice-admin) or the call router: no tenant, platform scopes only."""

    scopes: frozenset[str]

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise PermissionDenied(f"the platform token lacks the scope {scope!r}")


def mint_platform_token(
    secret: str,
    *,
    scope: str = SCOPE_PLATFORM_ADMIN,
    ttl_seconds: int = 3600,
    now: float | None = None,
) -> str:
    """A platform token (alice-admin mint-platform-token)."""
    if not scope.split() or any(not s.startswith("platform:") for s in scope.split()):
        raise ValueError("platform scopes start with 'platform:'")
    issued = int(time.time() if now is None else now)
    payload = {PLATFORM_CLAIM: True, "scope": scope, "iat": issued, "exp": issued + ttl_seconds}
    return jwt.encode(payload, secret, algorithm=ALGORITHM)
