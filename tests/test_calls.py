"""ProcessCall: summaries, profiles and personality recorded once, in one transaction."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Sequence

import grpc
import pytest

from alice_server.domain.summarizer import (
    PERSONALITY_TRAITS,
    CallAnalysis,
    PersonalityScores,
    TranscriptTurn,
)
from alice_server.testing import running_server
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc
from chad_client.v1 import resources_pb2 as res
from tests.helpers import status_of
from tests.support.calls import AUTO_CALL, T0, call_request, timestamp


async def test_process_call_records_summary_profile_and_personality(
    contexts, peterson, caller_phone
):
    md = peterson.metadata()
    result = await contexts.ProcessCall(
        call_request(
            caller_phone, "CA-1", start=T0, ended_at=timestamp(T0 + dt.timedelta(minutes=4))
        ),
        metadata=md,
    )
    assert result.customer_id == peterson.id and result.call_id == "CA-1"
    assert result.summary and "auto policy" in result.summary
    assert any("auto" in topic for topic in result.key_topics)
    assert result.sentiment == res.SENTIMENT_POSITIVE
    assert not result.already_processed
    assert 0 <= result.personality.satisfaction_level <= 100

    profile = (
        await contexts.GetCallerProfile(
            ctx.GetCallerProfileRequest(user_id=caller_phone), metadata=md
        )
    ).profile
    assert profile.total_calls == 1
    assert profile.first_call_at.ToDatetime(dt.UTC) == T0 == profile.last_call_at.ToDatetime(dt.UTC)

    summaries = await contexts.ListCallSummaries(
        ctx.ListCallSummariesRequest(user_id=caller_phone), metadata=md
    )
    (summary,) = summaries.summaries
    assert summary.duration_seconds == 240 and summary.turn_count == len(AUTO_CALL)
    assert summary.summary == result.summary

    personality = (
        await contexts.GetPersonality(ctx.GetPersonalityRequest(user_id=caller_phone), metadata=md)
    ).personality
    assert personality.call_count == 1
    assert personality.averages.openness == result.personality.openness
    assert personality.recent_satisfaction == result.personality.satisfaction_level
    assert personality.satisfaction_trend == res.TREND_UNSPECIFIED  # one call: no trend yet
    assert {label.trait for label in personality.labels} == set(PERSONALITY_TRAITS)


async def test_process_call_twice_with_one_call_id(contexts, peterson, caller_phone):
    md = peterson.metadata()
    first = await contexts.ProcessCall(call_request(caller_phone, "CA-dup", start=T0), metadata=md)
    # The retry carries a different transcript: the stored result wins.
    retry = await contexts.ProcessCall(
        call_request(caller_phone, "CA-dup", turns=AUTO_CALL[:2], start=T0), metadata=md
    )
    assert retry.already_processed and not first.already_processed
    assert (retry.summary, list(retry.key_topics), retry.sentiment) == (
        first.summary,
        list(first.key_topics),
        first.sentiment,
    )
    assert retry.personality == first.personality

    profile = await contexts.GetCallerProfile(
        ctx.GetCallerProfileRequest(user_id=caller_phone), metadata=md
    )
    assert profile.profile.total_calls == 1
    personality = await contexts.GetPersonality(
        ctx.GetPersonalityRequest(user_id=caller_phone), metadata=md
    )
    assert personality.personality.call_count == 1


async def test_concurrent_duplicates_are_counted_once(contexts, peterson, caller_phone):
    md = peterson.metadata()
    results = await asyncio.gather(
        *(
            contexts.ProcessCall(call_request(caller_phone, "CA-race"), metadata=md)
            for _ in range(8)
        )
    )
    assert sorted(r.already_processed for r in results) == [False] + [True] * 7
    assert len({r.summary for r in results}) == 1
    profile = await contexts.GetCallerProfile(
        ctx.GetCallerProfileRequest(user_id=caller_phone), metadata=md
    )
    assert profile.profile.total_calls == 1


async def test_call_id_of_another_caller_is_already_exists(contexts, peterson, caller_phone):
    md = peterson.metadata()
    await contexts.ProcessCall(call_request(caller_phone, "CA-shared-id"), metadata=md)
    code, details = await status_of(
        contexts.ProcessCall(call_request("+15550001234", "CA-shared-id"), metadata=md)
    )
    assert code == grpc.StatusCode.ALREADY_EXISTS
    assert "another caller" in details


async def test_same_call_id_in_two_tenants_is_two_calls(contexts, peterson, smith, caller_phone):
    a = await contexts.ProcessCall(
        call_request(caller_phone, "CA-same"), metadata=peterson.metadata()
    )
    b = await contexts.ProcessCall(call_request(caller_phone, "CA-same"), metadata=smith.metadata())
    assert not a.already_processed and not b.already_processed
    assert (a.customer_id, b.customer_id) == (peterson.id, smith.id)


async def test_process_call_for_both_tenants_in_parallel(contexts, peterson, smith, caller_phone):
    calls_each = 10

    async def calls_of(tenant, offset):  # type: ignore[no-untyped-def]
        return await asyncio.gather(
            *(
                contexts.ProcessCall(
                    call_request(
                        caller_phone,
                        f"CA-{tenant.id}-{i}",
                        start=T0 + dt.timedelta(hours=i + offset),
                    ),
                    metadata=tenant.metadata(),
                )
                for i in range(calls_each)
            )
        )

    results = await asyncio.gather(calls_of(peterson, 0), calls_of(smith, 100))
    for tenant, tenant_results, offset in zip((peterson, smith), results, (0, 100), strict=True):
        assert {r.customer_id for r in tenant_results} == {tenant.id}
        md = tenant.metadata()
        profile = (
            await contexts.GetCallerProfile(
                ctx.GetCallerProfileRequest(user_id=caller_phone), metadata=md
            )
        ).profile
        assert profile.total_calls == calls_each  # no lost update under concurrency
        assert profile.first_call_at.ToDatetime(dt.UTC) == T0 + dt.timedelta(hours=offset)
        assert profile.last_call_at.ToDatetime(dt.UTC) == T0 + dt.timedelta(
            hours=offset + calls_each - 1
        )
        personality = (
            await contexts.GetPersonality(
                ctx.GetPersonalityRequest(user_id=caller_phone), metadata=md
            )
        ).personality
        assert personality.call_count == calls_each
        listed = await contexts.ListCallSummaries(
            ctx.ListCallSummariesRequest(user_id=caller_phone), metadata=md
        )
        assert {s.call_id for s in listed.summaries} == {
            f"CA-{tenant.id}-{i}" for i in range(calls_each)
        }


async def test_call_summaries_paginate_newest_first(contexts, peterson, caller_phone):
    md = peterson.metadata()
    for i in range(7):
        await contexts.ProcessCall(
            call_request(caller_phone, f"CA-page-{i}", start=T0 + dt.timedelta(days=i)), metadata=md
        )
    seen, token = [], ""
    while True:
        page = await contexts.ListCallSummaries(
            ctx.ListCallSummariesRequest(user_id=caller_phone, page_size=3, page_token=token),
            metadata=md,
        )
        seen += [s.call_id for s in page.summaries]
        token = page.next_page_token
        if not token:
            break
    assert seen == [f"CA-page-{i}" for i in reversed(range(7))]


async def test_caller_profiles_paginate(contexts, smith):
    md = smith.metadata()
    callers = [f"+1555300{i:04d}" for i in range(5)]
    for i, caller in enumerate(callers):
        await contexts.ProcessCall(
            call_request(caller, f"CA-p-{i}", start=T0 + dt.timedelta(minutes=i)), metadata=md
        )
    seen, token = [], ""
    while True:
        page = await contexts.ListCallerProfiles(
            ctx.ListCallerProfilesRequest(page_size=2, page_token=token), metadata=md
        )
        seen += [p.user_id for p in page.profiles]
        token = page.next_page_token
        if not token:
            break
    assert seen == list(reversed(callers))


@pytest.mark.parametrize(
    ("request_", "code", "fragment"),
    [
        (ctx.ProcessCallRequest(user_id="+15550000000", call_id="c"), "INVALID_ARGUMENT", "turns"),
        (call_request("+15550000000", ""), "INVALID_ARGUMENT", "call_id"),
        (call_request("+15550000000", " padded "), "INVALID_ARGUMENT", "call_id"),
        (call_request("", "c"), "INVALID_ARGUMENT", "user_id is required"),
        (
            call_request("+15550000000", "c", turns=[res.Turn(content="hi")]),
            "INVALID_ARGUMENT",
            "role",
        ),
        (
            call_request("+15550000000", "c", turns=[res.Turn(role=9, content="hi")]),
            "INVALID_ARGUMENT",
            "role",
        ),
        (
            call_request(
                "+15550000000", "c", turns=[res.Turn(role=res.ROLE_CALLER, content="x" * 20_001)]
            ),
            "INVALID_ARGUMENT",
            "20000",
        ),
        (
            call_request(
                "+15550000000", "c", turns=[res.Turn(role=res.ROLE_CALLER, content="a\x00b")]
            ),
            "INVALID_ARGUMENT",
            "NUL",
        ),
        (
            call_request(
                "+15550000000", "c", start=T0, ended_at=timestamp(T0 - dt.timedelta(seconds=1))
            ),
            "INVALID_ARGUMENT",
            "ended_at",
        ),
        (
            call_request(
                "+15550000000", "c", turns=[res.Turn(role=res.ROLE_CALLER, content="x")] * 5001
            ),
            "INVALID_ARGUMENT",
            "5000",
        ),
    ],
)
async def test_process_call_rejects_bad_input(contexts, peterson, request_, code, fragment):
    status, details = await status_of(contexts.ProcessCall(request_, metadata=peterson.metadata()))
    assert status.name == code
    assert fragment in details


async def test_bad_timestamp_is_invalid_argument(contexts, peterson):
    request = call_request("+15550000000", "c-bad-ts")
    request.started_at.seconds = 10**13  # beyond year 9999
    code, details = await status_of(contexts.ProcessCall(request, metadata=peterson.metadata()))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "started_at" in details


class ScriptedSummarizer:
    """Scores written into the caller's turn as JSON: exact averaging arithmetic to check."""

    async def analyze(self, turns: Sequence[TranscriptTurn]) -> CallAnalysis:
        scores = {t: 50.0 for t in PERSONALITY_TRAITS} | json.loads(turns[0].text)
        return CallAnalysis(
            summary="scripted",
            sentiment="neutral",
            key_topics=(),
            personality=PersonalityScores(**scores),
            caller_name=None,
        )


@pytest.fixture
async def scripted(database, secret):
    async with (
        running_server(
            database.app_url, secret, summarizer=ScriptedSummarizer(), rate_limit_per_second=0
        ) as server,
        grpc.aio.insecure_channel(server.address) as channel,
    ):
        yield context_service_pb2_grpc.ContextServiceStub(channel)


async def test_personality_averages_recent_levels_and_trends(scripted, peterson, caller_phone):
    md = peterson.metadata()
    calls = [  # processed out of order: ordering is by call start
        (
            3,
            {"openness": 40, "satisfaction_level": 80, "frustration_level": 10, "urgency_level": 0},
        ),
        (
            1,
            {
                "openness": 10,
                "satisfaction_level": 20,
                "frustration_level": 90,
                "urgency_level": 100,
            },
        ),
        (
            2,
            {
                "openness": 70,
                "satisfaction_level": 30,
                "frustration_level": 60,
                "urgency_level": 30,
            },
        ),
        (
            4,
            {
                "openness": 80,
                "satisfaction_level": 60,
                "frustration_level": 20,
                "urgency_level": 60,
            },
        ),
    ]
    for day, scores in calls:
        turn = res.Turn(role=res.ROLE_CALLER, content=json.dumps(scores))
        await scripted.ProcessCall(
            call_request(
                caller_phone, f"CA-s{day}", turns=[turn], start=T0 + dt.timedelta(days=day)
            ),
            metadata=md,
        )
    p = (
        await scripted.GetPersonality(ctx.GetPersonalityRequest(user_id=caller_phone), metadata=md)
    ).personality
    assert p.call_count == 4
    assert p.averages.openness == pytest.approx((40 + 10 + 70 + 80) / 4)
    assert p.averages.patience == pytest.approx(50)
    # The last three calls by start: days 4, 3, 2.
    assert p.recent_satisfaction == pytest.approx((60 + 80 + 30) / 3)
    assert p.recent_frustration == pytest.approx((20 + 10 + 60) / 3)
    assert p.recent_urgency == pytest.approx((60 + 0 + 30) / 3)
    # Latest (day 4) against the three before it (days 3, 2, 1).
    assert 60 - (80 + 30 + 20) / 3 >= 10
    assert p.satisfaction_trend == res.TREND_INCREASING
    assert 20 - (10 + 60 + 90) / 3 <= -10
    assert p.frustration_trend == res.TREND_DECREASING
    labels = {label.trait: label.label for label in p.labels}
    assert labels["openness"] == "moderately open"  # 50
    assert labels["urgency_level"] == "no urgency"  # 30: 35 or less is the low label
    assert labels["satisfaction_level"] == "neither satisfied nor dissatisfied"  # 56.7


async def test_a_failed_process_call_writes_nothing(scripted, peterson, caller_phone):
    """The metrics insert fails (score out of range) after the summary and profile
    were written in the same transaction: all of it is rolled back."""
    md = peterson.metadata()
    bad = res.Turn(role=res.ROLE_CALLER, content=json.dumps({"frustration_level": 150}))
    code, details = await status_of(
        scripted.ProcessCall(call_request(caller_phone, "CA-bad", turns=[bad]), metadata=md)
    )
    assert code == grpc.StatusCode.INTERNAL
    assert "reference" in details and "150" not in details and "INSERT" not in details

    code, _ = await status_of(
        scripted.GetCallerProfile(ctx.GetCallerProfileRequest(user_id=caller_phone), metadata=md)
    )
    assert code == grpc.StatusCode.NOT_FOUND
    listed = await scripted.ListCallSummaries(
        ctx.ListCallSummariesRequest(user_id=caller_phone), metadata=md
    )
    assert list(listed.summaries) == []
    # The same call_id can be processed once the problem is fixed.
    good = res.Turn(role=res.ROLE_CALLER, content=json.dumps({"frustration_level": 15}))
    fixed = await scripted.ProcessCall(
        call_request(caller_phone, "CA-bad", turns=[good]), metadata=md
    )
    assert not fixed.already_processed


async def test_a_long_call_does_not_stall_other_tenants(contexts, peterson, smith, caller_phone):
    """The summariser runs in a worker process: while one tenant's very long call
    is summarised (about a second of CPU), another tenant's calls keep being served."""
    sentence = "I am calling again about the water damage claim on my home policy, the adjuster "
    long_call = [
        res.Turn(role=res.ROLE_CALLER if i % 2 else res.ROLE_AGENT, content=sentence * 5)
        for i in range(4000)
    ]
    assert sum(len(t.content) for t in long_call) < 4 * 1024 * 1024  # within the message limit
    processing = asyncio.ensure_future(
        contexts.ProcessCall(
            call_request(caller_phone, "CA-long", turns=long_call),
            metadata=peterson.metadata(),
            timeout=120,
        )
    )
    await asyncio.sleep(0.2)  # the long call is being summarised now
    served_meanwhile = 0
    for _ in range(20):
        await contexts.GetEnrichedContext(
            ctx.GetEnrichedContextRequest(user_id=caller_phone), metadata=smith.metadata()
        )
        served_meanwhile += not processing.done()
    result = await processing
    assert result.summary and not result.already_processed
    # In the event loop, the summariser would hold every other call until it finished.
    assert served_meanwhile >= 15, served_meanwhile
