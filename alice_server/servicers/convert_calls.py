"""Conversions of the call loop's values (transcripts, call records, stats) to and
from protobuf; the rest is in `convert`."""

from __future__ import annotations

from collections.abc import Sequence

from alice_server.domain.errors import InvalidArgument
from alice_server.domain.stats import TenantStats
from alice_server.domain.transcripts import (
    CallDetails,
    Direction,
    NewTurn,
    RecordChanges,
    Speaker,
    StoredTurn,
)
from alice_server.servicers.convert import datetime_of, timestamp
from chad_client.v1 import call_service_pb2 as call_pb
from chad_client.v1 import context_service_pb2 as ctx_pb
from chad_client.v1 import resources_pb2 as pb

_SPEAKERS: dict[int, Speaker] = {
    pb.ROLE_CALLER: "caller",
    pb.ROLE_AGENT: "agent",
    pb.ROLE_SYSTEM: "system",
}
_ROLE_ENUMS = {"caller": pb.ROLE_CALLER, "agent": pb.ROLE_AGENT, "system": pb.ROLE_SYSTEM}
_DIRECTIONS: dict[int, Direction] = {
    call_pb.CALL_DIRECTION_INBOUND: "inbound",
    call_pb.CALL_DIRECTION_OUTBOUND: "outbound",
}
_DIRECTION_ENUMS = {
    "": call_pb.CALL_DIRECTION_UNSPECIFIED,
    "inbound": call_pb.CALL_DIRECTION_INBOUND,
    "outbound": call_pb.CALL_DIRECTION_OUTBOUND,
}


def new_turns(turns: Sequence[call_pb.TranscriptTurn]) -> list[NewTurn]:
    result = []
    for index, turn in enumerate(turns):
        role = _SPEAKERS.get(turn.role)
        if role is None:
            raise InvalidArgument(
                f"turns[{index}].role must be ROLE_CALLER, ROLE_AGENT or ROLE_SYSTEM"
            )
        result.append(NewTurn(turn.sequence, role, turn.content, datetime_of(turn, "spoken_at")))
    return result


def transcript_turn(turn: StoredTurn) -> call_pb.TranscriptTurn:
    return call_pb.TranscriptTurn(
        sequence=turn.sequence,
        role=_ROLE_ENUMS[turn.role],
        content=turn.content,
        spoken_at=timestamp(turn.spoken_at),
    )


def record_changes(request: call_pb.UpdateCallRecordRequest) -> RecordChanges:
    def optional(name: str) -> str | None:
        return getattr(request, name) if request.HasField(name) else None

    if request.direction not in _DIRECTIONS and request.direction != 0:
        raise InvalidArgument("direction must be CALL_DIRECTION_INBOUND or CALL_DIRECTION_OUTBOUND")
    return RecordChanges(
        direction=_DIRECTIONS.get(request.direction),
        dialled_number=optional("dialled_number"),
        external_call_id=optional("external_call_id"),
        transfer_target=optional("transfer_target"),
        recording_url=optional("recording_url"),
        transcript_url=optional("transcript_url"),
    )


def call_record(call: CallDetails) -> call_pb.CallRecord:
    return call_pb.CallRecord(
        call_id=call.call_id,
        user_id=call.user_id,
        direction=_DIRECTION_ENUMS[call.direction],
        dialled_number=call.dialled_number,
        external_call_id=call.external_call_id,
        transfer_target=call.transfer_target,
        recording_url=call.recording_url,
        transcript_url=call.transcript_url,
        turn_count=call.turn_count,
        first_turn_at=timestamp(call.first_turn_at),
        last_turn_at=timestamp(call.last_turn_at),
        processed=call.processed,
        created_at=timestamp(call.created_at),
        updated_at=timestamp(call.updated_at),
    )


def tenant_stats(customer_id: int, stats: TenantStats) -> ctx_pb.GetTenantStatsResponse:
    return ctx_pb.GetTenantStatsResponse(
        customer_id=customer_id,
        caller_memory_count=stats.caller_memory_count,
        shared_memory_count=stats.shared_memory_count,
        caller_count=stats.caller_count,
        processed_call_count=stats.processed_call_count,
        recorded_call_count=stats.recorded_call_count,
        transcript_turn_count=stats.transcript_turn_count,
        last_call_at=timestamp(stats.last_call_at),
    )
