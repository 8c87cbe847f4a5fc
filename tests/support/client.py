"""What the client sends, seen from inside it."""

from __future__ import annotations

import grpc


class Recorder(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """Counts the attempts that leave the client, and the tokens they carry."""

    def __init__(self) -> None:
        self.attempts: list[str] = []
        self.tokens: list[str] = []

    async def intercept_unary_unary(self, continuation, details, request):  # type: ignore[no-untyped-def]
        method = details.method.decode() if isinstance(details.method, bytes) else details.method
        self.attempts.append(method.rsplit("/", 1)[-1])
        self.tokens += [v.split()[1] for k, v in details.metadata or () if k == "authorization"]
        return await continuation(details, request)
