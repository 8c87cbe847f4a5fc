"""Follow-ups in tests: a summariser that answers with scripted call notes,
and a ProcessCall request with a given start."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from google.protobuf import timestamp_pb2

from alice_server.domain.summarizer import (
    CallAnalysis,
    CallNotes,
    Commitment,
    ExtractedMemory,
    PersonalityScores,
    TranscriptTurn,
)
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import resources_pb2 as res


class ScriptedSummarizer:
    """Answers each call with the analysis its test scripted (named in the first turn)."""

    def __init__(self) -> None:
        self.scripts: dict[str, CallAnalysis] = {}

    def turns(
        self,
        commitments: Sequence[Commitment] = (),
        facts: Sequence[tuple[str, str, str]] = (),
    ) -> list[res.Turn]:
        name = uuid.uuid4().hex
        self.scripts[name] = CallAnalysis(
            summary="Scripted call.",
            sentiment="neutral",
            key_topics=(),
            personality=PersonalityScores.neutral(),
            caller_name=None,
            memories=tuple(ExtractedMemory(t, k, v) for t, k, v in facts),
            notes=CallNotes(commitments=tuple(commitments)),
        )
        return [
            res.Turn(role=res.ROLE_CALLER, content=f"script {name}"),
            res.Turn(role=res.ROLE_AGENT, content="Noted."),
        ]

    async def analyze(self, turns: Sequence[TranscriptTurn]) -> CallAnalysis:
        return self.scripts[turns[0].text.split()[1]]


def process_request(
    user_id: str, call_id: str, turns: list[res.Turn], started: dt.datetime
) -> ctx.ProcessCallRequest:
    return ctx.ProcessCallRequest(
        user_id=user_id, call_id=call_id, turns=turns, started_at=timestamp(started)
    )


def timestamp(value: dt.datetime) -> timestamp_pb2.Timestamp:
    message = timestamp_pb2.Timestamp()
    message.FromDatetime(value)
    return message
