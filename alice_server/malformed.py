"""Requests that are not valid protobuf: INVALID_ARGUMENT, briefly, and quietly.

grpc turns a request its deserializer cannot parse into UNKNOWN, with the
parser's exception text for the client and an ERROR traceback (~770 bytes) in
the log for every such request. `alice_server.interceptors.RpcGuard` wraps
every method's request deserializer with `tolerant`: bytes that do not parse
become a `Malformed` marker, and the guard answers it with INVALID_ARGUMENT and
a short message (`refuse`), with or without a token, before any other work.

Protobuf's parser refuses messages nested more than 100 levels deep; a
google.protobuf.Struct value uses three message levels per JSON level, so a
memory value nested deeper than about 32 JSON levels cannot even be parsed.
MAX_VALUE_DEPTH (in the domain rules) is the documented limit, and the
message names it.

Each refusal is counted in the RPC metrics (alice_rpc_requests_total with
code INVALID_ARGUMENT and customer_id "": no token is read) and writes the
RPC's access line (method, request id, code, duration), like the guard does
for every other RPC. Those lines are bounded: at most
LOG_BURST per LOG_WINDOW_SECONDS, then one line saying how many more were not
logged (`dropped`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc

from alice_server import logs, metrics
from alice_server.domain.memories import MAX_VALUE_DEPTH

logger = logging.getLogger("alice.rpc")

LOG_BURST = 10
LOG_WINDOW_SECONDS = 60.0

MESSAGE = (
    "the request is not a valid {name} message: malformed protobuf bytes, or "
    "Struct/list values nested deeper than {depth} levels"
)


@dataclass(frozen=True, slots=True)
class Malformed:
    """Stands in for a request whose bytes did not parse."""

    size: int


class BoundedLog:
    """Logs at most `burst` lines per `window` seconds, then counts the rest."""

    def __init__(self, burst: int = LOG_BURST, window: float = LOG_WINDOW_SECONDS) -> None:
        self._burst = burst
        self._window = window
        self._start = -window
        self._count = 0
        self._suppressed = 0

    def info(self, message: str, *args: Any, extra: dict[str, Any] | None = None) -> None:
        now = time.monotonic()
        if now - self._start >= self._window:
            if self._suppressed:
                logger.info(
                    "%d more malformed requests were not logged",
                    self._suppressed,
                    extra={"dropped": self._suppressed},
                )
            self._start, self._count, self._suppressed = now, 0, 0
        if self._count < self._burst:
            self._count += 1
            logger.info(message, *args, extra=extra)
        else:
            self._suppressed += 1


def tolerant(deserializer: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    """`deserializer`, with bytes that do not parse turned into a `Malformed` marker."""

    def deserialize(data: bytes) -> Any:
        try:
            return deserializer(data)
        except Exception:  # noqa: BLE001 - any parse failure is the client's bytes
            return Malformed(len(data))

    return deserialize


def message_name(method: str, deserializer: Callable[[bytes], Any]) -> str:
    """The request message's name, for the refusal's text."""
    descriptor = getattr(getattr(deserializer, "__self__", None), "DESCRIPTOR", None)
    if descriptor is not None:
        return str(descriptor.name)
    return method.rsplit("/", 1)[-1] + "Request"


async def refuse(
    log: BoundedLog, method: str, name: str, request: Malformed, context: grpc.aio.ServicerContext
) -> None:
    """INVALID_ARGUMENT for `request`, before any other work: the RPC's access line
    (bounded) and its count in the RPC metrics, then the abort (raises AbortError)."""
    started = time.perf_counter()
    request_id = logs.request_id_from(context.invocation_metadata())
    await context.send_initial_metadata(((logs.REQUEST_ID_HEADER, request_id),))
    elapsed = time.perf_counter() - started
    code = grpc.StatusCode.INVALID_ARGUMENT.name
    metrics.observe_rpc(method, None, code, elapsed)
    log.info(
        "%s %s %.1fms malformed request (%d bytes)",
        method,
        code,
        elapsed * 1000,
        request.size,
        extra={
            "code": code,
            "duration_ms": round(elapsed * 1000, 1),
            "method": method,
            "request_id": request_id,
        },
    )
    await context.abort(
        grpc.StatusCode.INVALID_ARGUMENT,
        MESSAGE.format(name=name, depth=MAX_VALUE_DEPTH),
    )
