"""Validation of the LLM summariser's answer (prompt v2): the notes, commitments and
facts, each refused with a reason that names the part, never the content."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alice_server.domain.llm_analysis import ANSWER_SCHEMA, InvalidAnswer, parse_answer
from alice_server.domain.summarizer import CallNotes, Commitment, ExtractedMemory
from alice_server.domain.traits import PERSONALITY_TRAITS
from alice_server.llm.summarizer import PROMPT_FILE, PROMPT_VERSION

ANSWER: dict[str, Any] = {
    "wanted": "Caller wanted a homeowners quote for the house they are buying",
    "outcome": "",
    "commitments": [
        {"party": "agent", "action": "Call back with a quote", "due_phrase": "Thursday morning"},
        {"party": "caller", "action": "email the inspection report", "due_phrase": ""},
    ],
    "facts": [
        {"type": "fact", "key": "home_address", "value": "1180 Barton Springs Road, Austin"},
        {"type": "fact", "key": "claim_number", "value": " HC-44817 "},
    ],
    "sentiment": "positive",
    "topics": ["homeowners quote"],
    "personality": {name: 50 for name in PERSONALITY_TRAITS},
    "caller_name": None,
}


def parse(**changes: Any) -> Any:
    return parse_answer(json.dumps(ANSWER | changes))


def test_a_valid_answer_gives_the_notes_facts_and_the_rendered_note() -> None:
    analysis = parse()
    assert analysis.notes == CallNotes(
        wanted="Caller wanted a homeowners quote for the house they are buying.",
        outcome="",
        commitments=(
            Commitment("agent", "call back with a quote", "Thursday morning"),
            Commitment("caller", "email the inspection report", ""),
        ),
    )
    assert analysis.memories == (
        ExtractedMemory("fact", "home_address", "1180 Barton Springs Road, Austin"),
        ExtractedMemory("fact", "claim_number", "HC-44817"),
    )
    assert analysis.summary == (
        "Caller wanted a homeowners quote for the house they are buying. Agent will call back "
        "with a quote Thursday morning. Caller will email the inspection report. Noted: home "
        "address 1180 Barton Springs Road, Austin; claim number HC-44817."
    )


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"wanted": ""}, "wanted must be a non-empty string"),
        ({"wanted": None}, "wanted must be a non-empty string"),
        ({"outcome": 3}, "outcome must be a string"),
        ({"wanted": "x" * 301}, "wanted must be at most 300 characters"),
        ({"commitments": "call back"}, "commitments must be a list"),
        ({"commitments": [{"party": "agent", "action": "call"}]}, "exactly party, action and due"),
        (
            {"commitments": [{"party": "business", "action": "call", "due_phrase": ""}]},
            "party must be agent or caller",
        ),
        (
            {"commitments": [{"party": "agent", "action": " ", "due_phrase": ""}]},
            "action must be 1-200 characters",
        ),
        (
            {"commitments": [{"party": "agent", "action": "call", "due_phrase": "x" * 81}]},
            "due_phrase must be at most 80 characters",
        ),
        (
            {"commitments": [{"party": "agent", "action": "call", "due_phrase": ""}] * 21},
            "at most 20",
        ),
        ({"facts": [{"type": "fact", "key": "Claim Number", "value": "1"}]}, "fact key"),
        ({"facts": [{"type": "secret", "key": "k", "value": "v"}]}, "fact type"),
        ({"facts": [{"type": "fact", "key": "k", "value": ""}]}, "fact value"),
        ({"memories": []}, "unexpected ['memories']"),
        ({"summary": "The caller called."}, "unexpected ['summary']"),
    ],
)
def test_an_invalid_answer_is_refused_naming_the_part(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidAnswer, match=reason.replace("[", r"\[").replace("]", r"\]")):
        parse(**changes)


def test_a_missing_part_is_refused() -> None:
    answer = dict(ANSWER)
    del answer["commitments"]
    with pytest.raises(InvalidAnswer, match=r"missing \['commitments'\]"):
        parse_answer(json.dumps(answer))


def test_a_fact_holding_a_card_or_social_security_number_is_dropped_not_stored() -> None:
    analysis = parse(
        facts=[
            {"type": "fact", "key": "payment", "value": "Visa 4111 1111 1111 1111"},
            {"type": "fact", "key": "ssn", "value": "on file"},
            {"type": "fact", "key": "tax_id", "value": "123-45-6789"},
            {"type": "fact", "key": "member_id", "value": "884201935"},
        ]
    )
    assert analysis.memories == (ExtractedMemory("fact", "member_id", "884201935"),)


def test_the_schema_and_the_versioned_prompt_ask_for_the_same_parts() -> None:
    assert PROMPT_VERSION == "v2" and PROMPT_FILE.name == "call_analysis.v2.txt"
    prompt = PROMPT_FILE.read_text()
    for part in ANSWER_SCHEMA["required"]:
        assert f"- {part}:" in prompt, part
    commitment = ANSWER_SCHEMA["properties"]["commitments"]["items"]
    assert commitment["required"] == ["party", "action", "due_phrase"]
    assert set(ANSWER_SCHEMA["required"]) == set(ANSWER_SCHEMA["properties"])  # strict mode
