"""Logging: one line per record, as text or JSON (ALICE_LOG_FORMAT).

Every line written while serving an RPC carries the RPC's customer_id, method
and request id (the client's `x-request-id`, or one generated here): the
RPC guard (`interceptors.RpcGuard`) opens an `RpcContext` for the RPC and `RpcContextFilter`
copies it onto every record, warnings and errors included.

Two rules keep secrets and floods out of the log:

- Exceptions are never logged with their messages. SQLAlchemy and asyncpg
  exceptions carry the SQL statement and its parameters (a caller's phone
  number, a memory's value, a transcript); every formatter here renders an
  exception as its types, SQLSTATE and traceback locations only
  (`describe_exception`).
- Repeated identical lines (a client sending the same malformed request or
  bad token in a loop) are bounded: at most `ThrottleFilter.limit` per key in
  each interval; then one line says how many were dropped (when the next line
  comes after the interval, or at exit). The access line of a failed RPC is
  keyed by (method, status code), not by its text, which holds a request id.
"""

from __future__ import annotations

import atexit
import contextvars
import itertools
import json
import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from alice_server.auth import current_customer_id

TEXT_FORMAT = (
    "%(asctime)s %(levelname)s %(name)s customer=%(customer_id)s method=%(method)s "
    "request_id=%(request_id)s %(message)s"
)
FORMATS = ("text", "json")
REQUEST_ID_HEADER = "x-request-id"
MAX_REQUEST_ID_LENGTH = 128


@dataclass
class RpcContext:
    """What every log line of one RPC carries."""

    method: str
    request_id: str
    customer_id: int | None = None
    started: float = field(default_factory=time.perf_counter)


_rpc: contextvars.ContextVar[RpcContext | None] = contextvars.ContextVar("alice_rpc", default=None)


def current_rpc() -> RpcContext | None:
    return _rpc.get()


def bind_rpc(context: RpcContext) -> contextvars.Token[RpcContext | None]:
    return _rpc.set(context)


def unbind_rpc(token: contextvars.Token[RpcContext | None]) -> None:
    _rpc.reset(token)


def request_id_from(metadata: Any) -> str:
    """The client's x-request-id if it is usable (printable ASCII, at most 128
    characters), otherwise a new one."""
    for key, value in metadata or ():
        if key == REQUEST_ID_HEADER and isinstance(value, str):
            candidate = value.strip()
            if 0 < len(candidate) <= MAX_REQUEST_ID_LENGTH and all(
                33 <= ord(c) < 127 for c in candidate
            ):
                return candidate
    return new_request_id()


def _request_id_prefix() -> str:
    return os.urandom(10).hex()


# Generated request ids: 32 hex digits, a random prefix per process and a counter
# (uuid4().hex cost several µs per RPC: a system call and a UUID object). A forked
# child draws its own prefix.
_id_prefix = _request_id_prefix()
_id_counter = itertools.count()


def new_request_id() -> str:
    return f"{_id_prefix}{next(_id_counter) & 0xFFFFFFFFFFFF:012x}"


def _reseed_request_ids() -> None:
    global _id_prefix, _id_counter
    _id_prefix, _id_counter = _request_id_prefix(), itertools.count()


os.register_at_fork(after_in_child=_reseed_request_ids)


class RpcContextFilter(logging.Filter):
    """Adds customer_id, method and request_id ('-' outside an RPC) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        rpc = _rpc.get()
        if getattr(record, "customer_id", None) is None:
            customer = rpc.customer_id if rpc is not None else None
            record.customer_id = customer or current_customer_id() or "-"
        if getattr(record, "method", None) is None:
            record.method = rpc.method if rpc is not None else "-"
        if getattr(record, "request_id", None) is None:
            record.request_id = rpc.request_id if rpc is not None else "-"
        return True


# Kept for code that still imports the old name.
TenantFilter = RpcContextFilter


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def describe_exception(exc: BaseException) -> str:
    """An exception without its messages: the chain of types (with SQLSTATE and
    constraint for database errors) and where it was raised. Driver exceptions
    print their SQL and parameters in their messages, so messages never reach
    the log."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = type(current)
        label = f"{kind.__module__}.{kind.__qualname__}"
        sqlstate = getattr(current, "sqlstate", None)
        if isinstance(sqlstate, str):
            label += f" sqlstate={sqlstate}"
            constraint = getattr(current, "constraint_name", None)
            if isinstance(constraint, str):
                label += f" constraint={constraint}"
        parts.append(label)
        current = current.__cause__ or current.__context__
    lines = ["exception: " + " <- ".join(parts) + " (messages withheld: they may hold data)"]
    for frame in traceback.extract_tb(exc.__traceback__):
        lines.append(f"  at {frame.filename}:{frame.lineno} in {frame.name}")
    return "\n".join(lines)


def _exception_text(exc_info: Any) -> str | None:
    if not exc_info:
        return None
    if exc_info is True:
        exc_info = sys.exc_info()
    exc = exc_info[1] if isinstance(exc_info, tuple) else exc_info
    return describe_exception(exc) if isinstance(exc, BaseException) else None


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatException(self, ei: Any) -> str:
        return _exception_text(ei) or ""

    def formatStack(self, stack_info: str) -> str:
        return ""


_STANDARD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "customer_id",
    "method",
    "request_id",
    "throttle_key",
}


def _or_null(value: Any) -> Any:
    return None if value == "-" else value


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the RPC's fields,
    and any `extra=` fields the call site added (code, duration_ms...)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            # null outside an RPC (one type per field for log pipelines)
            "customer_id": _or_null(getattr(record, "customer_id", None)),
            "method": _or_null(getattr(record, "method", None)),
            "request_id": _or_null(getattr(record, "request_id", None)),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        exception = _exception_text(record.exc_info)
        if exception:
            entry["exception"] = exception
        return json.dumps(entry, default=str)


class ThrottleFilter(logging.Filter):
    """Bounds identical lines: at most `limit` per key in each `interval` seconds.

    The key is the record's `throttle_key` (set by the access line of a failed
    RPC: method and status code) or, for warnings and errors, the logger and
    message template. When a key's interval ends with lines dropped, the next
    record passing through first emits one WARNING saying how many."""

    def __init__(
        self,
        limit: int = 20,
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.limit = limit
        self.interval = interval
        self._clock = clock
        self.counted = 0  # records with a key, passed or dropped
        self._windows: dict[Hashable, list[float]] = {}  # key -> [start, passed, dropped]
        self._lock = threading.Lock()
        self._emitting = False

    def _key(self, record: logging.LogRecord) -> Hashable | None:
        key = getattr(record, "throttle_key", None)
        if key is not None:
            return ("k", key)
        if record.levelno >= logging.WARNING:
            return ("m", record.name, record.levelno, str(record.msg))
        return None

    def filter(self, record: logging.LogRecord) -> bool:
        if self._emitting:
            return True
        now = self._clock()
        expired: list[tuple[Hashable, int]] = []
        with self._lock:
            for key, window in list(self._windows.items()):
                if now - window[0] >= self.interval:
                    del self._windows[key]
                    if window[2]:
                        expired.append((key, int(window[2])))
            key = self._key(record)
            keep = True
            if key is not None:
                self.counted += 1
                window = self._windows.setdefault(key, [now, 0, 0])
                if window[1] < self.limit:
                    window[1] += 1
                else:
                    window[2] += 1
                    keep = False
        for old_key, dropped in expired:
            self._report(old_key, dropped)
        return keep

    def flush(self) -> None:
        """Report every window's drops now (at exit: a flood's last count is not lost)."""
        with self._lock:
            pending = [(key, int(w[2])) for key, w in self._windows.items() if w[2]]
            self._windows.clear()
        for key, dropped in pending:
            self._report(key, dropped)

    def _report(self, key: Hashable, dropped: int) -> None:
        what = key[1] if isinstance(key, tuple) and key[0] == "k" else key[-1]  # type: ignore[index]
        self._emitting = True
        try:
            logging.getLogger("alice.logs").warning(
                "dropped %d repeated log lines like %r in the last %.0fs",
                dropped,
                what,
                self.interval,
                extra={"dropped": dropped, "customer_id": "-", "method": "-", "request_id": "-"},
            )
        finally:
            self._emitting = False


def make_handler(
    stream: Any = None, fmt: str = "text", throttle: ThrottleFilter | None = None
) -> logging.Handler:
    """The handler `configure` installs: RPC fields, throttling, text or JSON."""
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RpcContextFilter())
    handler.addFilter(throttle or ThrottleFilter())
    return handler


_installed: list[ThrottleFilter] = []


def flush() -> None:
    """Write the pending dropped-line counts of the handler `configure` installed."""
    for throttle in _installed:
        throttle.flush()


def configure(level: str, fmt: str = "text") -> None:
    root = logging.getLogger()
    throttle = ThrottleFilter()
    root.handlers[:] = [make_handler(None, fmt, throttle)]
    if not _installed:
        atexit.register(flush)  # before logging's own shutdown (atexit runs last-in first)
    _installed[:] = [throttle]
    root.setLevel(level)
    # Quiet libraries at INFO; their warnings still show.
    for noisy in ("sqlalchemy", "alembic", "asyncio", "pgserver", "grpc"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
