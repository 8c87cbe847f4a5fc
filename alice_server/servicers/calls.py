"""CallService: protobuf in, service call, protobuf out."""

from __future__ import annotations

import dataclasses

import grpc

from alice_server.auth import current_tenant
from alice_server.domain.identity import UserIdNormalizer, check_token
from alice_server.servicers import convert_calls
from alice_server.services.transcripts import TranscriptService
from chad_client.v1 import call_service_pb2 as pb
from chad_client.v1 import call_service_pb2_grpc as pb_grpc


class CallServicer(pb_grpc.CallServiceServicer):
    def __init__(self, transcripts: TranscriptService, normalize: UserIdNormalizer) -> None:
        self._transcripts = transcripts
        self._normalize = normalize

    async def AppendTranscriptTurns(
        self, request: pb.AppendTranscriptTurnsRequest, context: grpc.aio.ServicerContext
    ) -> pb.AppendTranscriptTurnsResponse:
        outcome = await self._transcripts.append(
            current_tenant().customer_id,
            self._normalize(request.user_id),
            check_token(request.call_id, "call_id"),
            convert_calls.new_turns(request.turns),
        )
        return pb.AppendTranscriptTurnsResponse(
            call_id=outcome.call_id,
            appended=outcome.appended,
            already_stored=outcome.already_stored,
            turn_count=outcome.turn_count,
            next_sequence=outcome.next_sequence,
        )

    async def GetCallTranscript(
        self, request: pb.GetCallTranscriptRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetCallTranscriptResponse:
        call_id = check_token(request.call_id, "call_id")
        user_id, turns = await self._transcripts.transcript(current_tenant().customer_id, call_id)
        return pb.GetCallTranscriptResponse(
            call_id=call_id,
            user_id=user_id,
            turns=[convert_calls.transcript_turn(t) for t in turns],
        )

    async def UpdateCallRecord(
        self, request: pb.UpdateCallRecordRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateCallRecordResponse:
        changes = convert_calls.record_changes(request)
        if changes.dialled_number:
            number = self._normalize(changes.dialled_number, field="dialled_number")
            changes = dataclasses.replace(changes, dialled_number=number)
        record, created = await self._transcripts.update_record(
            current_tenant().customer_id,
            self._normalize(request.user_id),
            check_token(request.call_id, "call_id"),
            changes,
        )
        return pb.UpdateCallRecordResponse(
            record=convert_calls.call_record(record), created=created
        )

    async def GetCallRecord(
        self, request: pb.GetCallRecordRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetCallRecordResponse:
        record = await self._transcripts.record(
            current_tenant().customer_id, check_token(request.call_id, "call_id")
        )
        return pb.GetCallRecordResponse(record=convert_calls.call_record(record))
