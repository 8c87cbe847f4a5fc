"""Read-your-writes with a server that reads from a standby (ALICE_READ_DATABASE_URL).

A write's response carries the primary's WAL position after its commit in the
trailing metadata `x-alice-lsn` (`16/B374D848`). `ReadYourWrites`, a client
interceptor every `AliceClient` installs, remembers the newest position per tenant
(the `customer_id` of the call's bearer token) and sends it with each of that
tenant's later calls; the server then reads from the standby only once the standby
has replayed that far, and from the primary before. So a memory stored through this
client is in the very next GetEnrichedContext, whichever database answers it.

The positions are per client process: another process of the voice agent has its
own (the server bounds the standby's lag for calls that bring no position).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from collections.abc import Iterable
from typing import Any

import grpc

LSN_HEADER = "x-alice-lsn"
_LSN = re.compile(r"([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})")
_MAX_TOKENS = 1024  # tokens whose tenant is remembered (renewed tokens replace them)


def _position(text: str) -> int | None:
    match = _LSN.fullmatch(text)
    if match is None:
        return None
    return (int(match.group(1), 16) << 32) | int(match.group(2), 16)


def _customer_of(token: str) -> int | None:
    """The token's customer_id claim, read without checking the signature (the
    server does that): only which tenant the position belongs to."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
        return None
    customer = claims.get("customer_id") if isinstance(claims, dict) else None
    return customer if type(customer) is int else None


class ReadYourWrites(
    grpc.aio.UnaryUnaryClientInterceptor,
    grpc.aio.UnaryStreamClientInterceptor,
):
    """Remembers the newest `x-alice-lsn` per tenant and sends it on every call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._newest: dict[int, tuple[int, str]] = {}
        self._tenants: dict[str, int | None] = {}

    def newest(self, customer_id: int) -> str | None:
        """The newest position seen for the tenant (None: no write seen yet)."""
        found = self._newest.get(customer_id)
        return found[1] if found is not None else None

    def record(self, customer_id: int, text: str) -> None:
        position = _position(text)
        if position is None:
            return
        with self._lock:
            known = self._newest.get(customer_id)
            if known is None or position > known[0]:
                self._newest[customer_id] = (position, text)

    def _customer(self, metadata: Iterable[tuple[str, Any]] | None) -> int | None:
        for key, value in metadata or ():
            if key == "authorization" and isinstance(value, str):
                token = value.removeprefix("Bearer ").strip()
                if token in self._tenants:
                    return self._tenants[token]
                customer = _customer_of(token)
                with self._lock:
                    if len(self._tenants) >= _MAX_TOKENS:
                        self._tenants.clear()
                    self._tenants[token] = customer
                return customer
        return None

    def _details(
        self, details: grpc.aio.ClientCallDetails, customer: int | None
    ) -> grpc.aio.ClientCallDetails:
        newest = self.newest(customer) if customer is not None else None
        if newest is None:
            return details
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        metadata.add(LSN_HEADER, newest)
        return details._replace(metadata=metadata)

    async def intercept_unary_unary(
        self, continuation: Any, client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        customer = self._customer(client_call_details.metadata)
        call = await continuation(self._details(client_call_details, customer), request)
        if customer is None:
            return call
        try:
            await call
        except grpc.aio.AioRpcError:
            return call  # the caller sees the error when it awaits the call
        for key, value in await call.trailing_metadata() or ():
            if key == LSN_HEADER and isinstance(value, str):
                self.record(customer, value)
        return call

    async def intercept_unary_stream(
        self, continuation: Any, client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        # Streams are reads (exports): the position goes out, none comes back.
        customer = self._customer(client_call_details.metadata)
        return await continuation(self._details(client_call_details, customer), request)
