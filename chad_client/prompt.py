"""The system prompt of a call, rendered from the tenant's data only.

    start = await tenant.start_call(caller)   # profile, settings (cached), context
    prompt = start.prompt()   # build_prompt(start.profile, start.settings, start.context)
    prompt.system      # the system prompt for the model
    prompt.greeting    # the first sentence the agent says

`build_prompt` takes the tenant's profile (a `TenantProfile` from
`start_call`/`tenant_profile()`, or a `Customer` from `get_my_customer()`), its
`TenantSettings` and the caller's `EnrichedContext`.

Everything business-specific (names, greetings, prompt blocks, transfer
numbers) comes from the tenant's profile and settings: nothing about any
company lives in this code. Templates may use {agent_name}, {business_name},
{user_name} and {time_greeting}; other braces are left as written, so a
template can never fail to render.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chad_client.models import EnrichedContext
from chad_client.tenants import TenantSettings

PLACEHOLDERS = ("agent_name", "business_name", "user_name", "time_greeting")
_PLACEHOLDER_RE = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
_GAP_BEFORE_PUNCTUATION = re.compile(r"\s+([,.!?])")

# Used only when the tenant has configured nothing at all.
DEFAULT_IDENTITY = (
    "You are {agent_name}, the phone assistant of {business_name}. Be warm, brief and "
    "accurate; never invent facts about the caller or the business."
)
DEFAULT_NEW_CALLER_GREETING = (
    "{time_greeting}, thank you for calling {business_name}. "
    "This is {agent_name}, how can I help you?"
)
DEFAULT_RETURNING_CALLER_GREETING = (
    "{time_greeting} {user_name}, welcome back to {business_name}. "
    "This is {agent_name}, how can I help you today?"
)


class TenantIdentity(Protocol):
    """What the prompt needs of a tenant: `Customer` and `TenantProfile` both have it."""

    @property
    def business_name(self) -> str: ...
    @property
    def agent_name(self) -> str: ...
    @property
    def greeting_template(self) -> str: ...
    @property
    def time_zone(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Prompt:
    """The rendered prompt of one call."""

    system: str
    greeting: str
    variables: dict[str, str]


def time_greeting(now: dt.datetime, time_zone: str) -> str:
    """ "Good morning" (5-12h), "Good afternoon" (12-17h) or "Good evening", local time."""
    try:
        zone = ZoneInfo(time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    hour = now.astimezone(zone).hour
    if 5 <= hour < 12:
        return "Good morning"
    if 12 <= hour < 17:
        return "Good afternoon"
    return "Good evening"


def render(template: str, variables: dict[str, str]) -> str:
    """Fill the known placeholders; leave any other text (and braces) untouched."""
    return _PLACEHOLDER_RE.sub(lambda match: variables[match.group(1)], template)


def caller_name(context: EnrichedContext) -> str:
    if context.profile is not None and context.profile.preferred_name:
        return context.profile.preferred_name
    return ""


def build_prompt(
    customer: TenantIdentity,
    settings: TenantSettings,
    context: EnrichedContext,
    *,
    now: dt.datetime | None = None,
    user_name: str | None = None,
) -> Prompt:
    """The system prompt and greeting for a call of `context`'s caller."""
    moment = now or dt.datetime.now(dt.UTC)
    name = caller_name(context) if user_name is None else user_name
    variables = {
        "agent_name": customer.agent_name,
        "business_name": customer.business_name,
        "user_name": name,
        "time_greeting": time_greeting(moment, customer.time_zone),
    }
    returning = not context.is_new_caller
    if returning:
        template = settings.returning_caller_greeting or DEFAULT_RETURNING_CALLER_GREETING
    else:
        template = (
            settings.new_caller_greeting
            or customer.greeting_template
            or DEFAULT_NEW_CALLER_GREETING
        )
    # An empty {user_name} must not leave "Hello , ..." behind.
    greeting = _GAP_BEFORE_PUNCTUATION.sub(r"\1", " ".join(render(template, variables).split()))

    sections: list[str] = []
    blocks = settings.prompt_blocks or []
    if blocks:
        sections.extend(render(block.text, variables).strip() for block in blocks)
    else:
        sections.append(render(DEFAULT_IDENTITY, variables))
    if settings.transfer_rules:
        lines = ["Transfer the call when:"]
        for rule in settings.transfer_rules:
            target = rule.target + (f" ({rule.phone_number})" if rule.phone_number else "")
            lines.append(f"- {rule.when}: transfer to {target}")
        sections.append("\n".join(lines))
    caller = f"The caller's name is {name}." if name else "The caller's name is not known yet."
    status = "a returning caller" if returning else "a new caller"
    sections.append(f"This is {status}. {caller}")
    if context.text.strip():
        sections.append("What you know about this caller:\n" + context.text.strip())
    sections.append(f'Open the call with: "{greeting}"')
    return Prompt("\n\n".join(s for s in sections if s), greeting, variables)
