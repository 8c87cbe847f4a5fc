"""Server interceptors: the one place where requests are authenticated and
where Python exceptions become gRPC statuses.

Both interceptors wrap the behaviour of the real method handler instead of
replacing it, so every kind of RPC (unary or streaming) keeps its shape, and
the code they run executes in the handler's own task (the tenant context
variable reaches the `async def` handlers).

Order (outermost first): StatusInterceptor, AuthInterceptor.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, aclosing, asynccontextmanager
from typing import Any

import grpc
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc._cython import cygrpc
from grpc_status import rpc_status

from alice_server import logs, metrics, read_your_writes
from alice_server.auth import (
    ERROR_DOMAIN,
    Platform,
    TokenRejected,
    TokenVerifier,
    bind_tenant,
    unbind_tenant,
)
from alice_server.domain import errors
from alice_server.ratelimit import Limiter
from alice_server.services.customers import CustomerDirectory

logger = logging.getLogger("alice.rpc")

# Health checks and reflection (for grpcurl) need no token.
PUBLIC_SERVICES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)

# Each domain error's gRPC status and google.rpc.ErrorInfo reason (domain
# ERROR_DOMAIN: what a client can act on without reading the message; None: no
# ErrorInfo; a TokenRejected carries its own). The first class of an error's MRO
# found here wins.
ERRORS: Mapping[type[errors.AliceError], tuple[grpc.StatusCode, str | None]] = {
    errors.InvalidArgument: (grpc.StatusCode.INVALID_ARGUMENT, None),
    errors.Unauthenticated: (grpc.StatusCode.UNAUTHENTICATED, None),
    errors.PermissionDenied: (grpc.StatusCode.PERMISSION_DENIED, None),
    errors.NotFound: (grpc.StatusCode.NOT_FOUND, None),
    errors.AlreadyExists: (grpc.StatusCode.ALREADY_EXISTS, None),
    errors.FailedPrecondition: (grpc.StatusCode.FAILED_PRECONDITION, None),
    errors.Unavailable: (grpc.StatusCode.UNAVAILABLE, "DATABASE_UNAVAILABLE"),
    errors.ServerBusy: (grpc.StatusCode.UNAVAILABLE, "SERVER_BUSY"),
    errors.ResourceExhausted: (grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED"),
    errors.TenantShareExhausted: (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "TENANT_DATABASE_SHARE_IN_USE",
    ),
    errors.SummarizerBusy: (grpc.StatusCode.RESOURCE_EXHAUSTED, "SUMMARIZER_BUSY"),
    errors.StatementTimeout: (grpc.StatusCode.DEADLINE_EXCEEDED, "STATEMENT_TIMEOUT"),
    errors.Aborted: (grpc.StatusCode.ABORTED, "CONFLICT"),
}

Around = Callable[[str, grpc.aio.ServicerContext], AbstractAsyncContextManager[None]]


def wrap_handler(handler: grpc.RpcMethodHandler, method: str, around: Around) -> Any:
    """The same handler, its behaviour run inside `around(method, context)`."""
    if handler.unary_unary is not None:
        inner = handler.unary_unary

        async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            async with around(method, context):
                return await inner(request, context)

        return handler._replace(unary_unary=unary_unary)
    if handler.stream_unary is not None:
        inner_su = handler.stream_unary

        async def stream_unary(requests: Any, context: grpc.aio.ServicerContext) -> Any:
            async with around(method, context):
                return await inner_su(requests, context)

        return handler._replace(stream_unary=stream_unary)
    if handler.unary_stream is not None:
        return handler._replace(unary_stream=_streaming(handler.unary_stream, method, around))
    return handler._replace(stream_stream=_streaming(handler.stream_stream, method, around))


def _streaming(inner: Callable[..., Any], method: str, around: Around) -> Callable[..., Any]:
    """A streaming handler as a coroutine that writes its responses itself.

    Not an async generator: grpc leaves a generator whose client went away to be
    closed by the garbage collector, in another task and context, where `around`
    could not reset its context variables, log the access line or end the
    handler's transaction. A coroutine is cancelled in its own task instead, and
    closes the handler's generator there (`aclosing`)."""

    async def behaviour(request: Any, context: grpc.aio.ServicerContext) -> None:
        async with around(method, context):
            result = inner(request, context)
            if inspect.isasyncgen(result):
                async with aclosing(result):
                    async for response in result:
                        try:
                            await context.write(response)
                        except cygrpc.ExecuteBatchError:
                            # The call ended under us (the client cancelled or went
                            # away) before grpc cancelled this task: same outcome.
                            raise asyncio.CancelledError from None
            else:  # a coroutine writing with context.write()
                await result

    return behaviour


class _WrappingInterceptor(grpc.aio.ServerInterceptor):
    """Runs every non-public RPC inside `self.around(method, context)`."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or method.startswith(PUBLIC_SERVICES):
            return handler
        return wrap_handler(handler, method, self.around)

    def around(
        self, method: str, context: grpc.aio.ServicerContext
    ) -> AbstractAsyncContextManager[None]:
        raise NotImplementedError


class StatusInterceptor(_WrappingInterceptor):
    """Turns exceptions into statuses, bounds work by the deadline, and writes
    each RPC's access line and metrics. It opens the RPC's log context (method,
    request id, later the customer) and returns the request id to the client in
    the initial metadata (`x-request-id`)."""

    def __init__(
        self,
        access_level: str = "DEBUG",
        on_database_unavailable: Callable[[], None] | None = None,
    ) -> None:
        self._access_level = logging.getLevelName(access_level)
        self._on_database_unavailable = on_database_unavailable

    @asynccontextmanager
    async def around(self, method: str, context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
        rpc = logs.RpcContext(method, logs.request_id_from(context.invocation_metadata()))
        token = logs.bind_rpc(rpc)
        code = grpc.StatusCode.OK
        try:
            await context.send_initial_metadata(((logs.REQUEST_ID_HEADER, rpc.request_id),))
            remaining = context.time_remaining()
            async with asyncio.timeout(remaining):
                with read_your_writes.around(context):  # x-alice-lsn in and out
                    yield
        except grpc.aio.AbortError:
            code = context.code() or grpc.StatusCode.UNKNOWN
            raise
        except asyncio.CancelledError:
            code = grpc.StatusCode.CANCELLED
            raise
        except Exception as exc:  # noqa: BLE001 - this is the one place that maps them all
            status = _to_status(exc, method)
            code = status.code
            if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
                metrics.rate_limited(rpc.customer_id)
            elif (
                isinstance(exc, errors.Unavailable)
                and not isinstance(exc, errors.ServerBusy)
                and self._on_database_unavailable is not None
            ):
                self._on_database_unavailable()  # health checks the database now
            await context.abort(status.code, status.details, status.trailing_metadata)
        finally:
            elapsed = time.perf_counter() - rpc.started
            metrics.observe_rpc(method, rpc.customer_id, code.name, elapsed)
            if code == grpc.StatusCode.OK:
                level, throttle = self._access_level, None
            elif code in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN):
                level, throttle = logging.ERROR, (method, code.name)
            else:
                level, throttle = logging.INFO, (method, code.name)
            logger.log(
                level,
                "%s %s %.1fms",
                method,
                code.name,
                elapsed * 1000,
                extra={
                    "code": code.name,
                    "duration_ms": round(elapsed * 1000, 1),
                    "throttle_key": throttle,
                },
            )
            logs.unbind_rpc(token)


class _Status:
    def __init__(
        self,
        code: grpc.StatusCode,
        details: str,
        trailing_metadata: tuple[Any, ...] = (),
    ) -> None:
        self.code = code
        self.details = details
        self.trailing_metadata = trailing_metadata


def _to_status(exc: BaseException, method: str) -> _Status:
    if isinstance(exc, errors.AliceError):
        return _domain_status(exc)
    if isinstance(exc, TimeoutError):
        return _Status(grpc.StatusCode.DEADLINE_EXCEEDED, "the deadline expired")
    reference = uuid.uuid4().hex[:12]
    # Never exc_info: driver exceptions print their SQL parameters (phone
    # numbers, memory values, transcripts). Types and locations only.
    logger.error(
        "unexpected error in %s (reference %s)\n%s",
        method,
        reference,
        logs.describe_exception(exc),
    )
    return _Status(grpc.StatusCode.INTERNAL, f"internal error (reference {reference})")


def _domain_status(exc: errors.AliceError) -> _Status:
    """The status of a domain error, with ErrorInfo (and RetryInfo) details where useful."""
    code, reason = next(
        (ERRORS[kind] for kind in type(exc).__mro__ if kind in ERRORS),
        (grpc.StatusCode.INTERNAL, None),
    )
    retry_after: float | None = None
    if isinstance(exc, errors.ResourceExhausted):
        retry_after = exc.retry_after
    if isinstance(exc, TokenRejected):
        reason = exc.reason
    if reason is None and retry_after is None:
        return _Status(code, exc.message)
    status = status_pb2.Status(code=code.value[0], message=exc.message)
    if retry_after is not None:  # first: clients read details[0] for the delay
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(int(retry_after * 1e9))
        status.details.add().Pack(error_details_pb2.RetryInfo(retry_delay=delay))
    if reason is not None:
        status.details.add().Pack(error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN))
    rich = rpc_status.to_status(status)
    return _Status(rich.code, rich.details, tuple(rich.trailing_metadata))


class AuthInterceptor(_WrappingInterceptor):
    """Fixes the tenant of each RPC from its token, or refuses the RPC.

    UNAUTHENTICATED: missing, malformed, wrongly signed or expired token.
    PERMISSION_DENIED: the method's scope is missing from the token, or the
    customer does not exist or is suspended.
    RESOURCE_EXHAUSTED: the customer's rate limit is exceeded.
    """

    def __init__(
        self,
        verifier: TokenVerifier,
        customers: CustomerDirectory,
        limiter: Limiter,
        method_scopes: Mapping[str, str],
        platform_scopes: Mapping[str, str] | None = None,
    ) -> None:
        self._verifier = verifier
        self._customers = customers
        self._limiter = limiter
        self._scopes = method_scopes
        self._platform_scopes = platform_scopes or {}

    @asynccontextmanager
    async def around(self, method: str, context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
        metadata = context.invocation_metadata() or ()
        principal = self._verifier.verify_principal_header(
            str(value) for key, value in metadata if key == "authorization"
        )
        # Platform tokens (t-tenants): only the platform RPCs, never a tenant's data.
        if isinstance(principal, Platform):
            platform_scope = self._platform_scopes.get(method)
            if platform_scope is None:
                raise errors.PermissionDenied(
                    f"{method} needs a tenant token: platform tokens never reach tenant data"
                )
            principal.require(platform_scope)
            yield
            return
        if method in self._platform_scopes:
            raise errors.PermissionDenied(f"{method} needs a platform token (platform:admin)")
        tenant = principal
        rpc = logs.current_rpc()
        if rpc is not None:
            rpc.customer_id = tenant.customer_id
        required = self._scopes.get(method)
        if required is None:
            raise errors.PermissionDenied(f"{method} is not open to tokens")
        tenant.require(required)
        # Cheap rejections first: the rate limit needs no database (a customer's
        # own limit comes from the directory's cache once it has been read).
        await self._limiter.acquire(
            tenant.customer_id, self._customers.cached_rate_limit(tenant.customer_id)
        )
        await self._customers.check_active(tenant.customer_id)
        token = bind_tenant(tenant)
        try:
            yield
        finally:
            unbind_tenant(token)
