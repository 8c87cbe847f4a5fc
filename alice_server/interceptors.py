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
import contextvars
import inspect
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from alice_server.auth import TokenVerifier, bind_tenant, unbind_tenant
from alice_server.domain import errors
from alice_server.domain.ratelimit import RateLimiter
from alice_server.services.customers import CustomerDirectory

logger = logging.getLogger("alice.rpc")

# Health checks and reflection (for grpcurl) need no token.
PUBLIC_SERVICES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)

STATUS_OF: Mapping[type[errors.AliceError], grpc.StatusCode] = {
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    errors.Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    errors.PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    errors.FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    errors.Unavailable: grpc.StatusCode.UNAVAILABLE,
    errors.ResourceExhausted: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.ServerBusy: grpc.StatusCode.UNAVAILABLE,
    errors.StatementTimeout: grpc.StatusCode.DEADLINE_EXCEEDED,
    errors.Aborted: grpc.StatusCode.ABORTED,
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
    async def behaviour(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        async with around(method, context):
            result = inner(request, context)
            if inspect.isasyncgen(result):
                async for response in result:
                    yield response
            else:  # a coroutine writing with context.write()
                await result

    return behaviour


@dataclass
class RpcInfo:
    """What the outer interceptor learns from the inner one, for the access log."""

    method: str
    customer_id: int | None = None
    started: float = field(default_factory=time.perf_counter)


_rpc_info: contextvars.ContextVar[RpcInfo] = contextvars.ContextVar("alice_rpc")


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
    """Turns exceptions into statuses, bounds work by the deadline, logs each RPC."""

    @asynccontextmanager
    async def around(self, method: str, context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
        info = RpcInfo(method)
        token = _rpc_info.set(info)
        code = grpc.StatusCode.OK
        try:
            remaining = context.time_remaining()
            async with asyncio.timeout(remaining):
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
            await context.abort(status.code, status.details, status.trailing_metadata)
        finally:
            _rpc_info.reset(token)
            elapsed_ms = (time.perf_counter() - info.started) * 1000
            level = logging.DEBUG if code == grpc.StatusCode.OK else logging.INFO
            if code in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN):
                level = logging.ERROR
            logger.log(
                level,
                "%s %s %.1fms",
                method,
                code.name,
                elapsed_ms,
                extra={"customer_id": info.customer_id},
            )


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
    if isinstance(exc, errors.ResourceExhausted):
        return _rate_limited(exc)
    if isinstance(exc, errors.AliceError):
        return _Status(STATUS_OF.get(type(exc), grpc.StatusCode.INTERNAL), exc.message)
    if isinstance(exc, TimeoutError):
        return _Status(grpc.StatusCode.DEADLINE_EXCEEDED, "the deadline expired")
    reference = uuid.uuid4().hex[:12]
    logger.error("unexpected error in %s (reference %s)", method, reference, exc_info=exc)
    return _Status(grpc.StatusCode.INTERNAL, f"internal error (reference {reference})")


def _rate_limited(exc: errors.ResourceExhausted) -> _Status:
    delay = duration_pb2.Duration()
    delay.FromNanoseconds(int(exc.retry_after * 1e9))
    detail = error_details_pb2.RetryInfo(retry_delay=delay)
    status = status_pb2.Status(code=code_pb2.RESOURCE_EXHAUSTED, message=exc.message)
    status.details.add().Pack(detail)
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
        limiter: RateLimiter,
        method_scopes: Mapping[str, str],
    ) -> None:
        self._verifier = verifier
        self._customers = customers
        self._limiter = limiter
        self._scopes = method_scopes

    @asynccontextmanager
    async def around(self, method: str, context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
        metadata = context.invocation_metadata() or ()
        tenant = self._verifier.verify_header(
            str(value) for key, value in metadata if key == "authorization"
        )
        info = _rpc_info.get(None)
        if info is not None:
            info.customer_id = tenant.customer_id
        required = self._scopes.get(method)
        if required is None:
            raise errors.PermissionDenied(f"{method} is not open to tokens")
        tenant.require(required)
        await self._customers.check_active(tenant.customer_id)
        self._limiter.acquire(tenant.customer_id)
        token = bind_tenant(tenant)
        try:
            yield
        finally:
            unbind_tenant(token)
