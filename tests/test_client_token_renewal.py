"""chad_client renews a token on the server's machine-readable reason
(google.rpc.ErrorInfo TOKEN_EXPIRED), not on the wording of the message.

The server here is a real grpc.aio server on a real port answering with the
status Alice sends (tests/test_hostile_input.py checks Alice sends it); its
messages are worded so that matching the word "expired" gives the wrong answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from chad_client import AliceClient, Unauthenticated
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc

SECRET = "s" * 48


class Refusing(context_service_pb2_grpc.ContextServiceServicer):
    def __init__(self, message: str, reason: str | None) -> None:
        self.message = message
        self.reason = reason
        self.tokens: list[str] = []

    async def GetEnrichedContext(self, request, context):  # type: ignore[no-untyped-def]
        token = dict(context.invocation_metadata())["authorization"]
        self.tokens.append(token)
        if len(self.tokens) > 1:
            return ctx.GetEnrichedContextResponse(customer_id=7, user_id=request.user_id)
        status = status_pb2.Status(code=code_pb2.UNAUTHENTICATED, message=self.message)
        if self.reason is not None:
            status.details.add().Pack(
                error_details_pb2.ErrorInfo(reason=self.reason, domain="alice.memory.v1")
            )
        await context.abort_with_status(rpc_status.to_status(status))


async def _serve(servicer: Refusing) -> AsyncIterator[str]:
    server = grpc.aio.server()
    context_service_pb2_grpc.add_ContextServiceServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


@pytest.mark.parametrize(
    ("message", "reason", "renewed"),
    [
        ("the token is too old: mint a new one", "TOKEN_EXPIRED", True),
        ("the token's signature is invalid (it never expired)", "TOKEN_INVALID", False),
        ("expired", None, False),
    ],
)
async def test_the_client_renews_on_the_token_expired_reason_only(message, reason, renewed):
    servicer = Refusing(message, reason)
    async for address in _serve(servicer):
        async with AliceClient(address, secret=SECRET) as client:
            tenant = client.for_customer(7)
            if renewed:
                context = await tenant.get_enriched_context("+15550000001")
                assert context.customer_id == 7
                assert len(servicer.tokens) == 2
            else:
                with pytest.raises(Unauthenticated):
                    await tenant.get_enriched_context("+15550000001")
                assert len(servicer.tokens) == 1
