"""CallService on a real server: per-call transcripts (idempotent, ordered,
bounded), ProcessCall from stored turns, and call records."""

from __future__ import annotations

import asyncio
import datetime as dt

import asyncpg
import grpc
import pytest

from chad_client.v1 import call_service_pb2 as call
from chad_client.v1 import call_service_pb2_grpc
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import resources_pb2 as res
from tests.helpers import status_of
from tests.support.processes import admin

T0 = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def calls(channel: grpc.aio.Channel) -> call_service_pb2_grpc.CallServiceStub:
    return call_service_pb2_grpc.CallServiceStub(channel)


def turn(sequence: int, content: str, role: int = res.ROLE_CALLER, at: dt.datetime | None = None):
    message = call.TranscriptTurn(sequence=sequence, role=role, content=content)
    if at is not None:
        message.spoken_at.FromDatetime(at)
    return message


def append(user_id: str, call_id: str, *turns: call.TranscriptTurn):
    return call.AppendTranscriptTurnsRequest(user_id=user_id, call_id=call_id, turns=list(turns))


async def test_turns_read_back_in_sequence_order_whatever_order_they_came_in(
    calls, peterson, caller_phone
):
    md = peterson.metadata()
    await calls.AppendTranscriptTurns(
        append(caller_phone, "CA-order", turn(4, "four")), metadata=md
    )
    first = await calls.AppendTranscriptTurns(
        append(caller_phone, "CA-order", turn(0, "zero"), turn(1, "one", res.ROLE_AGENT)),
        metadata=md,
    )
    assert (first.appended, first.already_stored, first.turn_count) == (2, 0, 3)
    assert first.next_sequence == 5  # one more than the highest stored, gaps allowed

    transcript = await calls.GetCallTranscript(
        call.GetCallTranscriptRequest(call_id="CA-order"), metadata=md
    )
    assert transcript.user_id == caller_phone
    assert [(t.sequence, t.content) for t in transcript.turns] == [
        (0, "zero"),
        (1, "one"),
        (4, "four"),
    ]
    assert transcript.turns[1].role == res.ROLE_AGENT


async def test_a_retried_append_stores_nothing_twice(calls, peterson, caller_phone):
    md = peterson.metadata()
    request = append(caller_phone, "CA-retry", turn(0, "hello"), turn(1, "hi", res.ROLE_AGENT))
    await calls.AppendTranscriptTurns(request, metadata=md)
    again = await calls.AppendTranscriptTurns(request, metadata=md)
    assert (again.appended, again.already_stored, again.turn_count) == (0, 2, 2)
    # Part retry, part new: only the new turn is stored.
    mixed = await calls.AppendTranscriptTurns(
        append(caller_phone, "CA-retry", turn(1, "hi", res.ROLE_AGENT), turn(2, "bye")),
        metadata=md,
    )
    assert (mixed.appended, mixed.already_stored, mixed.turn_count) == (1, 1, 3)
    transcript = await calls.GetCallTranscript(
        call.GetCallTranscriptRequest(call_id="CA-retry"), metadata=md
    )
    assert [t.content for t in transcript.turns] == ["hello", "hi", "bye"]


async def test_a_stored_turn_cannot_change_and_the_request_stores_nothing(
    calls, peterson, caller_phone
):
    md = peterson.metadata()
    await calls.AppendTranscriptTurns(
        append(caller_phone, "CA-edit", turn(0, "hello")), metadata=md
    )
    code, details = await status_of(
        calls.AppendTranscriptTurns(
            append(caller_phone, "CA-edit", turn(0, "HELLO"), turn(1, "new")), metadata=md
        )
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert "turn 0" in details and "different" in details
    transcript = await calls.GetCallTranscript(
        call.GetCallTranscriptRequest(call_id="CA-edit"), metadata=md
    )
    assert [t.content for t in transcript.turns] == ["hello"]  # turn 1 was not stored


async def test_a_call_holds_at_most_5000_turns(calls, peterson, caller_phone):
    md = peterson.metadata()
    for batch in range(10):
        response = await calls.AppendTranscriptTurns(
            append(
                caller_phone,
                "CA-long",
                *(turn(batch * 500 + i, f"turn {batch * 500 + i}") for i in range(500)),
            ),
            metadata=md,
        )
    assert response.turn_count == 5000
    code, details = await status_of(
        calls.AppendTranscriptTurns(
            append(caller_phone, "CA-long", turn(5000, "one more")), metadata=md
        )
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert "limit of 5000 turns per call" in details
    # A retry of stored turns is still fine: nothing new.
    retry = await calls.AppendTranscriptTurns(
        append(caller_phone, "CA-long", turn(4999, "turn 4999")), metadata=md
    )
    assert (retry.appended, retry.already_stored) == (0, 1)


async def test_a_call_holds_at_most_500000_characters(calls, peterson, caller_phone):
    md = peterson.metadata()
    long = "x" * 20_000
    await calls.AppendTranscriptTurns(
        append(caller_phone, "CA-chars", *(turn(i, long) for i in range(25))), metadata=md
    )
    code, details = await status_of(
        calls.AppendTranscriptTurns(append(caller_phone, "CA-chars", turn(25, "y")), metadata=md)
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert "limit of 500000" in details


async def test_concurrent_appends_to_one_call_are_all_counted(calls, peterson, caller_phone):
    md = peterson.metadata()
    await asyncio.gather(
        *(
            calls.AppendTranscriptTurns(
                append(caller_phone, "CA-busy", turn(2 * i, f"q{i}"), turn(2 * i + 1, f"a{i}")),
                metadata=md,
            )
            for i in range(20)
        )
    )
    record = await calls.GetCallRecord(call.GetCallRecordRequest(call_id="CA-busy"), metadata=md)
    assert record.record.turn_count == 40
    transcript = await calls.GetCallTranscript(
        call.GetCallTranscriptRequest(call_id="CA-busy"), metadata=md
    )
    assert [t.sequence for t in transcript.turns] == list(range(40))


@pytest.mark.parametrize(
    ("turns", "fragment"),
    [
        ([], "at least one turn"),
        ([turn(0, "a"), turn(0, "b")], "strictly increasing"),
        ([turn(2, "a"), turn(1, "b")], "strictly increasing"),
        ([turn(-1, "a")], "sequence must be 0 to"),
        ([turn(0, "a", role=res.ROLE_UNSPECIFIED)], "role"),
        ([turn(0, "")], "content is required"),
        ([turn(0, "x" * 20_001)], "longer than 20000"),
        ([turn(i, "a") for i in range(501)], "at most 500 turns per request"),
    ],
)
async def test_bad_turns_are_invalid_argument(calls, peterson, caller_phone, turns, fragment):
    code, details = await status_of(
        calls.AppendTranscriptTurns(
            append(caller_phone, "CA-bad", *turns), metadata=peterson.metadata()
        )
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert fragment in details


async def test_a_call_belongs_to_one_caller(calls, peterson, caller_phone):
    md = peterson.metadata()
    await calls.AppendTranscriptTurns(append(caller_phone, "CA-mine", turn(0, "hi")), metadata=md)
    code, details = await status_of(
        calls.AppendTranscriptTurns(append("+15550009999", "CA-mine", turn(1, "hi")), metadata=md)
    )
    assert code == grpc.StatusCode.ALREADY_EXISTS and "another caller" in details
    code, _ = await status_of(
        calls.UpdateCallRecord(
            call.UpdateCallRecordRequest(user_id="+15550009999", call_id="CA-mine"), metadata=md
        )
    )
    assert code == grpc.StatusCode.ALREADY_EXISTS


async def test_process_call_summarises_the_stored_turns_with_their_times(
    calls, contexts, peterson, caller_phone
):
    md = peterson.metadata()
    await calls.AppendTranscriptTurns(
        append(
            caller_phone,
            "CA-stored",
            turn(0, "Hi, I want to add my daughter to my auto policy.", at=T0),
            turn(
                1, "Sure, what is her date of birth?", res.ROLE_AGENT, T0 + dt.timedelta(seconds=5)
            ),
        ),
        metadata=md,
    )
    await calls.AppendTranscriptTurns(
        append(
            caller_phone, "CA-stored", turn(2, "March 3rd 2008.", at=T0 + dt.timedelta(minutes=3))
        ),
        metadata=md,
    )
    result = await contexts.ProcessCall(
        ctx.ProcessCallRequest(user_id=caller_phone, call_id="CA-stored"), metadata=md
    )
    assert "auto" in result.key_topics or "policy" in " ".join(result.key_topics)
    summaries = await contexts.ListCallSummaries(
        ctx.ListCallSummariesRequest(user_id=caller_phone), metadata=md
    )
    (summary,) = summaries.summaries
    assert summary.turn_count == 3
    assert summary.started_at.ToDatetime(dt.UTC) == T0
    assert summary.ended_at.ToDatetime(dt.UTC) == T0 + dt.timedelta(minutes=3)
    assert summary.duration_seconds == 180
    record = await calls.GetCallRecord(call.GetCallRecordRequest(call_id="CA-stored"), metadata=md)
    assert record.record.processed

    # The transcript is closed: new turns are refused, a retry of stored ones is not.
    code, details = await status_of(
        calls.AppendTranscriptTurns(append(caller_phone, "CA-stored", turn(3, "late")), metadata=md)
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "already processed" in details
    retry = await calls.AppendTranscriptTurns(
        append(caller_phone, "CA-stored", turn(2, "March 3rd 2008.", at=T0)), metadata=md
    )
    assert retry.already_stored == 1
    # And ProcessCall again returns the stored result.
    again = await contexts.ProcessCall(
        ctx.ProcessCallRequest(user_id=caller_phone, call_id="CA-stored"), metadata=md
    )
    assert again.already_processed and again.summary == result.summary


async def test_given_times_win_over_the_stored_turns(calls, contexts, peterson, caller_phone):
    md = peterson.metadata()
    await calls.AppendTranscriptTurns(
        append(caller_phone, "CA-times", turn(0, "Hello, a question about billing.", at=T0)),
        metadata=md,
    )
    request = ctx.ProcessCallRequest(user_id=caller_phone, call_id="CA-times")
    request.started_at.FromDatetime(T0 - dt.timedelta(minutes=1))
    request.ended_at.FromDatetime(T0 + dt.timedelta(minutes=9))
    await contexts.ProcessCall(request, metadata=md)
    (summary,) = (
        await contexts.ListCallSummaries(
            ctx.ListCallSummariesRequest(user_id=caller_phone), metadata=md
        )
    ).summaries
    assert summary.duration_seconds == 600


async def test_process_call_without_turns_needs_stored_ones(contexts, peterson, caller_phone):
    code, details = await status_of(
        contexts.ProcessCall(
            ctx.ProcessCallRequest(user_id=caller_phone, call_id="CA-nothing"),
            metadata=peterson.metadata(),
        )
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "CA-nothing" in details and "AppendTranscriptTurns" in details


async def test_call_records_change_only_the_given_fields_and_come_with_the_summaries(
    calls, contexts, peterson, caller_phone
):
    md = peterson.metadata()
    first = await calls.UpdateCallRecord(
        call.UpdateCallRecordRequest(
            user_id=caller_phone,
            call_id="CA-rec",
            direction=call.CALL_DIRECTION_INBOUND,
            dialled_number="(800) 555-0100",
            external_call_id="CA0123456789abcdef",
        ),
        metadata=md,
    )
    assert first.created and first.record.dialled_number == "+18005550100"
    second = await calls.UpdateCallRecord(
        call.UpdateCallRecordRequest(
            user_id=caller_phone,
            call_id="CA-rec",
            transfer_target="claims desk",
            recording_url="https://recordings.example.net/CA-rec.mp3",
        ),
        metadata=md,
    )
    record = second.record
    assert not second.created
    assert record.direction == call.CALL_DIRECTION_INBOUND  # kept
    assert record.external_call_id == "CA0123456789abcdef"  # kept
    assert record.transfer_target == "claims desk"
    assert not record.processed

    await contexts.ProcessCall(
        ctx.ProcessCallRequest(
            user_id=caller_phone,
            call_id="CA-rec",
            turns=[res.Turn(role=res.ROLE_CALLER, content="I have a claim to report.")],
        ),
        metadata=md,
    )
    await contexts.ProcessCall(
        ctx.ProcessCallRequest(
            user_id=caller_phone,
            call_id="CA-rec-2",
            turns=[res.Turn(role=res.ROLE_CALLER, content="Just a quick question.")],
        ),
        metadata=md,
    )
    listed = await contexts.ListCallSummaries(
        ctx.ListCallSummariesRequest(user_id=caller_phone), metadata=md
    )
    assert {s.call_id for s in listed.summaries} == {"CA-rec", "CA-rec-2"}
    assert set(listed.records) == {"CA-rec"}  # the other call has no record
    assert listed.records["CA-rec"].recording_url == "https://recordings.example.net/CA-rec.mp3"
    assert listed.records["CA-rec"].processed

    cleared = await calls.UpdateCallRecord(
        call.UpdateCallRecordRequest(user_id=caller_phone, call_id="CA-rec", transfer_target=""),
        metadata=md,
    )
    assert cleared.record.transfer_target == "" and cleared.record.dialled_number


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"recording_url": "ftp://example.net/x"}, "recording_url must be an http or https URL"),
        ({"transcript_url": "not a url"}, "transcript_url"),
        ({"transfer_target": "x" * 129}, "transfer_target"),
        ({"direction": 7}, "direction"),
        ({"call_id": ""}, "call_id"),
    ],
)
async def test_bad_call_records_are_invalid_argument(
    calls, peterson, caller_phone, fields, fragment
):
    request = call.UpdateCallRecordRequest(user_id=caller_phone, call_id="CA-badrec")
    for name, value in fields.items():
        setattr(request, name, value)
    code, details = await status_of(calls.UpdateCallRecord(request, metadata=peterson.metadata()))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert fragment in details


async def test_transcripts_and_records_stay_in_their_tenant(calls, peterson, smith, caller_phone):
    await calls.AppendTranscriptTurns(
        append(caller_phone, "CA-shared-id", turn(0, "Peterson secret")),
        metadata=peterson.metadata(),
    )
    smd = smith.metadata()
    code, _ = await status_of(
        calls.GetCallTranscript(call.GetCallTranscriptRequest(call_id="CA-shared-id"), metadata=smd)
    )
    assert code == grpc.StatusCode.NOT_FOUND
    code, _ = await status_of(
        calls.GetCallRecord(call.GetCallRecordRequest(call_id="CA-shared-id"), metadata=smd)
    )
    assert code == grpc.StatusCode.NOT_FOUND
    # The same call id in the other tenant is another call.
    mine = await calls.AppendTranscriptTurns(
        append(caller_phone, "CA-shared-id", turn(0, "Smith words")), metadata=smd
    )
    assert (mine.appended, mine.turn_count) == (1, 1)
    theirs = await calls.GetCallTranscript(
        call.GetCallTranscriptRequest(call_id="CA-shared-id"), metadata=peterson.metadata()
    )
    assert [t.content for t in theirs.turns] == ["Peterson secret"]


async def test_turns_past_the_retention_are_not_returned(calls, database, peterson, caller_phone):
    md = peterson.metadata()
    await calls.AppendTranscriptTurns(
        append(caller_phone, "CA-old", turn(0, "old"), turn(1, "recent")), metadata=md
    )
    owner = await asyncpg.connect(database.owner_url)
    try:
        await owner.execute(
            "UPDATE call_transcript_turns SET created_at = now() - interval '91 days' "
            "WHERE customer_id = $1 AND call_id = 'CA-old' AND sequence = 0",
            peterson.id,
        )
    finally:
        await owner.close()
    transcript = await calls.GetCallTranscript(
        call.GetCallTranscriptRequest(call_id="CA-old"), metadata=md
    )
    assert [t.content for t in transcript.turns] == ["recent"]

    # alice-admin purge-expired deletes them, and the call's counters follow.
    code, out, err = await admin("purge-expired", ALICE_ADMIN_DATABASE_URL=database.owner_url)
    assert code == 0, err
    assert "transcript turns older than 90 days" in out
    assert int(out.splitlines()[1].split()[1]) >= 1
    record = await calls.GetCallRecord(call.GetCallRecordRequest(call_id="CA-old"), metadata=md)
    assert record.record.turn_count == 1
    owner = await asyncpg.connect(database.owner_url)
    try:
        left = await owner.fetch(
            "SELECT sequence FROM call_transcript_turns "
            "WHERE customer_id = $1 AND call_id = 'CA-old'",
            peterson.id,
        )
    finally:
        await owner.close()
    assert [r["sequence"] for r in left] == [1]
