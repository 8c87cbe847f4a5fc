"""Domain errors.

Each class maps to one gRPC status code in exactly one place
(`alice_server.interceptors`). Their messages are shown to callers, so they say
what was wrong and what to do, and never carry internals or secrets.
"""

from __future__ import annotations


class AliceError(Exception):
    """Base of the errors a caller can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(AliceError):
    """The request is malformed or out of range (INVALID_ARGUMENT)."""


class Unauthenticated(AliceError):
    """No valid credentials (UNAUTHENTICATED)."""


class PermissionDenied(AliceError):
    """Valid credentials that do not allow this (PERMISSION_DENIED)."""


class NotFound(AliceError):
    """Nothing with that id in the caller's tenant (NOT_FOUND)."""


class AlreadyExists(AliceError):
    """The id is taken by something different (ALREADY_EXISTS)."""


class FailedPrecondition(AliceError):
    """The request is valid but the resource's state refuses it (FAILED_PRECONDITION):
    retrying the same request will not help."""


class Unavailable(AliceError):
    """A dependency is down; retrying later may succeed (UNAVAILABLE)."""


class ResourceExhausted(AliceError):
    """Too many requests (RESOURCE_EXHAUSTED); retry after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerBusy(Unavailable):
    """Alice is saturated (every database connection of the pool is in use);
    retrying with backoff may succeed (UNAVAILABLE)."""


class ServerDraining(ServerBusy):
    """The server is stopping and refused a call before it started: nothing was
    done, any call may be retried (UNAVAILABLE, reason SERVER_DRAINING)."""


class TenantShareExhausted(ResourceExhausted):
    """This customer already holds its share of the database connections
    (ALICE_DB_MAX_TENANT_SHARE): RESOURCE_EXHAUSTED, retry after `retry_after`."""


class SummarizerBusy(ResourceExhausted):
    """The call summariser's queue (or this tenant's share of it) is full
    (RESOURCE_EXHAUSTED, with a retry delay)."""


class StatementTimeout(AliceError):
    """A database statement ran longer than the configured statement timeout and was
    cancelled; nothing was written (DEADLINE_EXCEEDED)."""


class Aborted(AliceError):
    """The request conflicted with a concurrent one (a serialization failure or a
    deadlock) and was rolled back; retrying it may succeed (ABORTED)."""
