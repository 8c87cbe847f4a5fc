"""ContextService: protobuf in, service call, protobuf out."""

from __future__ import annotations

import datetime as dt

import grpc

from alice_server.auth import current_tenant
from alice_server.domain.identity import UserIdNormalizer, check_token
from alice_server.fairshare import FairShare
from alice_server.servicers import convert, convert_calls, limits
from alice_server.services.callers import CallerService
from alice_server.services.calls import CallService
from alice_server.services.context import ContextService
from alice_server.services.stats import StatsService
from chad_client.v1 import context_service_pb2 as pb
from chad_client.v1 import context_service_pb2_grpc as pb_grpc


class ContextServicer(pb_grpc.ContextServiceServicer):
    def __init__(
        self,
        context_service: ContextService,
        calls: CallService,
        callers: CallerService,
        normalize: UserIdNormalizer,
        stats: StatsService,
        max_response_bytes: int = limits.response_budget(),
        fair_share: FairShare | None = None,
    ) -> None:
        self._fair_share = fair_share or FairShare(0)
        self._stats = stats
        self._context = context_service
        self._calls = calls
        self._callers = callers
        self._normalize = normalize
        self._budget = max_response_bytes

    async def GetEnrichedContext(
        self, request: pb.GetEnrichedContextRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetEnrichedContextResponse:
        if request.query:  # a search: CPU-heavy, tenants take turns (fairshare.py)
            async with self._fair_share.turn(current_tenant().customer_id):
                return await self._enriched_context(request)
        return await self._enriched_context(request)

    async def _enriched_context(
        self, request: pb.GetEnrichedContextRequest
    ) -> pb.GetEnrichedContextResponse:
        tenant = current_tenant()
        result = await self._context.enriched_context(
            tenant.customer_id,
            self._normalize(request.user_id),
            request.num_summaries if request.HasField("num_summaries") else None,
            request.num_memories if request.HasField("num_memories") else None,
            request.query,
            request.num_follow_ups if request.HasField("num_follow_ups") else None,
        )
        response = pb.GetEnrichedContextResponse(
            customer_id=tenant.customer_id,
            user_id=result.user_id,
            is_new_caller=result.is_new_caller,
            context=result.text,
            profile=convert.caller_profile(result.profile) if result.profile else None,
            personality=convert.personality(result.personality) if result.personality else None,
            follow_ups=[convert.follow_up(f, result.checked_at) for f in result.follow_ups],
        )
        summaries = response.summaries
        for s in result.summaries:
            convert.set_call_summary(summaries.add(), s)
        # The memories (most relevant first) that fit beside the rest of the response:
        # all of them nearly always, which one size of the whole response tells. They
        # are converted in place (no copy); only a response over budget converts again.
        added = response.memories
        for m in result.memories:
            convert.set_memory(added.add(), m)
        if response.ByteSize() > self._budget:
            del added[:]
            memories = [convert.memory(m) for m in result.memories]
            room = self._budget - response.ByteSize()
            added.extend(memories[: limits.fitting(memories, room, keep_one=False)])
        return response

    async def ProcessCall(
        self, request: pb.ProcessCallRequest, context: grpc.aio.ServicerContext
    ) -> pb.ProcessCallResponse:
        tenant = current_tenant()
        user_id = self._normalize(request.user_id)
        call_id = check_token(request.call_id, "call_id")
        record = await self._calls.process(
            tenant.customer_id,
            user_id,
            call_id,
            convert.turns(request.turns),
            convert.datetime_of(request, "started_at"),
            convert.datetime_of(request, "ended_at"),
        )
        now = dt.datetime.now(dt.UTC)
        return pb.ProcessCallResponse(
            customer_id=tenant.customer_id,
            call_id=call_id,
            summary=record.summary.summary,
            sentiment=convert.sentiment(record.summary.sentiment),
            key_topics=record.summary.key_topics,
            personality=convert.scores(record.personality),
            already_processed=record.already_processed,
            follow_ups=[convert.follow_up(f, now) for f in record.follow_ups],
        )

    async def GetCallerProfile(
        self, request: pb.GetCallerProfileRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetCallerProfileResponse:
        row = await self._callers.profile(
            current_tenant().customer_id, self._normalize(request.user_id)
        )
        return pb.GetCallerProfileResponse(profile=convert.caller_profile(row))

    async def ListCallerProfiles(
        self, request: pb.ListCallerProfilesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListCallerProfilesResponse:
        rows, token = await self._callers.profiles(
            current_tenant().customer_id, request.page_size, request.page_token
        )
        return pb.ListCallerProfilesResponse(
            profiles=[convert.caller_profile(r) for r in rows], next_page_token=token
        )

    async def GetPersonality(
        self, request: pb.GetPersonalityRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetPersonalityResponse:
        row = await self._callers.personality(
            current_tenant().customer_id, self._normalize(request.user_id)
        )
        return pb.GetPersonalityResponse(personality=convert.personality(row))

    async def ListCallSummaries(
        self, request: pb.ListCallSummariesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListCallSummariesResponse:
        user_id = self._normalize(request.user_id) if request.user_id.strip() else None
        rows, records, token = await self._callers.summaries(
            current_tenant().customer_id, user_id, request.page_size, request.page_token
        )
        return pb.ListCallSummariesResponse(
            summaries=[convert.call_summary(r) for r in rows],
            next_page_token=token,
            records={k: convert_calls.call_record(v) for k, v in records.items()},
        )

    # --- Call loop (issue 11)

    async def UpdateCallerProfile(
        self, request: pb.UpdateCallerProfileRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateCallerProfileResponse:
        profile, created = await self._callers.update_profile(
            current_tenant().customer_id,
            self._normalize(request.user_id),
            request.preferred_name if request.HasField("preferred_name") else None,
            convert.struct_to_dict(request, "preferences"),
            request.replace_preferences,
        )
        return pb.UpdateCallerProfileResponse(
            profile=convert.caller_profile(profile), created=created
        )

    async def GetTenantStats(
        self, request: pb.GetTenantStatsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetTenantStatsResponse:
        customer_id = current_tenant().customer_id
        stats = await self._stats.tenant_stats(customer_id)
        return convert_calls.tenant_stats(customer_id, stats)
