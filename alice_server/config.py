"""Settings, read once from the environment at start-up.

Each setting is declared once, as a field of `Settings` whose metadata names its
environment variable, its parser and what it means; `Settings.from_env` reads
them all from that. Every setting is documented in docs/settings.md (linked from README.md;
tests/test_readme_reference.py checks the names and defaults agree). A bad
value stops the process with a `ConfigError` naming the variable, never a
traceback.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alice_server.data_dir import default_data_dir
from chad_client.tokens import MIN_SECRET_BYTES

DEFAULT_APP_ROLE = "alice_app"
_ROLE_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# What a parser gets: the variable's name (for messages) and its non-empty value.
Parser = Callable[[str, str], Any]
# A default that depends on the environment or the machine.
Computed = Callable[[Mapping[str, str]], Any]


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names it and says what to do."""


@dataclass(frozen=True, slots=True)
class EnvSetting:
    """How one field of `Settings` is read: `env`, parsed by `parse` when set and
    not blank, else `default` (a value, or a `Computed` of the environment)."""

    env: str
    parse: Parser
    default: Any
    doc: str


def _setting(env: str, parse: Parser, default: Any, doc: str, *, secret: bool = False) -> Any:
    spec = EnvSetting(env, parse, default, doc)
    if callable(default):
        return field(
            default_factory=lambda: default(os.environ), repr=not secret, metadata={"env": spec}
        )
    return field(default=default, repr=not secret, metadata={"env": spec})


# --------------------------------------------------------------------------- parsers


def text(name: str, raw: str) -> str:
    return raw


def upper(name: str, raw: str) -> str:
    return raw.upper()


def lower(name: str, raw: str) -> str:
    return raw.lower()


def path(name: str, raw: str) -> Path:
    return Path(raw).expanduser()


def integer(*, minimum: int) -> Parser:
    def parse(name: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
        if value < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, got {value}")
        return value

    return parse


def number(*, minimum: float) -> Parser:
    def parse(name: str, raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {raw!r}") from None
        if not value >= minimum:  # also refuses NaN
            raise ConfigError(f"{name} must be at least {minimum}, got {raw}")
        return value

    return parse


def boolean(name: str, raw: str) -> bool:
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


# --------------------------------------------------------------------------- computed defaults


def cores(env: Mapping[str, str] | None = None) -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS has no sched_getaffinity
        return os.cpu_count() or 1


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True, slots=True)
class Settings:
    """All of Alice's settings. Build with `Settings.from_env()`."""

    database_url: str | None = _setting(
        "DATABASE_URL", text, None, "the service role's URL; unset: the embedded database"
    )
    admin_database_url: str | None = _setting(
        "ALICE_ADMIN_DATABASE_URL", text, None, "the schema owner's URL (alice-admin)"
    )
    jwt_secret: str | None = _setting(
        "JWT_SECRET_KEY", text, None, "the HS256 secret shared with the voice agent", secret=True
    )
    listen_address: str = _setting(
        "ALICE_LISTEN_ADDRESS", text, "127.0.0.1:50051", "host:port to listen on"
    )
    data_dir: Path = _setting(
        "ALICE_DATA_DIR", path, default_data_dir, "the embedded database and its secret"
    )
    default_region: str = _setting(
        "ALICE_DEFAULT_REGION", upper, "US", "region of phone numbers without a country code"
    )
    app_role: str = _setting(
        "ALICE_DB_APP_ROLE", text, DEFAULT_APP_ROLE, "the service role the migrations create"
    )
    db_pool_size: int = _setting(
        "ALICE_DB_POOL_SIZE", integer(minimum=1), 10, "pooled connections per process"
    )
    db_statement_timeout_ms: int = _setting(
        "ALICE_DB_STATEMENT_TIMEOUT_MS", integer(minimum=0), 5000, "statement_timeout; 0: none"
    )
    db_statement_cache_size: int = _setting(
        "ALICE_DB_STATEMENT_CACHE_SIZE",
        integer(minimum=0),
        100,
        "asyncpg's prepared statements per connection; 0 behind pgbouncer < 1.21",
    )
    db_max_tenant_share: float = _setting(
        "ALICE_DB_MAX_TENANT_SHARE",
        number(minimum=0.0),
        0.5,
        "the fraction of the pool one customer may hold",
    )
    customer_cache_seconds: float = _setting(
        "ALICE_CUSTOMER_CACHE_SECONDS",
        number(minimum=0),
        10.0,
        "how long a customer's status is cached",
    )
    rate_limit_per_second: float = _setting(
        "ALICE_RATE_LIMIT_PER_SECOND", number(minimum=0), 100.0, "calls per second per customer"
    )
    rate_limit_burst: int = _setting(
        "ALICE_RATE_LIMIT_BURST", integer(minimum=1), 200, "calls a customer may make at once"
    )
    shutdown_grace_seconds: float = _setting(
        "ALICE_SHUTDOWN_GRACE_SECONDS",
        number(minimum=0),
        10.0,
        "how long running calls may finish on SIGTERM",
    )
    summarizer_processes: int = _setting(
        "ALICE_SUMMARIZER_PROCESSES",
        integer(minimum=0),
        1,
        "worker processes of the built-in summariser; 0: in the event loop",
    )
    max_pending_rpcs: int = _setting(
        "ALICE_MAX_PENDING_RPCS",
        integer(minimum=1),
        20000,
        "calls gRPC may hold before a handler takes them; past it gRPC cancels calls",
    )
    max_message_bytes: int = _setting(
        "ALICE_MAX_MESSAGE_BYTES",
        integer(minimum=64 * 1024),
        4 * 1024 * 1024,
        "largest request or response message",
    )
    reflection: bool = _setting("ALICE_REFLECTION", boolean, True, "serve gRPC reflection")
    tls_cert_file: Path | None = _setting(
        "ALICE_TLS_CERT_FILE", path, None, "PEM certificate chain: serve TLS"
    )
    tls_key_file: Path | None = _setting("ALICE_TLS_KEY_FILE", path, None, "PEM key: serve TLS")
    log_level: str = _setting("ALICE_LOG_LEVEL", upper, "INFO", "lowest level written")
    # t-tenants: the platform role's URL (platform RPCs); None = those RPCs are refused.
    platform_database_url: str | None = _setting(
        "ALICE_PLATFORM_DATABASE_URL", text, None, "the platform role's URL (platform RPCs)"
    )
    # Issue 17: a hot standby for call starts, searches, lists and history.
    read_database_url: str | None = _setting(
        "ALICE_READ_DATABASE_URL", text, None, "a hot standby's URL (reads); unset: none"
    )
    expiry_interval_seconds: float = _setting(
        "ALICE_EXPIRY_INTERVAL_SECONDS",
        number(minimum=0),
        300.0,
        "period of the expired-memory deletion; 0: off",
    )
    expiry_batch_size: int = _setting(
        "ALICE_EXPIRY_BATCH_SIZE",
        integer(minimum=1),
        1000,
        "expired memories deleted per transaction",
    )
    log_format: str = _setting("ALICE_LOG_FORMAT", lower, "text", "text or json")
    access_log_level: str = _setting(
        "ALICE_ACCESS_LOG_LEVEL", upper, "DEBUG", "level of a successful RPC's access line"
    )
    metrics_address: str | None = _setting(
        "ALICE_METRICS_ADDRESS", text, None, "host:port of /metrics; unset: off"
    )
    health_check_seconds: float = _setting(
        "ALICE_HEALTH_CHECK_SECONDS",
        number(minimum=0.05),
        5.0,
        "how often the health monitor asks the database",
    )
    # Hardening (issue 7): token lifetime, shared rate limits, summariser fairness.
    max_token_lifetime_seconds: float = _setting(
        "ALICE_MAX_TOKEN_LIFETIME_SECONDS", number(minimum=1), 86400.0, "longest token accepted"
    )
    rate_limit_backend: str = _setting(
        "ALICE_RATE_LIMIT_BACKEND", lower, "memory", "memory or redis token buckets"
    )
    redis_url: str = _setting(
        "ALICE_REDIS_URL",
        text,
        "redis://127.0.0.1:6379/0",
        "the Redis of ALICE_RATE_LIMIT_BACKEND=redis",
    )
    summarizer_queue_size: int = _setting(
        "ALICE_SUMMARIZER_QUEUE_SIZE",
        integer(minimum=1),
        64,
        "ProcessCalls that may wait for a summariser worker",
    )
    summarizer_tenant_share: float = _setting(
        "ALICE_SUMMARIZER_TENANT_SHARE",
        number(minimum=0.01),
        0.5,
        "the fraction of the summariser one customer may hold",
    )
    fair_share_slots: int = _setting(
        "ALICE_FAIR_SHARE_SLOTS",
        integer(minimum=0),
        2,
        "searches one process runs at once, in turns across customers (0: no limit)",
    )
    workers: int = _setting(
        "ALICE_WORKERS", integer(minimum=1), cores, "server processes sharing the port"
    )
    semantic_search: str = _setting(
        "ALICE_SEMANTIC_SEARCH", lower, "auto", "auto, on or off: the embedding model"
    )
    memory_history_days: int = _setting(
        "ALICE_MEMORY_HISTORY_DAYS",
        integer(minimum=1),
        365,
        "how long earlier values of memories are kept",
    )
    summarizer: str = _setting("ALICE_SUMMARIZER", lower, "builtin", "builtin or openai")
    llm_base_url: str | None = _setting(
        "ALICE_LLM_BASE_URL", text, None, "the OpenAI-compatible API's base URL"
    )
    llm_model: str | None = _setting("ALICE_LLM_MODEL", text, None, "the LLM's model name")
    llm_api_key: str | None = _setting(
        "ALICE_LLM_API_KEY", text, None, "the LLM endpoint's bearer key", secret=True
    )
    llm_timeout_seconds: float = _setting(
        "ALICE_LLM_TIMEOUT_SECONDS",
        number(minimum=0.1),
        20.0,
        "how long one LLM answer may take",
    )

    @property
    def embedded(self) -> bool:
        """True when no database URL is set at all: Alice runs its own PostgreSQL."""
        return self.database_url is None and self.admin_database_url is None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for spec_field in dataclasses.fields(cls):
            spec: EnvSetting = spec_field.metadata["env"]
            raw = env.get(spec.env, "").strip()
            if raw:
                values[spec_field.name] = spec.parse(spec.env, raw)
            elif callable(spec.default):
                values[spec_field.name] = spec.default(env)
            else:
                values[spec_field.name] = spec.default
        settings = cls(**values)
        settings.validate()
        return settings

    @classmethod
    def declared(cls) -> list[EnvSetting]:
        """Every setting: its variable, parser, default and meaning."""
        return [f.metadata["env"] for f in dataclasses.fields(cls)]

    def validate(self) -> None:
        if not _ROLE_RE.match(self.app_role):
            raise ConfigError(
                "ALICE_DB_APP_ROLE must be a lower-case SQL identifier "
                f"(letters, digits, '_'; at most 63 characters), got {self.app_role!r}"
            )
        if not re.fullmatch(r"[A-Z]{2}", self.default_region):
            raise ConfigError(
                "ALICE_DEFAULT_REGION must be a two-letter ISO 3166 region code such as US or GB, "
                f"got {self.default_region!r}"
            )
        if self.log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigError(
                f"ALICE_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {self.log_level!r}"
            )
        for name, url in (
            ("DATABASE_URL", self.database_url),
            ("ALICE_ADMIN_DATABASE_URL", self.admin_database_url),
        ):
            if url is not None and not re.match(r"postgres(ql)?(\+\w+)?://", url):
                raise ConfigError(
                    f"{name} must be a PostgreSQL URL such as "
                    "postgresql://user:password@host:5432/alice"
                )
        if self.log_format not in {"text", "json"}:
            raise ConfigError(f"ALICE_LOG_FORMAT must be json or text, got {self.log_format!r}")
        if self.access_log_level not in {"DEBUG", "INFO", "WARNING"}:
            raise ConfigError(
                "ALICE_ACCESS_LOG_LEVEL must be DEBUG, INFO or WARNING, "
                f"got {self.access_log_level!r}"
            )
        if self.metrics_address is not None and not re.fullmatch(
            r"(\[[0-9a-fA-F:]+\]|[\w.-]*):\d{1,5}", self.metrics_address
        ):
            raise ConfigError(
                "ALICE_METRICS_ADDRESS must be host:port (for example 0.0.0.0:9464 or "
                f"127.0.0.1:9464), got {self.metrics_address!r}"
            )
        if self.summarizer not in {"builtin", "openai"}:
            raise ConfigError(
                f"ALICE_SUMMARIZER must be builtin or openai, got {self.summarizer!r}"
            )
        if self.summarizer == "openai":
            if not self.llm_base_url or not re.match(r"^https?://", self.llm_base_url):
                raise ConfigError(
                    "ALICE_SUMMARIZER=openai needs ALICE_LLM_BASE_URL, the http(s) URL of an "
                    "OpenAI-compatible API (for example https://api.openai.com/v1)"
                )
            if not self.llm_model:
                raise ConfigError("ALICE_SUMMARIZER=openai needs ALICE_LLM_MODEL (the model name)")
        if self.semantic_search not in {"auto", "on", "off"}:
            raise ConfigError(
                f"ALICE_SEMANTIC_SEARCH must be auto, on or off, got {self.semantic_search!r}"
            )
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ConfigError("set both ALICE_TLS_CERT_FILE and ALICE_TLS_KEY_FILE, or neither")
        if ":" not in self.listen_address:
            raise ConfigError(
                "ALICE_LISTEN_ADDRESS must be host:port (for example 127.0.0.1:50051 or "
                f"[::]:50051), got {self.listen_address!r}"
            )
        if self.rate_limit_backend not in {"memory", "redis"}:
            raise ConfigError(
                f"ALICE_RATE_LIMIT_BACKEND must be memory or redis, got {self.rate_limit_backend!r}"
            )
        if not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError(
                "ALICE_REDIS_URL must be a redis://, rediss:// or unix:// URL, "
                f"got {self.redis_url!r}"
            )
        if self.summarizer_tenant_share > 1:
            raise ConfigError(
                "ALICE_SUMMARIZER_TENANT_SHARE must be a fraction between 0.01 and 1, "
                f"got {self.summarizer_tenant_share:g}"
            )
        if not 0 < self.db_max_tenant_share <= 1:
            raise ConfigError(
                "ALICE_DB_MAX_TENANT_SHARE must be a fraction of the pool above 0 and at most 1 "
                f"(for example 0.5), got {self.db_max_tenant_share}"
            )
        if self.jwt_secret is not None:
            check_secret(self.jwt_secret, "JWT_SECRET_KEY")


def check_secret(secret: str, name: str) -> None:
    """Refuse a signing secret shorter than 32 bytes (HS256 needs at least 256 bits)."""
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigError(
            f"{name} is too short: it must be at least {MIN_SECRET_BYTES} bytes "
            f"(it has {len(secret.encode())})"
        )
