"""Around every RPC: the one place where requests are refused or admitted
(malformed bytes, token, scope, rate limit, customer status) and where Python
exceptions become gRPC statuses, with each RPC's access line and metrics.

`RpcGuard` wraps each method handler once, when it is registered
(`RpcGuard.registrar(server)` stands for the server in the generated
`add_*Servicer_to_server` functions), so that grpc runs no interceptor chain:
one coroutine per call (`RpcGuard._serve`) does all of it, in the handler's own
task (the tenant and log context variables reach the `async def` handlers).
Every kind of RPC (unary or streaming) keeps its shape.

Two hook points, both None unless the server's wiring sets them:
`check_request(method, request)` runs after admission, just before the
handler (raise a domain error to refuse the request), and
`trailing_metadata()` gives metadata added to the end of every call (with a read
replica: `read_your_writes.trailing`, a write's `x-alice-lsn`). Before the handler
the client's `x-alice-lsn` is bound for storage (`read_your_writes.bind`).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import aclosing
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
    Tenant,
    TokenRejected,
    TokenVerifier,
    bind_tenant,
    unbind_tenant,
)
from alice_server.domain import errors
from alice_server.draining import Drain
from alice_server.malformed import BoundedLog, Malformed, message_name, refuse, tolerant
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
    errors.ServerDraining: (grpc.StatusCode.UNAVAILABLE, "SERVER_DRAINING"),
    errors.ResourceExhausted: (grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED"),
    errors.TenantShareExhausted: (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "TENANT_DATABASE_SHARE_IN_USE",
    ),
    errors.SummarizerBusy: (grpc.StatusCode.RESOURCE_EXHAUSTED, "SUMMARIZER_BUSY"),
    errors.StatementTimeout: (grpc.StatusCode.DEADLINE_EXCEEDED, "STATEMENT_TIMEOUT"),
    errors.Aborted: (grpc.StatusCode.ABORTED, "CONFLICT"),
}

# A request check (hook a): (method, request) -> None, raising a domain error to refuse.
RequestCheck = Callable[[str, Any], None]
# Trailing metadata (hook b): () -> pairs added to the end of the call.
TrailingMetadata = Callable[[], Sequence[tuple[str, str]]]

_OK = grpc.StatusCode.OK
_FAILED_BADLY = (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN)


class RpcGuard:
    """What Alice does around each RPC, in one coroutine per call.

    In order: a request whose bytes did not parse is refused (INVALID_ARGUMENT,
    `alice_server.malformed`; public methods too); the RPC's log context opens
    (method, request id: the client's `x-request-id` or a new one, returned in
    the initial metadata). Then admission:
    UNAUTHENTICATED for a missing, malformed, wrongly signed or expired token;
    PERMISSION_DENIED when the method's scope is missing from the token, a
    platform token calls a tenant method (or the reverse), or the customer does
    not exist or is suspended; RESOURCE_EXHAUSTED past the customer's rate limit.
    The tenant is bound for the handler. Whatever the handler (or admission)
    raises becomes its status (ERRORS); the access line and the RPC metrics are
    written at the end, whatever the outcome (CANCELLED when the client went away,
    DEADLINE_EXCEEDED when grpc cancelled the call at its deadline).

    Health checks and reflection (PUBLIC_SERVICES) get the malformed-request
    refusal only.
    """

    def __init__(
        self,
        verifier: TokenVerifier,
        customers: CustomerDirectory,
        limiter: Limiter,
        method_scopes: Mapping[str, str],
        platform_scopes: Mapping[str, str] | None = None,
        *,
        access_level: str = "DEBUG",
        on_database_unavailable: Callable[[], None] | None = None,
        check_request: RequestCheck | None = None,
        trailing_metadata: TrailingMetadata | None = None,
        drain: Drain | None = None,
    ) -> None:
        self._verifier = verifier
        self._customers = customers
        self._limiter = limiter
        self._scopes = method_scopes
        self._platform_scopes = platform_scopes or {}
        self._access_level = logging.getLevelName(access_level)
        self._on_database_unavailable = on_database_unavailable
        self.check_request = check_request
        self.trailing_metadata = trailing_metadata
        self.malformed_log = BoundedLog()
        self._drain = drain or Drain()

    def registrar(self, server: grpc.aio.Server) -> Registrar:
        """`server` for the `add_*Servicer_to_server` functions: registers guarded handlers."""
        return Registrar(server, self)

    def wrap(self, method: str, handler: grpc.RpcMethodHandler | None) -> Any:
        """`handler` (of the RPC `method`) run by the guard; None stays None."""
        if handler is None:
            return None
        deserializer = handler.request_deserializer
        name = method.rsplit("/", 1)[-1] + "Request"
        if deserializer is not None:
            name = message_name(method, deserializer)
            handler = handler._replace(request_deserializer=tolerant(deserializer))
        if method.startswith(PUBLIC_SERVICES):
            return self._public(method, name, handler)
        if handler.unary_unary is not None:
            serve = functools.partial(self._serve, method, name, handler.unary_unary)
            return handler._replace(unary_unary=serve)
        if handler.stream_unary is not None:
            serve = functools.partial(self._serve, method, name, handler.stream_unary)
            return handler._replace(stream_unary=serve)
        if handler.unary_stream is not None:
            serve = functools.partial(self._serve, method, name, _writer(handler.unary_stream))
            return handler._replace(unary_stream=serve)
        serve = functools.partial(self._serve, method, name, _writer(handler.stream_stream))
        return handler._replace(stream_stream=serve)

    async def _serve(
        self,
        method: str,
        name: str,
        behaviour: Callable[[Any, grpc.aio.ServicerContext], Any],
        request: Any,
        context: grpc.aio.ServicerContext,
    ) -> Any:
        """One call: every step of the class's description, in this coroutine."""
        if type(request) is Malformed:
            await refuse(self.malformed_log, method, name, request, context)
        metadata = context.invocation_metadata() or ()
        rpc = logs.RpcContext(method, logs.request_id_from(metadata))
        log_token = logs.bind_rpc(rpc)
        tenant_token = None
        code = _OK
        try:
            await context.send_initial_metadata(((logs.REQUEST_ID_HEADER, rpc.request_id),))
            # Refused with UNAVAILABLE / SERVER_DRAINING once the server drains
            # (draining.py), before any other work: the client retries elsewhere.
            with self._drain.admitted():
                tenant = await self._admit(method, metadata, rpc)
                if tenant is not None:
                    tenant_token = bind_tenant(tenant)
                read_your_writes.bind(metadata)  # the client's x-alice-lsn, for storage
                if self.check_request is not None:
                    self.check_request(method, request)
                result = await behaviour(request, context)
                if self.trailing_metadata is not None:
                    context.set_trailing_metadata(tuple(self.trailing_metadata()))
                return result
        except grpc.aio.AbortError:
            code = context.code() or grpc.StatusCode.UNKNOWN
            raise
        except asyncio.CancelledError:
            # grpc cancels the call's task when the client goes away, and when the
            # deadline passes (it sends DEADLINE_EXCEEDED itself): no timer of ours.
            remaining = context.time_remaining()
            if remaining is not None and remaining <= 0:
                code = grpc.StatusCode.DEADLINE_EXCEEDED
            else:
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
            trailing = status.trailing_metadata
            if self.trailing_metadata is not None:
                trailing = (*trailing, *self.trailing_metadata())
            await context.abort(status.code, status.details, trailing)
        finally:
            if tenant_token is not None:
                unbind_tenant(tenant_token)
            self._finish(rpc, code)
            logs.unbind_rpc(log_token)

    async def _admit(
        self, method: str, metadata: Sequence[tuple[str, Any]], rpc: logs.RpcContext
    ) -> Tenant | None:
        """The call's tenant (None: a platform call), or the domain error refusing it.
        Cheap rejections first: the rate limit needs no database (a customer's own
        limit comes from the directory's cache once it has been read)."""
        principal = self._verifier.verify_principal_header(
            [str(value) for key, value in metadata if key == "authorization"]
        )
        # Platform tokens (t-tenants): only the platform RPCs, never a tenant's data.
        if isinstance(principal, Platform):
            platform_scope = self._platform_scopes.get(method)
            if platform_scope is None:
                raise errors.PermissionDenied(
                    f"{method} needs a tenant token: platform tokens never reach tenant data"
                )
            principal.require(platform_scope)
            return None
        if method in self._platform_scopes:
            raise errors.PermissionDenied(f"{method} needs a platform token (platform:admin)")
        customer_id = principal.customer_id
        rpc.customer_id = customer_id
        required = self._scopes.get(method)
        if required is None:
            raise errors.PermissionDenied(f"{method} is not open to tokens")
        principal.require(required)
        await self._limiter.acquire(customer_id, self._customers.cached_rate_limit(customer_id))
        await self._customers.check_active(customer_id)
        return principal

    def _finish(self, rpc: logs.RpcContext, code: grpc.StatusCode) -> None:
        """The RPC's metrics and its access line."""
        elapsed = time.perf_counter() - rpc.started
        metrics.observe_rpc(rpc.method, rpc.customer_id, code.name, elapsed)
        if code is _OK:
            level, throttle = self._access_level, None
        elif code in _FAILED_BADLY:
            level, throttle = logging.ERROR, (rpc.method, code.name)
        else:
            level, throttle = logging.INFO, (rpc.method, code.name)
        if logger.isEnabledFor(level):
            logger.log(
                level,
                "%s %s %.1fms",
                rpc.method,
                code.name,
                elapsed * 1000,
                extra={
                    "code": code.name,
                    "duration_ms": round(elapsed * 1000, 1),
                    "throttle_key": throttle,
                },
            )

    def _public(self, method: str, name: str, handler: grpc.RpcMethodHandler) -> Any:
        """A public method's handler: only the malformed-request refusal."""
        log = self.malformed_log
        if handler.unary_unary is not None:
            inner = handler.unary_unary

            async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
                if type(request) is Malformed:
                    await refuse(log, method, name, request, context)
                return await inner(request, context)

            return handler._replace(unary_unary=unary_unary)
        if handler.unary_stream is not None:
            return handler._replace(
                unary_stream=functools.partial(
                    self._serve_public, method, name, _writer(handler.unary_stream)
                )
            )
        # Client-streaming methods (reflection) see the marker in their request
        # iterator; they are left as they are.
        return handler

    async def _serve_public(
        self,
        method: str,
        name: str,
        behaviour: Callable[[Any, grpc.aio.ServicerContext], Any],
        request: Any,
        context: grpc.aio.ServicerContext,
    ) -> None:
        if type(request) is Malformed:
            await refuse(self.malformed_log, method, name, request, context)
        await behaviour(request, context)


class Registrar:
    """Stands for the server in the generated `add_*Servicer_to_server` functions
    (and the health and reflection services'): every method handler they register
    is registered guarded (`RpcGuard.wrap`)."""

    def __init__(self, server: grpc.aio.Server, guard: RpcGuard) -> None:
        self._server = server
        self._guard = guard

    def add_generic_rpc_handlers(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        self._server.add_generic_rpc_handlers(
            tuple(_GuardedHandlers(handler, self._guard) for handler in handlers)
        )

    def add_registered_method_handlers(
        self, service: str, handlers: dict[str, grpc.RpcMethodHandler]
    ) -> None:
        self._server.add_registered_method_handlers(
            service,
            {name: self._guard.wrap(f"/{service}/{name}", h) for name, h in handlers.items()},
        )


class _GuardedHandlers(grpc.GenericRpcHandler):
    """A generic handler's method handlers, each wrapped once (on its first call).
    Only found methods are kept: a client's invented names are not remembered."""

    def __init__(self, inner: grpc.GenericRpcHandler, guard: RpcGuard) -> None:
        self._inner = inner
        self._guard = guard
        self._wrapped: dict[str, Any] = {}

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> Any:
        method: str = handler_call_details.method
        wrapped = self._wrapped.get(method)
        if wrapped is None:
            wrapped = self._guard.wrap(method, self._inner.service(handler_call_details))
            if wrapped is not None:
                self._wrapped[method] = wrapped
        return wrapped


def _writer(inner: Callable[..., Any]) -> Callable[..., Any]:
    """A streaming handler as a coroutine that writes its responses itself.

    Not an async generator: grpc leaves a generator whose client went away to be
    closed by the garbage collector, in another task and context, where the
    guard could not reset its context variables, log the access line or end the
    handler's transaction. A coroutine is cancelled in its own task instead, and
    closes the handler's generator there (`aclosing`)."""

    async def behaviour(request: Any, context: grpc.aio.ServicerContext) -> None:
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
