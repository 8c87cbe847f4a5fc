"""FollowUpService: protobuf in, service call, protobuf out."""

from __future__ import annotations

import datetime as dt

import grpc

from alice_server.auth import current_tenant
from alice_server.domain.follow_ups import status_filter
from alice_server.domain.identity import UserIdNormalizer, parse_uuid
from alice_server.servicers import convert
from alice_server.services.follow_ups import FollowUpService
from chad_client.v1 import follow_up_service_pb2 as pb
from chad_client.v1 import follow_up_service_pb2_grpc as pb_grpc


class FollowUpServicer(pb_grpc.FollowUpServiceServicer):
    def __init__(self, follow_ups: FollowUpService, normalize: UserIdNormalizer) -> None:
        self._follow_ups = follow_ups
        self._normalize = normalize

    async def ListFollowUps(
        self, request: pb.ListFollowUpsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListFollowUpsResponse:
        user_id = self._normalize(request.user_id) if request.user_id.strip() else None
        rows, token = await self._follow_ups.page(
            current_tenant().customer_id,
            user_id,
            status_filter(convert.follow_up_status(request.status)),
            request.page_size,
            request.page_token,
        )
        now = dt.datetime.now(dt.UTC)
        return pb.ListFollowUpsResponse(
            follow_ups=[convert.follow_up(r, now) for r in rows], next_page_token=token
        )

    async def GetFollowUp(
        self, request: pb.GetFollowUpRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetFollowUpResponse:
        row = await self._follow_ups.get(current_tenant().customer_id, parse_uuid(request.id))
        return pb.GetFollowUpResponse(follow_up=convert.follow_up(row, dt.datetime.now(dt.UTC)))

    async def CompleteFollowUp(
        self, request: pb.CompleteFollowUpRequest, context: grpc.aio.ServicerContext
    ) -> pb.CompleteFollowUpResponse:
        closing = await self._follow_ups.complete(
            current_tenant().customer_id, parse_uuid(request.id)
        )
        return pb.CompleteFollowUpResponse(
            follow_up=convert.follow_up(closing.follow_up, dt.datetime.now(dt.UTC)),
            changed=closing.changed,
        )

    async def CancelFollowUp(
        self, request: pb.CancelFollowUpRequest, context: grpc.aio.ServicerContext
    ) -> pb.CancelFollowUpResponse:
        closing = await self._follow_ups.cancel(
            current_tenant().customer_id, parse_uuid(request.id)
        )
        return pb.CancelFollowUpResponse(
            follow_up=convert.follow_up(closing.follow_up, dt.datetime.now(dt.UTC)),
            changed=closing.changed,
        )
