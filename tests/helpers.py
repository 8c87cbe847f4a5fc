"""Small helpers shared by the tests."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2


def struct(**values: Any) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


async def status_of(call: Awaitable[Any]) -> tuple[grpc.StatusCode, str]:
    """Await an RPC expected to fail; its status code and details."""
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await call
    return failure.value.code(), failure.value.details() or ""
