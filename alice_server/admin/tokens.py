"""What alice-admin checks before it mints a token: a token the server would
refuse (lifetime over ALICE_MAX_TOKEN_LIFETIME_SECONDS, a scope no RPC knows)
is a mistake the operator should hear about at once, not at the first call."""

from __future__ import annotations

from alice_server.auth import PLATFORM_SCOPES, TENANT_SCOPES
from alice_server.config import ConfigError, Settings


def check_token_request(settings: Settings, scope: str, ttl: int, *, platform: bool) -> None:
    """Raise ConfigError (one line naming the option) unless the server would accept
    a token with these scopes and this lifetime."""
    known = PLATFORM_SCOPES if platform else TENANT_SCOPES
    if not scope.split():
        raise ConfigError(f"--scope is empty; use one or more of: {', '.join(sorted(known))}")
    unknown = [s for s in scope.split() if s not in known]
    if unknown:
        kind = "platform token" if platform else "tenant token"
        raise ConfigError(
            f"--scope {' '.join(unknown)!r}: not a scope of a {kind}; "
            f"use one or more of: {', '.join(sorted(known))}"
        )
    limit = settings.max_token_lifetime_seconds
    if ttl <= 0:
        raise ConfigError("--ttl must be a positive number of seconds")
    if ttl > limit:
        raise ConfigError(
            f"--ttl {ttl} is over ALICE_MAX_TOKEN_LIFETIME_SECONDS ({limit:g}): "
            "the server would refuse the token; use a shorter --ttl"
        )
