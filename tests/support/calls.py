"""Calls as the agent reports them: a recorded conversation and ProcessCall requests."""

from __future__ import annotations

import datetime as dt

from google.protobuf import timestamp_pb2

from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import resources_pb2 as res

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)

AUTO_CALL = [
    res.Turn(role=res.ROLE_AGENT, content="Thanks for calling, how can I help you today?"),
    res.Turn(role=res.ROLE_CALLER, content="Hi, I need to add my daughter to my auto policy."),
    res.Turn(role=res.ROLE_AGENT, content="Of course. What is her date of birth?"),
    res.Turn(role=res.ROLE_CALLER, content="March 3rd 2008. She just got her license."),
    res.Turn(role=res.ROLE_CALLER, content="Thanks so much, that was really helpful!"),
]


def timestamp(value: dt.datetime) -> timestamp_pb2.Timestamp:
    message = timestamp_pb2.Timestamp()
    message.FromDatetime(value)
    return message


def call_request(  # type: ignore[no-untyped-def]
    user_id: str, call_id: str, turns=AUTO_CALL, start: dt.datetime | None = None, **kw
):
    """A ProcessCallRequest (AUTO_CALL's turns unless given), started at `start`."""
    if start is not None:
        kw["started_at"] = timestamp(start)
    return ctx.ProcessCallRequest(user_id=user_id, call_id=call_id, turns=turns, **kw)
