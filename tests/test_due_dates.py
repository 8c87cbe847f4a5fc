"""resolve_due and find_due_phrase: deadlines as callers and agents say them, resolved
against the call's start in the tenant's time zone (fixed references, no clock)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from alice_server.domain.due_dates import find_due_phrase, resolve_due

CHICAGO = ZoneInfo("America/Chicago")
DENVER = ZoneInfo("America/Denver")
# Tuesday 5 May 2026, 11:20 in Chicago.
TUESDAY = dt.datetime(2026, 5, 5, 11, 20, tzinfo=CHICAGO)


def at(month: int, day: int, hour: int, minute: int = 0, zone: ZoneInfo = CHICAGO) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=zone)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        # The phrases of issue 14.
        ("Thursday morning", at(5, 7, 12)),
        ("by Friday", at(5, 8, 17)),
        ("by end of day", at(5, 5, 17)),
        ("before the closing on June 14th", at(6, 13, 17)),
        ("in two weeks", at(5, 19, 17)),
        ("first thing Monday", at(5, 11, 10)),
        ("by the 15th", at(5, 15, 17)),
        ("next week", at(5, 15, 17)),
        ("within 48 hours", at(5, 7, 11, 20)),
        ("tomorrow at 3", at(5, 6, 15)),
        ("this afternoon", at(5, 5, 17)),
        # And more of what is said on the phone.
        ("by close of business tomorrow", at(5, 6, 17)),
        ("by next week", at(5, 11, 17)),
        ("early next week", at(5, 12, 17)),
        ("end of the week", at(5, 8, 17)),
        ("Thursday next week", at(5, 14, 17)),
        ("by Wednesday at the latest", at(5, 6, 17)),
        ("no later than the 20th", at(5, 20, 17)),
        ("within 3 business days", at(5, 8, 17)),
        ("within one business day", at(5, 6, 17)),
        ("in a couple of days", at(5, 7, 17)),
        ("in about 90 minutes", at(5, 5, 12, 50)),
        ("within the next hour", at(5, 5, 12, 20)),
        ("in half an hour", at(5, 5, 11, 50)),
        ("right away", at(5, 5, 12, 20)),
        ("right after this call", at(5, 5, 12, 20)),
        ("in a few minutes", at(5, 5, 12, 20)),
        ("tonight", at(5, 5, 20)),
        ("tomorrow night", at(5, 6, 20)),
        ("at 3:30 pm", at(5, 5, 15, 30)),
        ("by 5", at(5, 5, 17)),
        ("before six", at(5, 5, 18)),
        ("by noon", at(5, 5, 12)),
        ("this afternoon between 1 and 3", at(5, 5, 15)),
        ("on the 20th", at(5, 20, 17)),
        ("June 14th", at(6, 14, 17)),
        ("6/14", at(6, 14, 17)),
        ("the 3rd of June", at(6, 3, 17)),
        ("by June first", at(6, 1, 17)),
        ("day after tomorrow", at(5, 7, 17)),
        ("over the weekend", at(5, 10, 17)),
        ("by the weekend", at(5, 8, 17)),
        ("by the end of the month", at(5, 31, 17)),
        ("in a month", at(6, 5, 17)),
        ("Monday or Tuesday", at(5, 12, 17)),
        ("by the 12th, no wait, the 14th", at(5, 14, 17)),
        ("today, before six", at(5, 5, 18)),
        ("first thing in the morning", at(5, 6, 10)),
    ],
)
def test_a_phrase_resolves_to_its_deadline(phrase: str, expected: dt.datetime) -> None:
    assert resolve_due(phrase, TUESDAY) == expected


@pytest.mark.parametrize(
    "phrase",
    [
        "",
        "soon",
        "as soon as possible",
        "whenever",
        "sometime",
        "when the part comes in",
        "after the inspection",
    ],
)
def test_a_phrase_without_a_time_resolves_to_nothing(phrase: str) -> None:
    assert resolve_due(phrase, TUESDAY) is None


def test_a_weekday_said_on_that_weekday_is_a_week_later_unless_this_is_said() -> None:
    thursday = dt.datetime(2026, 5, 7, 9, 0, tzinfo=CHICAGO)
    assert resolve_due("Thursday", thursday) == at(5, 14, 17)
    assert resolve_due("next Thursday", thursday) == at(5, 14, 17)
    assert resolve_due("this Thursday", thursday) == at(5, 7, 17)
    assert resolve_due("Friday", thursday) == at(5, 8, 17)
    # Saturday: "end of the week" is the next Friday.
    saturday = dt.datetime(2026, 5, 9, 10, 0, tzinfo=CHICAGO)
    assert resolve_due("by the end of the week", saturday) == at(5, 15, 17)


def test_days_of_the_month_and_dates_roll_over_to_the_next_month_and_year() -> None:
    assert resolve_due("by the 3rd", TUESDAY) == at(6, 3, 17)
    assert resolve_due("by the 5th", TUESDAY) == at(5, 5, 17)  # today is the 5th
    december = dt.datetime(2026, 12, 20, 9, 0, tzinfo=CHICAGO)
    assert resolve_due("January 10th", december) == dt.datetime(2027, 1, 10, 17, tzinfo=CHICAGO)
    assert resolve_due("by the 31st", dt.datetime(2026, 4, 5, tzinfo=CHICAGO)) == at(5, 31, 17)


def test_a_same_day_deadline_already_past_becomes_the_end_of_that_day() -> None:
    evening = dt.datetime(2026, 5, 5, 18, 30, tzinfo=CHICAGO)
    assert resolve_due("by end of day", evening) == at(5, 5, 23, 59)
    assert resolve_due("this afternoon", evening) == at(5, 5, 23, 59)
    # A bare hour that has passed is tomorrow's.
    assert resolve_due("by noon", evening) == at(5, 6, 12)


def test_hours_are_real_hours_across_the_spring_change_and_days_keep_the_wall_clock() -> None:
    # Friday 6 March 2026, 16:40 in Denver; clocks go forward on Sunday 8 March at 02:00.
    friday = dt.datetime(2026, 3, 6, 16, 40, tzinfo=DENVER)
    due = resolve_due("within 48 hours", friday)
    # (aware datetimes of one zone subtract by the wall clock: compare in UTC)
    assert due is not None
    assert due.astimezone(dt.UTC) - friday.astimezone(dt.UTC) == dt.timedelta(hours=48)
    assert due == dt.datetime(2026, 3, 8, 17, 40, tzinfo=DENVER)  # 17:40 MDT, not 16:40
    assert due.utcoffset() == dt.timedelta(hours=-6)
    sunday = resolve_due("Sunday", friday)
    assert sunday == dt.datetime(2026, 3, 8, 17, 0, tzinfo=DENVER)
    assert sunday is not None and sunday.utcoffset() == dt.timedelta(hours=-6)


def test_hours_are_real_hours_across_the_autumn_change() -> None:
    # Sunday 1 November 2026, 00:30 in Chicago; 02:00 CDT becomes 01:00 CST.
    night = dt.datetime(2026, 11, 1, 0, 30, tzinfo=CHICAGO)
    due = resolve_due("in 2 hours", night)
    assert due is not None
    assert due.astimezone(dt.UTC) - night.astimezone(dt.UTC) == dt.timedelta(hours=2)
    assert (due.hour, due.minute, due.utcoffset()) == (1, 30, dt.timedelta(hours=-6))


def test_the_answer_is_in_the_references_zone_and_needs_an_aware_reference() -> None:
    tokyo = dt.datetime(2026, 5, 5, 11, 20, tzinfo=ZoneInfo("Asia/Tokyo"))
    due = resolve_due("tomorrow morning", tokyo)
    assert due == dt.datetime(2026, 5, 6, 12, tzinfo=ZoneInfo("Asia/Tokyo"))
    with pytest.raises(ValueError, match="aware"):
        resolve_due("tomorrow", dt.datetime(2026, 5, 5, 11, 20))


@pytest.mark.parametrize(
    ("sentence", "phrase"),
    [
        ("I'll email you the updated ID cards by end of day.", "by end of day"),
        ("I will escalate this and get you an answer by Friday.", "by Friday"),
        ("I'll call you back on Thursday morning with a quote.", "on Thursday morning"),
        ("you'll get the declarations page within 48 hours", "within 48 hours"),
        (
            "We'll send a technician this afternoon between 1 and 3.",
            "this afternoon between 1 and 3",
        ),
        (
            "I'll get a lien release before the closing on June 26th.",
            "before the closing on June 26th",
        ),
        ("I'll send it by the 12th, no wait, the 14th", "by the 12th, no wait, the 14th"),
        ("I'll call you Thursday about the appointment on the 20th", "Thursday"),
        ("I'll email it right after this call", "right after this call"),
        ("I'll call you back Monday or Tuesday to confirm", "Monday or Tuesday"),
        # No deadline: numbers and times that are not one.
        ("The technician will call you 30 minutes before arriving.", ""),
        ("I'll send you info on our maintenance plan by email.", ""),
        ("I'll have Dr. Kim call you at 818-555-0199.", ""),
        ("I'll add Elena as a named insured.", ""),
        ("He'll call you when he's about 10 minutes out.", ""),
        # "about" joins the offset it rounds: resolved 45 minutes later.
        ("We'll be there in about 45 minutes.", "in about 45 minutes"),
        ("I'll call you about the quote by Friday.", "by Friday"),
    ],
)
def test_the_deadline_words_of_a_sentence_are_found(sentence: str, phrase: str) -> None:
    assert find_due_phrase(sentence) == phrase
