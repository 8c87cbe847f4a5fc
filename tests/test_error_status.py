"""Every domain error reaches the client as the status (and ErrorInfo reason) its
class stands for: one table in alice_server/interceptors.py, never INTERNAL."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from alice_server.auth import TokenRejected
from alice_server.domain import errors
from alice_server.interceptors import _domain_status


def _every_error_class() -> list[type[errors.AliceError]]:
    found: list[type[errors.AliceError]] = []
    pending: list[type[errors.AliceError]] = [errors.AliceError]
    while pending:
        for sub in pending.pop().__subclasses__():
            found.append(sub)
            pending.append(sub)
    return found


def _error(kind: type[errors.AliceError]) -> errors.AliceError:
    if issubclass(kind, errors.ResourceExhausted):
        return kind("busy", retry_after=1.5)
    return kind("what went wrong")


def _reason(status: object) -> str | None:
    metadata = dict(getattr(status, "trailing_metadata", ()))
    raw = metadata.get("grpc-status-details-bin")
    if raw is None:
        return None
    decoded = status_pb2.Status.FromString(raw)
    for detail in decoded.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info.reason
    return None


@pytest.mark.parametrize("kind", _every_error_class(), ids=lambda k: k.__name__)
def test_every_domain_error_has_a_status_that_is_not_internal(kind):
    status = _domain_status(_error(kind))
    assert status.code not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN)
    assert status.details == _error(kind).message


@pytest.mark.parametrize(
    ("kind", "code", "reason"),
    [
        (errors.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT, None),
        (errors.FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION, None),
        (errors.Unavailable, grpc.StatusCode.UNAVAILABLE, "DATABASE_UNAVAILABLE"),
        (errors.ServerBusy, grpc.StatusCode.UNAVAILABLE, "SERVER_BUSY"),
        (errors.ResourceExhausted, grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED"),
        (
            errors.TenantShareExhausted,
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            "TENANT_DATABASE_SHARE_IN_USE",
        ),
        (errors.SummarizerBusy, grpc.StatusCode.RESOURCE_EXHAUSTED, "SUMMARIZER_BUSY"),
        (errors.StatementTimeout, grpc.StatusCode.DEADLINE_EXCEEDED, "STATEMENT_TIMEOUT"),
        (errors.Aborted, grpc.StatusCode.ABORTED, "CONFLICT"),
    ],
)
def test_a_subclass_gets_its_own_status_and_reason_before_its_parents(kind, code, reason):
    status = _domain_status(_error(kind))
    assert (status.code, _reason(status)) == (code, reason)


def test_a_rejected_token_carries_its_own_reason():
    status = _domain_status(TokenRejected("expired", "TOKEN_EXPIRED"))
    assert (status.code, _reason(status)) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_EXPIRED")
