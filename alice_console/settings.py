"""alice-console's settings: environment variables, read once at start-up.

A bad value stops the console with a message naming the variable
(`ConsoleConfigError`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

MIN_SECRET_BYTES = 32


class ConsoleConfigError(ValueError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class ConsoleSettings:
    alice_addr: str
    jwt_secret: str
    session_secret: str
    session_minutes: float = 60.0
    listen: str = "127.0.0.1:8080"
    alice_ca_file: Path | None = None
    login_attempts: int = 5
    login_window_seconds: float = 900.0
    address_attempts: int = 20
    forwarded_allow_ips: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ConsoleSettings:
        env = os.environ if env is None else env
        return cls(
            alice_addr=env.get("ALICE_ADDR", "127.0.0.1:50051").strip(),
            jwt_secret=_jwt_secret(env),
            session_secret=_secret(env, "ALICE_CONSOLE_SESSION_SECRET"),
            session_minutes=_number(env, "ALICE_CONSOLE_SESSION_MINUTES", 60.0, 0.05, 7 * 24 * 60),
            listen=env.get("ALICE_CONSOLE_LISTEN", "127.0.0.1:8080").strip(),
            alice_ca_file=_optional_file(env, "ALICE_CONSOLE_ALICE_CA_FILE"),
            login_attempts=int(_number(env, "ALICE_CONSOLE_LOGIN_ATTEMPTS", 5, 1, 1000)),
            login_window_seconds=_number(
                env, "ALICE_CONSOLE_LOGIN_WINDOW_SECONDS", 900.0, 1, 86400
            ),
            address_attempts=int(_number(env, "ALICE_CONSOLE_ADDRESS_ATTEMPTS", 20, 1, 10000)),
            forwarded_allow_ips=env.get("ALICE_CONSOLE_FORWARDED_ALLOW_IPS", "").strip(),
        )


def default_data_dir(env: Mapping[str, str]) -> Path:
    """ALICE_DATA_DIR as alice-server reads it (where the embedded database keeps its secret)."""
    if env.get("ALICE_DATA_DIR"):
        return Path(env["ALICE_DATA_DIR"]).expanduser()
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "alice"


def _jwt_secret(env: Mapping[str, str]) -> str:
    """JWT_SECRET_KEY; else the file ALICE_CONSOLE_JWT_SECRET_FILE; else the
    embedded Alice's own (ALICE_DATA_DIR/jwt_secret), as alice-admin reads it."""
    if env.get("JWT_SECRET_KEY"):
        return _secret(env, "JWT_SECRET_KEY")
    named = env.get("ALICE_CONSOLE_JWT_SECRET_FILE")
    path = Path(named).expanduser() if named else default_data_dir(env) / "jwt_secret"
    name = "ALICE_CONSOLE_JWT_SECRET_FILE" if named else f"{path} (the embedded Alice's secret)"
    try:
        value = path.read_text().strip()
    except OSError as exc:
        raise ConsoleConfigError(
            "set JWT_SECRET_KEY (the secret Alice verifies tokens with) or "
            f"ALICE_CONSOLE_JWT_SECRET_FILE: cannot read {name}: {exc.strerror or exc}"
        ) from None
    if len(value.encode()) < MIN_SECRET_BYTES:
        raise ConsoleConfigError(f"{name} must hold at least {MIN_SECRET_BYTES} bytes")
    return value


def _secret(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    if not value:
        raise ConsoleConfigError(
            f"{name} is required: at least {MIN_SECRET_BYTES} random bytes, for example "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )
    if len(value.encode()) < MIN_SECRET_BYTES:
        raise ConsoleConfigError(f"{name} must be at least {MIN_SECRET_BYTES} bytes")
    return value


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConsoleConfigError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConsoleConfigError(f"{name} must be between {low:g} and {high:g}, got {raw!r}")
    return value


def _optional_file(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    path = Path(raw).expanduser()
    if not path.is_file():
        raise ConsoleConfigError(f"{name}: no such file {raw!r}")
    return path
