"""chad_client.prompt: the system prompt comes from the tenant's data only."""

from __future__ import annotations

import datetime as dt
import inspect
import re
from pathlib import Path

import chad_client
from chad_client.models import CallerProfile, EnrichedContext
from chad_client.prompt import build_prompt, render, time_greeting
from chad_client.tenants import Customer, PromptBlock, TenantSettings, TransferRule

NOON_UTC = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def customer(**overrides: object) -> Customer:
    values: dict[str, object] = {
        "id": 7,
        "business_name": "Smith Insurance Agency",
        "agent_name": "Sarah",
        "greeting_template": "",
        "voice": "alloy",
        "twilio_number": "+18005551234",
        "time_zone": "America/Chicago",
        "status": "active",
        "rate_limit_per_second": None,
        "created_at": NOON_UTC,
        "updated_at": NOON_UTC,
    }
    values.update(overrides)
    return Customer(**values)  # type: ignore[arg-type]


def context(*, name: str = "", text: str = "", new: bool = False) -> EnrichedContext:
    profile = None
    if not new:
        profile = CallerProfile("+15551230000", NOON_UTC, NOON_UTC, 3, name, {}, NOON_UTC, NOON_UTC)
    return EnrichedContext(7, "+15551230000", new, text, profile, None, [], [])


def test_time_greeting_uses_the_tenants_time_zone():
    # 12:00 UTC is 06:00 in Chicago (morning) and 21:00 in Tokyo (evening).
    assert time_greeting(NOON_UTC, "America/Chicago") == "Good morning"
    assert time_greeting(NOON_UTC, "Asia/Tokyo") == "Good evening"
    assert time_greeting(NOON_UTC, "Europe/London") == "Good afternoon"
    assert time_greeting(NOON_UTC, "Not/AZone") == "Good afternoon"  # falls back to UTC


def test_placeholders_are_filled_and_other_braces_survive():
    variables = {"agent_name": "Sam", "business_name": "B", "user_name": "", "time_greeting": "Hi"}
    assert render("{time_greeting}, {agent_name} of {business_name} {json: {x}}", variables) == (
        "Hi, Sam of B {json: {x}}"
    )


def test_returning_caller_prompt_from_profile_settings_and_context():
    settings = TenantSettings(
        returning_caller_greeting="{time_greeting} {user_name}! {agent_name} at {business_name}.",
        prompt_blocks=[
            PromptBlock("identity", "You are {agent_name} of {business_name}."),
            PromptBlock("tone", "Speak plainly."),
        ],
        transfer_rules=[TransferRule("claims", "the claims desk", "+18005550100")],
    )
    prompt = build_prompt(
        customer(),
        settings,
        context(name="Dana", text="Caller: Dana. Prefers mornings."),
        now=NOON_UTC,
    )
    assert prompt.greeting == "Good morning Dana! Sarah at Smith Insurance Agency."
    assert prompt.system.startswith("You are Sarah of Smith Insurance Agency.\n\nSpeak plainly.")
    assert "- claims: transfer to the claims desk (+18005550100)" in prompt.system
    assert "returning caller" in prompt.system and "Prefers mornings." in prompt.system
    assert prompt.variables == {
        "agent_name": "Sarah",
        "business_name": "Smith Insurance Agency",
        "user_name": "Dana",
        "time_greeting": "Good morning",
    }
    assert "{" not in prompt.system


def test_new_caller_uses_the_new_caller_greeting_then_the_profile_template():
    with_setting = TenantSettings(new_caller_greeting="Welcome to {business_name}.")
    prompt = build_prompt(customer(), with_setting, context(new=True), now=NOON_UTC)
    assert prompt.greeting == "Welcome to Smith Insurance Agency."
    assert "new caller" in prompt.system and "not known yet" in prompt.system

    from_profile = customer(greeting_template="{time_greeting}, {agent_name} speaking.")
    prompt = build_prompt(from_profile, TenantSettings(), context(new=True), now=NOON_UTC)
    assert prompt.greeting == "Good morning, Sarah speaking."


def test_an_unnamed_returning_caller_leaves_no_gap():
    prompt = build_prompt(customer(), TenantSettings(), context(name=""), now=NOON_UTC)
    assert prompt.greeting == (
        "Good morning, welcome back to Smith Insurance Agency. "
        "This is Sarah, how can I help you today?"
    )


def test_no_company_name_or_phone_number_in_client_code():
    """Tenants are data: the client package names no business and dials no number."""
    root = Path(inspect.getfile(chad_client)).parent
    # Docstring examples use the fictional 555 area code; anything else is a real number.
    phone = re.compile(r"\+1(?!555)\d{10}|\((?!555)\d{3}\) ?\d{3}-\d{4}")
    for path in root.rglob("*.py"):
        if path.parent.name == "v1":
            continue  # generated
        text = path.read_text()
        for name in ("Peterson", "Smith"):
            assert name not in text, f"{path.name} names {name}"
        assert not phone.search(text), f"{path.name} holds a phone number"
