"""Issue 14's three ordinary insurance calls, end to end through a real server
with the built-in summariser: the agent's promises become follow-ups due in
the tenant's time zone, the caller's facts become memories of the call, the
next call's context lists what is still open, and a later call that changes a
fact updates it with the old value in its history."""

from __future__ import annotations

import datetime as dt
import secrets
from zoneinfo import ZoneInfo

import asyncpg
from google.protobuf import json_format, timestamp_pb2

from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import follow_up_service_pb2 as fu
from chad_client.v1 import follow_up_service_pb2_grpc
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import resources_pb2 as res

CHICAGO = ZoneInfo("America/Chicago")
# Monday 2 March 2026, 10:00 in Chicago (16:00 UTC).
MONDAY_MORNING = dt.datetime(2026, 3, 2, 10, 0, tzinfo=CHICAGO)

ID_CARDS = [
    ("caller", "Hi, I just bought a 2022 Honda CR-V and I need it on my auto policy."),
    ("agent", "Congratulations! I've added the 2022 Honda CR-V to your policy, effective today."),
    ("caller", "Great. I need proof of insurance for the dealership."),
    ("agent", "I'll email you the updated ID cards by end of day."),
    ("caller", "Perfect, thank you."),
]
ESCALATION = [
    ("caller", "Hi, I'm calling about my claim. The claim number is HC-44817."),
    ("agent", "Thanks. I see the claim for the hail damage. It's waiting on the adjuster."),
    ("caller", "It's been three weeks and nobody has called me back."),
    (
        "agent",
        "I'm sorry about that. I will escalate this to the claims manager and get you an "
        "answer by Friday.",
    ),
    ("caller", "Okay, thanks."),
]
QUOTE = [
    ("caller", "Hi, we moved last month. The new address is 1180 Barton Springs Road in Austin."),
    ("agent", "Got it, I've updated your address to 1180 Barton Springs Road, Austin."),
    ("caller", "Will my premium change?"),
    ("agent", "It may. I'll call you back on Thursday morning with a quote."),
    ("caller", "Sounds good."),
]
MOVED_AGAIN = [
    ("caller", "Hi, quick update: we moved again. The new address is 42 Elm Street in Dallas."),
    ("agent", "Thanks, I've updated your address to 42 Elm Street, Dallas."),
]
ROLES = {"caller": res.ROLE_CALLER, "agent": res.ROLE_AGENT}


def _request(caller: str, call_id: str, turns, started: dt.datetime) -> ctx.ProcessCallRequest:  # type: ignore[no-untyped-def]
    at = timestamp_pb2.Timestamp()
    at.FromDatetime(started)
    return ctx.ProcessCallRequest(
        user_id=caller,
        call_id=call_id,
        started_at=at,
        turns=[res.Turn(role=ROLES[who], content=text) for who, text in turns],
    )


async def _in_chicago(owner_url: str, customer_id: int) -> None:
    connection = await asyncpg.connect(owner_url)
    try:
        await connection.execute(
            "UPDATE customers SET time_zone = 'America/Chicago' WHERE id = $1", customer_id
        )
    finally:
        await connection.close()


async def test_three_insurance_calls_keep_the_promises_and_the_facts(
    database, channel, contexts, memories, peterson, caller_phone
):
    await _in_chicago(database.owner_url, peterson.id)
    follow_ups = follow_up_service_pb2_grpc.FollowUpServiceStub(channel)
    meta = peterson.metadata()
    prefix = secrets.token_hex(4)
    calls = [("id-cards", ID_CARDS), ("escalation", ESCALATION), ("quote", QUOTE)]
    promised: dict[str, list[fu.FollowUp]] = {}
    for hour, (name, turns) in enumerate(calls):
        call_id = f"{prefix}-{name}"
        response = await contexts.ProcessCall(
            _request(caller_phone, call_id, turns, MONDAY_MORNING + dt.timedelta(hours=hour)),
            metadata=meta,
        )
        promised[name] = list(response.follow_ups)
        # Every call's facts are memories of the caller at once, naming the call.
        listed = await memories.ListMemories(
            mem.ListMemoriesRequest(user_id=caller_phone), metadata=meta
        )
        assert any(m.call_id == call_id for m in listed.memories), name

    # Each call's promise, by the agent, due in Chicago time.
    def due(follow_up: fu.FollowUp) -> dt.datetime:
        return follow_up.due_at.ToDatetime(tzinfo=dt.UTC).astimezone(CHICAGO)

    (cards,) = promised["id-cards"]
    (escalation,) = promised["escalation"]
    (quote,) = promised["quote"]
    assert {cards.party, escalation.party, quote.party} == {fu.FOLLOW_UP_PARTY_AGENT}
    assert "ID cards" in cards.action and "end of day" in cards.due_phrase
    assert due(cards).date() == dt.date(2026, 3, 2)  # the same Monday
    assert "claims manager" in escalation.action
    assert due(escalation).date() == dt.date(2026, 3, 6)  # that Friday
    assert "quote" in quote.action
    assert due(quote).date() == dt.date(2026, 3, 5) and due(quote).hour <= 12  # Thursday morning

    # The facts the caller stated.
    listed = await memories.ListMemories(
        mem.ListMemoriesRequest(user_id=caller_phone), metadata=meta
    )
    values = {m.key: json_format.MessageToDict(m.value).get("value", "") for m in listed.memories}
    assert values["claim_number"] == "HC-44817"
    assert "1180 Barton Springs Road" in values["home_address"]
    assert any("Honda CR-V" in v for k, v in values.items() if k.startswith("vehicle"))

    # The next call starts with what is still open, earliest due first.
    context = await contexts.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=caller_phone), metadata=meta
    )
    assert [f.id for f in context.follow_ups] == [cards.id, quote.id, escalation.id]
    assert "Open follow-ups" in context.context
    for follow_up in (cards, escalation, quote):
        assert follow_up.action in context.context
    # The summaries keep the promises too.
    assert any("ID cards" in s.summary for s in context.summaries)

    # The agent kept one promise: it leaves the list.
    await follow_ups.CompleteFollowUp(fu.CompleteFollowUpRequest(id=cards.id), metadata=meta)
    still_open = await follow_ups.ListFollowUps(
        fu.ListFollowUpsRequest(user_id=caller_phone), metadata=meta
    )
    assert [f.id for f in still_open.follow_ups] == [quote.id, escalation.id]

    # A later call changes the address: the memory is updated, the old value kept.
    await contexts.ProcessCall(
        _request(
            caller_phone, f"{prefix}-moved", MOVED_AGAIN, MONDAY_MORNING + dt.timedelta(days=7)
        ),
        metadata=meta,
    )
    by_key = await memories.GetMemoryByKey(
        mem.GetMemoryByKeyRequest(user_id=caller_phone, type="fact", key="home_address"),
        metadata=meta,
    )
    assert "42 Elm Street" in json_format.MessageToDict(by_key.memory.value)["value"]
    assert by_key.memory.call_id == f"{prefix}-moved"
    history = await memories.GetMemoryHistory(
        mem.GetMemoryHistoryRequest(id=by_key.memory.id), metadata=meta
    )
    previous = [
        json_format.MessageToDict(e.previous_value).get("value", "") for e in history.entries
    ]
    assert any("1180 Barton Springs Road" in v for v in previous)
