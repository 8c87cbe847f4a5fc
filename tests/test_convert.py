"""Protobuf conversions: the cheap Timestamp conversion agrees with protobuf's own."""

from __future__ import annotations

import datetime as dt

import pytest
from google.protobuf import timestamp_pb2

from alice_server.servicers.convert import timestamp


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2026, 11, 26, 6, 34, 39, 123456, tzinfo=dt.UTC),
        dt.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=dt.timezone(dt.timedelta(hours=5))),
        dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=-7, minutes=-30))),
        dt.datetime(2026, 1, 1),  # naive: UTC, as protobuf reads it
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
    ],
)
def test_timestamp_matches_protobufs_from_datetime(value: dt.datetime) -> None:
    expected = timestamp_pb2.Timestamp()
    expected.FromDatetime(value)
    assert timestamp(value) == expected


def test_no_timestamp_is_none() -> None:
    assert timestamp(None) is None
