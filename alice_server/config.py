"""Settings, read once from the environment at start-up.

Every setting is documented in README.md ("Settings"). A bad value stops the
process with a `ConfigError` naming the variable, never a traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_LISTEN_ADDRESS = "127.0.0.1:50051"
DEFAULT_APP_ROLE = "alice_app"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
MIN_SECRET_BYTES = 32
_ROLE_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names it and says what to do."""


@dataclass(frozen=True, slots=True)
class Settings:
    """All of Alice's settings. Build with `Settings.from_env()`."""

    database_url: str | None
    admin_database_url: str | None
    jwt_secret: str | None
    listen_address: str
    data_dir: Path
    default_region: str
    app_role: str
    db_pool_size: int
    db_statement_timeout_ms: int
    db_statement_cache_size: int
    db_max_tenant_share: float
    customer_cache_seconds: float
    rate_limit_per_second: float
    rate_limit_burst: int
    shutdown_grace_seconds: float
    summarizer_processes: int
    max_message_bytes: int
    reflection: bool
    tls_cert_file: Path | None
    tls_key_file: Path | None
    log_level: str
    # t-tenants: the platform role's URL (platform RPCs); None = those RPCs are refused.
    platform_database_url: str | None = None
    expiry_interval_seconds: float = 300.0
    expiry_batch_size: int = 1000
    log_format: str = "text"
    access_log_level: str = "DEBUG"
    metrics_address: str | None = None
    health_check_seconds: float = 5.0
    # Hardening (issue 7): token lifetime, shared rate limits, summariser fairness.
    max_token_lifetime_seconds: float = 86400.0
    rate_limit_backend: str = "memory"
    redis_url: str = DEFAULT_REDIS_URL
    summarizer_queue_size: int = 64
    summarizer_tenant_share: float = 0.5
    fair_share_slots: int = 2
    workers: int = 1
    semantic_search: str = "auto"
    memory_history_days: int = 365
    summarizer: str = "builtin"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = field(default=None, repr=False)
    llm_timeout_seconds: float = 20.0

    @property
    def embedded(self) -> bool:
        """True when no database URL is set at all: Alice runs its own PostgreSQL."""
        return self.database_url is None and self.admin_database_url is None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        reader = _Reader(env)
        settings = cls(
            database_url=reader.text("DATABASE_URL"),
            admin_database_url=reader.text("ALICE_ADMIN_DATABASE_URL"),
            jwt_secret=reader.text("JWT_SECRET_KEY"),
            listen_address=reader.text("ALICE_LISTEN_ADDRESS") or DEFAULT_LISTEN_ADDRESS,
            data_dir=Path(reader.text("ALICE_DATA_DIR") or _default_data_dir(env)).expanduser(),
            default_region=(reader.text("ALICE_DEFAULT_REGION") or "US").upper(),
            app_role=reader.text("ALICE_DB_APP_ROLE") or DEFAULT_APP_ROLE,
            db_pool_size=reader.integer("ALICE_DB_POOL_SIZE", 10, minimum=1),
            db_statement_timeout_ms=reader.integer(
                "ALICE_DB_STATEMENT_TIMEOUT_MS", 5000, minimum=0
            ),
            db_statement_cache_size=reader.integer("ALICE_DB_STATEMENT_CACHE_SIZE", 100, minimum=0),
            db_max_tenant_share=reader.number("ALICE_DB_MAX_TENANT_SHARE", 0.5, minimum=0.0),
            customer_cache_seconds=reader.number("ALICE_CUSTOMER_CACHE_SECONDS", 10.0, minimum=0),
            rate_limit_per_second=reader.number("ALICE_RATE_LIMIT_PER_SECOND", 100.0, minimum=0),
            rate_limit_burst=reader.integer("ALICE_RATE_LIMIT_BURST", 200, minimum=1),
            shutdown_grace_seconds=reader.number("ALICE_SHUTDOWN_GRACE_SECONDS", 10.0, minimum=0),
            summarizer_processes=reader.integer("ALICE_SUMMARIZER_PROCESSES", 1, minimum=0),
            max_message_bytes=reader.integer(
                "ALICE_MAX_MESSAGE_BYTES", 4 * 1024 * 1024, minimum=64 * 1024
            ),
            reflection=reader.boolean("ALICE_REFLECTION", True),
            tls_cert_file=reader.path("ALICE_TLS_CERT_FILE"),
            tls_key_file=reader.path("ALICE_TLS_KEY_FILE"),
            log_level=(reader.text("ALICE_LOG_LEVEL") or "INFO").upper(),
            platform_database_url=reader.text("ALICE_PLATFORM_DATABASE_URL"),
            expiry_interval_seconds=reader.number(
                "ALICE_EXPIRY_INTERVAL_SECONDS", 300.0, minimum=0
            ),
            expiry_batch_size=reader.integer("ALICE_EXPIRY_BATCH_SIZE", 1000, minimum=1),
            log_format=(reader.text("ALICE_LOG_FORMAT") or "text").lower(),
            access_log_level=(reader.text("ALICE_ACCESS_LOG_LEVEL") or "DEBUG").upper(),
            metrics_address=reader.text("ALICE_METRICS_ADDRESS"),
            health_check_seconds=reader.number("ALICE_HEALTH_CHECK_SECONDS", 5.0, minimum=0.05),
            max_token_lifetime_seconds=reader.number(
                "ALICE_MAX_TOKEN_LIFETIME_SECONDS", 86400.0, minimum=1
            ),
            rate_limit_backend=(reader.text("ALICE_RATE_LIMIT_BACKEND") or "memory").lower(),
            redis_url=reader.text("ALICE_REDIS_URL") or DEFAULT_REDIS_URL,
            summarizer_queue_size=reader.integer("ALICE_SUMMARIZER_QUEUE_SIZE", 64, minimum=1),
            summarizer_tenant_share=reader.number(
                "ALICE_SUMMARIZER_TENANT_SHARE", 0.5, minimum=0.01
            ),
            fair_share_slots=reader.integer("ALICE_FAIR_SHARE_SLOTS", 2, minimum=0),
            workers=reader.integer("ALICE_WORKERS", _cores(), minimum=1),
            semantic_search=(reader.text("ALICE_SEMANTIC_SEARCH") or "auto").lower(),
            memory_history_days=reader.integer("ALICE_MEMORY_HISTORY_DAYS", 365, minimum=1),
            summarizer=(reader.text("ALICE_SUMMARIZER") or "builtin").lower(),
            llm_base_url=reader.text("ALICE_LLM_BASE_URL"),
            llm_model=reader.text("ALICE_LLM_MODEL"),
            llm_api_key=reader.text("ALICE_LLM_API_KEY"),
            llm_timeout_seconds=reader.number("ALICE_LLM_TIMEOUT_SECONDS", 20.0, minimum=0.1),
        )
        settings.validate()
        return settings

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


def _cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS has no sched_getaffinity
        return os.cpu_count() or 1


def _default_data_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "alice"


class _Reader:
    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def text(self, name: str) -> str | None:
        value = self._env.get(name, "").strip()
        return value or None

    def integer(self, name: str, default: int, *, minimum: int) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
        if value < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, got {value}")
        return value

    def number(self, name: str, default: float, *, minimum: float) -> float:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {raw!r}") from None
        if not value >= minimum:  # also refuses NaN
            raise ConfigError(f"{name} must be at least {minimum}, got {raw}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = self.text(name)
        if raw is None:
            return default
        lowered = raw.lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{name} must be true or false, got {raw!r}")

    def path(self, name: str) -> Path | None:
        raw = self.text(name)
        return Path(raw).expanduser() if raw else None
