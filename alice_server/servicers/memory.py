"""MemoryService: protobuf in, service call, protobuf out."""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from alice_server.auth import current_tenant
from alice_server.domain.identity import UserIdNormalizer, parse_uuid
from alice_server.domain.memories import Memory, MemoryFilter, check_type, memory_key, new_memory
from alice_server.fairshare import FairShare
from alice_server.servicers import convert, limits
from alice_server.services.memories import MemoryService
from chad_client.v1 import memory_service_pb2 as pb
from chad_client.v1 import memory_service_pb2_grpc as pb_grpc
from chad_client.v1 import resources_pb2 as pb_resources


class MemoryServicer(pb_grpc.MemoryServiceServicer):
    def __init__(
        self,
        store: MemoryService,
        normalize: UserIdNormalizer,
        max_response_bytes: int = limits.response_budget(),
        fair_share: FairShare | None = None,
    ) -> None:
        self._store = store
        self._normalize = normalize
        self._budget = max_response_bytes
        self._fair_share = fair_share or FairShare(0)

    async def StoreMemory(
        self, request: pb.StoreMemoryRequest, context: grpc.aio.ServicerContext
    ) -> pb.StoreMemoryResponse:
        tenant = current_tenant()
        scope = convert.scope_name(request.scope)
        user_id = self._normalize(request.user_id) if scope == "user" else request.user_id.strip()
        item = new_memory(
            scope=scope,
            user_id=user_id,
            type=request.type,
            key=request.key,
            value=convert.struct_to_dict(request, "value"),
            ttl_days=request.ttl_days,
            source=request.source,
        )
        row, created = await self._store.store(tenant.customer_id, item)
        return pb.StoreMemoryResponse(
            memory=convert.memory(row), created=created, customer_id=tenant.customer_id
        )

    async def GetMemory(
        self, request: pb.GetMemoryRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetMemoryResponse:
        row = await self._store.get(current_tenant().customer_id, parse_uuid(request.id))
        return pb.GetMemoryResponse(memory=convert.memory(row))

    async def DeleteMemory(
        self, request: pb.DeleteMemoryRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteMemoryResponse:
        await self._store.delete(current_tenant().customer_id, parse_uuid(request.id))
        return pb.DeleteMemoryResponse()

    async def ListMemories(
        self, request: pb.ListMemoriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListMemoriesResponse:
        converted: list[pb_resources.Memory] = []

        def fits(page: Sequence[Memory]) -> int:
            converted.extend(convert.memory(m) for m in page)
            return limits.fitting(converted, self._budget)

        memories, token = await self._store.list_page(
            current_tenant().customer_id,
            self._owners(request.user_id, request.include_shared),
            check_type(request.type) if request.type else None,
            request.page_size,
            request.page_token,
            fits,
        )
        return pb.ListMemoriesResponse(memories=converted[: len(memories)], next_page_token=token)

    async def SearchMemories(
        self, request: pb.SearchMemoriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.SearchMemoriesResponse:
        customer_id = current_tenant().customer_id
        owners = self._owners(request.user_id, request.include_shared)
        mode = convert.search_mode(request.mode)
        # CPU-heavy: tenants take turns (fairshare.py).
        async with self._fair_share.turn(customer_id):
            hits = await self._store.search(
                customer_id, owners, request.query, list(request.types), request.limit, mode
            )
            results = [convert.search_hit(hit) for hit in hits]
            return pb.SearchMemoriesResponse(
                results=results[: limits.fitting(results, self._budget)]
            )

    async def GetMemoryHistory(
        self, request: pb.GetMemoryHistoryRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetMemoryHistoryResponse:
        changes, token = await self._store.history(
            current_tenant().customer_id,
            parse_uuid(request.id),
            request.page_size,
            request.page_token,
        )
        return pb.GetMemoryHistoryResponse(
            entries=[convert.memory_change(c) for c in changes], next_page_token=token
        )

    async def GetMemoryByKey(
        self, request: pb.GetMemoryByKeyRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetMemoryByKeyResponse:
        scope = convert.scope_name(request.scope)
        user_id = self._normalize(request.user_id) if scope == "user" else request.user_id.strip()
        identity = memory_key(scope=scope, user_id=user_id, type=request.type, key=request.key)
        memory = await self._store.by_key(current_tenant().customer_id, identity)
        return pb.GetMemoryByKeyResponse(memory=convert.memory(memory))

    def _owners(self, user_id: str, include_shared: bool) -> MemoryFilter:
        if not user_id.strip() and include_shared:
            return MemoryFilter(None, include_shared=True)
        return MemoryFilter(self._normalize(user_id), include_shared=include_shared)
