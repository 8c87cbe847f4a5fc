"""Tenants: the customer profile, its changes, and the tenant settings.

Pure rules (no storage, no gRPC): what a valid profile and a valid setting
are. A setting is a (name, JSON value) pair; the known names have a fixed
shape (checked here), any other name holds free-form JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alice_server.domain.errors import InvalidArgument
from alice_server.domain.identity import UserIdNormalizer

ACTIVE, SUSPENDED = "active", "suspended"
STATUSES = (ACTIVE, SUSPENDED)

MAX_BUSINESS_NAME = 200
MAX_AGENT_NAME = 100
MAX_TEMPLATE = 4000
MAX_VOICE = 100
MAX_SETTING_BYTES = 64 * 1024
SETTING_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


@dataclass(frozen=True, slots=True)
class Customer:
    """A tenant's profile (the customers row)."""

    id: int
    business_name: str
    agent_name: str
    greeting_template: str
    voice: str
    twilio_number: str | None
    time_zone: str
    status: str
    rate_limit_per_second: float | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class CustomerDraft:
    """A validated customer to create; `id` only for imports and restores."""

    business_name: str
    agent_name: str = ""
    greeting_template: str = ""
    voice: str = ""
    twilio_number: str | None = None
    time_zone: str = "UTC"
    rate_limit_per_second: float | None = None
    status: str = ACTIVE
    id: int | None = None


@dataclass(frozen=True, slots=True)
class CustomerChanges:
    """Validated changes; a field not in `fields` is left as it is."""

    values: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.values)


class PhoneNumbers:
    """Twilio numbers, normalised like callers' numbers (E.164)."""

    def __init__(self, default_region: str) -> None:
        self._normalize = UserIdNormalizer(default_region)

    def __call__(self, raw: str, field_name: str = "twilio_number") -> str:
        value = self._normalize(raw, field=field_name)
        if not _E164.match(value):
            raise InvalidArgument(
                f"{field_name} must be a phone number (for example +18005551234), got {raw!r}"
            )
        return value


def check_business_name(value: str) -> str:
    value = value.strip()
    if not value or len(value) > MAX_BUSINESS_NAME or not value.isprintable():
        raise InvalidArgument(
            f"business_name is required: 1-{MAX_BUSINESS_NAME} printable characters"
        )
    return value


def _check_text(value: str, name: str, limit: int) -> str:
    if len(value) > limit:
        raise InvalidArgument(f"{name} must be at most {limit} characters")
    return value


def check_time_zone(value: str) -> str:
    value = value.strip() or "UTC"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument(
            f"time_zone must be an IANA time zone such as America/Chicago, got {value!r}"
        ) from None
    return value


def check_rate_limit(value: float) -> float:
    if not math.isfinite(value) or value <= 0:
        raise InvalidArgument("rate_limit_per_second must be a positive number")
    return value


def check_status(value: str) -> str:
    if value not in STATUSES:
        raise InvalidArgument("status must be active or suspended")
    return value


def draft(
    phones: PhoneNumbers,
    *,
    business_name: str,
    agent_name: str = "",
    greeting_template: str = "",
    voice: str = "",
    twilio_number: str = "",
    time_zone: str = "",
    rate_limit_per_second: float | None = None,
    status: str = ACTIVE,
    customer_id: int | None = None,
) -> CustomerDraft:
    if customer_id is not None and customer_id <= 0:
        raise InvalidArgument("customer id must be a positive integer")
    return CustomerDraft(
        business_name=check_business_name(business_name),
        agent_name=_check_text(agent_name.strip(), "agent_name", MAX_AGENT_NAME),
        greeting_template=_check_text(greeting_template, "greeting_template", MAX_TEMPLATE),
        voice=_check_text(voice.strip(), "voice", MAX_VOICE),
        twilio_number=phones(twilio_number) if twilio_number.strip() else None,
        time_zone=check_time_zone(time_zone),
        rate_limit_per_second=(
            None if rate_limit_per_second is None else check_rate_limit(rate_limit_per_second)
        ),
        status=check_status(status),
        id=customer_id,
    )


def changes(
    phones: PhoneNumbers,
    *,
    business_name: str | None = None,
    agent_name: str | None = None,
    greeting_template: str | None = None,
    voice: str | None = None,
    twilio_number: str | None = None,
    time_zone: str | None = None,
    status: str | None = None,
    rate_limit_per_second: float | None = None,
    clear_rate_limit: bool = False,
) -> CustomerChanges:
    """Column -> new value for the fields given (None: unchanged)."""
    values: dict[str, Any] = {}
    if business_name is not None:
        values["business_name"] = check_business_name(business_name)
    if agent_name is not None:
        values["agent_name"] = _check_text(agent_name.strip(), "agent_name", MAX_AGENT_NAME)
    if greeting_template is not None:
        values["greeting_template"] = _check_text(
            greeting_template, "greeting_template", MAX_TEMPLATE
        )
    if voice is not None:
        values["voice"] = _check_text(voice.strip(), "voice", MAX_VOICE)
    if twilio_number is not None:
        values["twilio_phone_number"] = phones(twilio_number) if twilio_number.strip() else None
    if time_zone is not None:
        values["time_zone"] = check_time_zone(time_zone)
    if status is not None:
        values["status"] = check_status(status)
    if rate_limit_per_second is not None and clear_rate_limit:
        raise InvalidArgument("give rate_limit_per_second or clear_rate_limit, not both")
    if rate_limit_per_second is not None:
        values["rate_limit_per_second"] = check_rate_limit(rate_limit_per_second)
    if clear_rate_limit:
        values["rate_limit_per_second"] = None
    return CustomerChanges(values)


# --------------------------------------------------------------------------- settings

NEW_CALLER_GREETING = "new_caller_greeting"
RETURNING_CALLER_GREETING = "returning_caller_greeting"
VOICE = "voice"
TRANSFER_RULES = "transfer_rules"
PROMPT_BLOCKS = "prompt_blocks"
# ProcessCall stores the facts a call states as memories of the caller unless
# this is false (absent: on).
EXTRACT_MEMORIES = "extract_memories"
KNOWN_SETTINGS = (
    NEW_CALLER_GREETING,
    RETURNING_CALLER_GREETING,
    VOICE,
    TRANSFER_RULES,
    PROMPT_BLOCKS,
    EXTRACT_MEMORIES,
)
_TEXT_SETTINGS = {NEW_CALLER_GREETING: MAX_TEMPLATE, RETURNING_CALLER_GREETING: MAX_TEMPLATE}


def check_setting_name(name: str) -> str:
    if not SETTING_NAME.match(name):
        raise InvalidArgument(
            f"setting names are 1-64 lower-case letters, digits and '_', "
            f"starting with a letter; got {name!r}"
        )
    return name


def check_setting(name: str, value: Any) -> Any:
    """The setting's value if it has the shape its name requires."""
    check_setting_name(name)
    if name in _TEXT_SETTINGS:
        if not isinstance(value, str):
            raise InvalidArgument(f"{name} must be text")
        return _check_text(value, name, _TEXT_SETTINGS[name])
    if name == VOICE:
        if not isinstance(value, str):
            raise InvalidArgument("voice must be text")
        return _check_text(value.strip(), "voice", MAX_VOICE)
    if name == TRANSFER_RULES:
        return [_transfer_rule(rule) for rule in _list(value, name)]
    if name == PROMPT_BLOCKS:
        return [_prompt_block(block) for block in _list(value, name)]
    if name == EXTRACT_MEMORIES:
        if not isinstance(value, bool):
            raise InvalidArgument("extract_memories must be true or false")
        return value
    if len(json.dumps(value, separators=(",", ":")).encode()) > MAX_SETTING_BYTES:
        raise InvalidArgument(f"setting {name!r} is larger than {MAX_SETTING_BYTES} bytes")
    return value


def _list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidArgument(f"{name} must be a list")
    if len(value) > 100:
        raise InvalidArgument(f"{name} holds at most 100 entries")
    return value


def _transfer_rule(rule: Any) -> dict[str, str]:
    if not isinstance(rule, dict) or not isinstance(rule.get("when"), str):
        raise InvalidArgument("each transfer rule needs 'when' and 'target'")
    when = rule["when"].strip()
    target = str(rule.get("target", "")).strip()
    if not when or not target:
        raise InvalidArgument("each transfer rule needs a non-empty 'when' and 'target'")
    number = str(rule.get("phone_number", "")).strip()
    if number and not _E164.match(number):
        raise InvalidArgument(
            f"a transfer rule's phone_number must be E.164 (+18005551234), got {number!r}"
        )
    return {
        "when": _check_text(when, "transfer rule 'when'", 500),
        "target": _check_text(target, "transfer rule 'target'", 200),
        "phone_number": number,
    }


def _prompt_block(block: Any) -> dict[str, str]:
    if not isinstance(block, dict) or not isinstance(block.get("text"), str):
        raise InvalidArgument("each prompt block needs 'name' and 'text'")
    name = str(block.get("name", "")).strip()
    if not name:
        raise InvalidArgument("each prompt block needs a non-empty 'name'")
    return {
        "name": _check_text(name, "prompt block name", 64),
        "text": _check_text(block["text"], "prompt block text", 16_000),
    }


@dataclass(frozen=True, slots=True)
class SettingsUpdate:
    """Validated: settings to write and names to remove."""

    values: dict[str, Any]
    clear: tuple[str, ...]


def settings_update(values: dict[str, Any], clear: list[str]) -> SettingsUpdate:
    checked = {name: check_setting(name, value) for name, value in values.items()}
    names = tuple(dict.fromkeys(check_setting_name(name) for name in clear))
    both = set(checked) & set(names)
    if both:
        raise InvalidArgument(f"settings both set and cleared: {', '.join(sorted(both))}")
    if not checked and not names:
        raise InvalidArgument("nothing to update: set at least one setting or clear one")
    return SettingsUpdate(checked, names)


@dataclass(frozen=True, slots=True)
class CallProcessing:
    """What ProcessCall needs of its tenant, read in its own transaction."""

    time_zone: str
    """The tenant's IANA time zone: due times are resolved in it."""
    extract_memories: bool
    """Whether the facts a call states become memories of the caller."""


def call_processing(time_zone: str | None, extract_memories: Any) -> CallProcessing:
    """From the customers row and the stored setting (None when unset: on)."""
    return CallProcessing(time_zone or "UTC", extract_memories is not False)
