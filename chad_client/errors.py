"""Typed exceptions, one per gRPC status the voice agent handles differently.

Every exception carries the server's message (`str(exc)`, `exc.details`), its
status code (`exc.code`) and, where the server sent a google.rpc.ErrorInfo, its
machine-readable `exc.reason` ("TOKEN_EXPIRED", "RATE_LIMITED",
"DATABASE_UNAVAILABLE", ...; None otherwise). What to do about each:

=====================  ===================  =========================================
exception              status               what the caller should do
=====================  ===================  =========================================
InvalidArgument        INVALID_ARGUMENT     fix the request (the message names the field)
Unauthenticated        UNAUTHENTICATED      fix the secret / token provider
PermissionDenied       PERMISSION_DENIED    wrong scope, or customer unknown or suspended
NotFound               NOT_FOUND            nothing with that id in this tenant
AlreadyExists          ALREADY_EXISTS       call_id reused for another caller
FailedPrecondition     FAILED_PRECONDITION  the state refuses it (a call's transcript is
                                            full or closed, a stored turn differs);
                                            retrying will not help
RateLimited            RESOURCE_EXHAUSTED   wait `retry_after` seconds, then retry
Unavailable            UNAVAILABLE          Alice or its database is down (retried
                                            already for reads and idempotent writes)
DeadlineExceeded       DEADLINE_EXCEEDED    Alice was too slow for the deadline
Conflict               ABORTED              a concurrent update; retry
AliceError             anything else        a bug; report the message (it has a reference)
=====================  ===================  =========================================
"""

from __future__ import annotations

from typing import TypeVar

import grpc
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2

_DETAILS_KEY = "grpc-status-details-bin"


class AliceError(Exception):
    """A failed call to Alice. `request_id` is the call's `x-request-id`: Alice's
    log lines of that call carry it (quote it when reporting a problem).
    `reason` is the server's ErrorInfo reason, if it sent one."""

    request_id: str | None = None

    def __init__(
        self,
        details: str,
        code: grpc.StatusCode = grpc.StatusCode.UNKNOWN,
        *,
        reason: str | None = None,
    ) -> None:
        super().__init__(details)
        self.details = details
        self.code = code
        self.reason = reason


class InvalidArgument(AliceError):
    """The request is malformed or out of range."""


class Unauthenticated(AliceError):
    """The token is missing, malformed, wrongly signed or expired."""


class PermissionDenied(AliceError):
    """The token lacks the scope, or the customer does not exist or is suspended."""


class NotFound(AliceError):
    """No such id (or caller profile) in this tenant."""


class AlreadyExists(AliceError):
    """The call_id was already processed for another caller."""


class FailedPrecondition(AliceError):
    """The request is valid but the state refuses it (for example a call's
    transcript is at its limit); the message says which."""


class RateLimited(AliceError):
    """The customer's rate limit is exceeded; retry after `retry_after` seconds."""

    def __init__(
        self,
        details: str,
        code: grpc.StatusCode = grpc.StatusCode.RESOURCE_EXHAUSTED,
        retry_after: float | None = None,
        *,
        reason: str | None = None,
    ) -> None:
        super().__init__(details, code, reason=reason)
        self.retry_after = retry_after


class Unavailable(AliceError):
    """Alice, or its database, cannot be reached right now."""


class DeadlineExceeded(AliceError):
    """The call did not finish within its deadline."""


class Conflict(AliceError):
    """A concurrent update conflicted; the call can be retried."""


_BY_CODE: dict[grpc.StatusCode, type[AliceError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.OUT_OF_RANGE: InvalidArgument,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.ABORTED: Conflict,
}


def from_rpc_error(error: grpc.aio.AioRpcError) -> AliceError:
    """The typed exception for a failed RPC."""
    code = error.code()
    details = error.details() or code.name
    reason = error_reason(error)
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return RateLimited(details, code, _retry_delay(error), reason=reason)
    return _BY_CODE.get(code, AliceError)(details, code, reason=reason)


# google.rpc.ErrorInfo reason of a token refused because it expired: mint a new one.
RENEW_REASON = "TOKEN_EXPIRED"
# UNAVAILABLE with this reason: the server was stopping and did not start the call.
DRAINING_REASON = "SERVER_DRAINING"


def error_reason(error: grpc.aio.AioRpcError) -> str | None:
    """The google.rpc.ErrorInfo reason in the status details, if the server sent one."""
    info = _detail(error, error_details_pb2.ErrorInfo())
    return str(info.reason) if info is not None else None


def _retry_delay(error: grpc.aio.AioRpcError) -> float | None:
    """google.rpc.RetryInfo from the status details, if the server sent one."""
    info = _detail(error, error_details_pb2.RetryInfo())
    return float(info.retry_delay.ToTimedelta().total_seconds()) if info is not None else None


_M = TypeVar("_M", bound=Message)


def _detail(error: grpc.aio.AioRpcError, into: _M) -> _M | None:
    """The first detail of `into`'s type in the rich status, unpacked into it."""
    for key, value in error.trailing_metadata() or ():
        if key != _DETAILS_KEY or not isinstance(value, bytes):
            continue
        for detail in status_pb2.Status.FromString(value).details:
            if detail.Unpack(into):
                return into
    return None
