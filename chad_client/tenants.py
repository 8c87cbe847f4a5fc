"""Typed results of TenantService and PrivacyService, and their conversions.

Frozen dataclasses like `chad_client.models`; the protobuf messages stay in
`chad_client.v1`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from google.protobuf import json_format

from chad_client.v1 import privacy_service_pb2 as priv_pb
from chad_client.v1 import tenant_service_pb2 as ten_pb

CustomerStatus = Literal["active", "suspended"]
AuditAction = Literal[
    "export_user_data",
    "delete_user_data",
    "export_customer_data",
    "delete_customer_data",
    "restore_customer_data",
    "unspecified",
]

_STATUSES: dict[int, CustomerStatus] = {
    ten_pb.CUSTOMER_STATUS_ACTIVE: "active",
    ten_pb.CUSTOMER_STATUS_SUSPENDED: "suspended",
}
_STATUS_ENUMS = {name: number for number, name in _STATUSES.items()}
_ACTIONS: dict[int, AuditAction] = {
    priv_pb.AUDIT_ACTION_EXPORT_USER_DATA: "export_user_data",
    priv_pb.AUDIT_ACTION_DELETE_USER_DATA: "delete_user_data",
    priv_pb.AUDIT_ACTION_EXPORT_CUSTOMER_DATA: "export_customer_data",
    priv_pb.AUDIT_ACTION_DELETE_CUSTOMER_DATA: "delete_customer_data",
    priv_pb.AUDIT_ACTION_RESTORE_CUSTOMER_DATA: "restore_customer_data",
}


@dataclass(frozen=True, slots=True)
class Customer:
    """A tenant's profile: what the agent builds its prompt and voice from."""

    id: int
    business_name: str
    agent_name: str
    greeting_template: str
    voice: str
    twilio_number: str
    time_zone: str
    status: CustomerStatus
    rate_limit_per_second: float | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class TransferRule:
    when: str
    target: str
    phone_number: str = ""


@dataclass(frozen=True, slots=True)
class PromptBlock:
    name: str
    text: str


@dataclass(frozen=True, slots=True)
class TenantSettings:
    """A tenant's settings; None (or an empty `other`) means not set."""

    new_caller_greeting: str | None = None
    returning_caller_greeting: str | None = None
    voice: str | None = None
    transfer_rules: list[TransferRule] | None = None
    prompt_blocks: list[PromptBlock] | None = None
    other: dict[str, Any] = field(default_factory=dict)
    # Whether ProcessCall stores the facts a call states as memories of the
    # caller; None (not set) means yes.
    extract_memories: bool | None = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    customer_id: int
    action: AuditAction
    actor: str
    subject: str
    counts: dict[str, int]
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Erasure:
    """What DeleteUserData / DeleteCustomerData erased: rows per table."""

    counts: dict[str, int]
    audit: AuditRecord


@dataclass(frozen=True, slots=True)
class ExportedRow:
    table: str
    row: dict[str, Any]


# --------------------------------------------------------------------------- from protobuf


def customer(message: ten_pb.Customer) -> Customer:
    return Customer(
        id=message.id,
        business_name=message.business_name,
        agent_name=message.agent_name,
        greeting_template=message.greeting_template,
        voice=message.voice,
        twilio_number=message.twilio_number,
        time_zone=message.time_zone,
        status=_STATUSES.get(message.status, "suspended"),
        rate_limit_per_second=(
            message.rate_limit_per_second if message.HasField("rate_limit_per_second") else None
        ),
        created_at=message.created_at.ToDatetime(tzinfo=dt.UTC),
        updated_at=message.updated_at.ToDatetime(tzinfo=dt.UTC),
    )


def settings(message: ten_pb.TenantSettings) -> TenantSettings:
    return TenantSettings(
        new_caller_greeting=_optional(message, "new_caller_greeting"),
        returning_caller_greeting=_optional(message, "returning_caller_greeting"),
        voice=_optional(message, "voice"),
        transfer_rules=(
            [TransferRule(r.when, r.target, r.phone_number) for r in message.transfer_rules.rules]
            if message.HasField("transfer_rules")
            else None
        ),
        prompt_blocks=(
            [PromptBlock(b.name, b.text) for b in message.prompt_blocks.blocks]
            if message.HasField("prompt_blocks")
            else None
        ),
        other={name: json_format.MessageToDict(v) for name, v in message.other.items()},
        extract_memories=(
            message.extract_memories if message.HasField("extract_memories") else None
        ),
    )


def audit_record(message: priv_pb.AuditRecord) -> AuditRecord:
    return AuditRecord(
        id=message.id,
        customer_id=message.customer_id,
        action=_ACTIONS.get(message.action, "unspecified"),
        actor=message.actor,
        subject=message.subject,
        counts={c.table: c.rows for c in message.counts},
        created_at=message.created_at.ToDatetime(tzinfo=dt.UTC),
    )


def erasure(
    message: priv_pb.DeleteUserDataResponse | priv_pb.DeleteCustomerDataResponse,
) -> Erasure:
    return Erasure({c.table: c.rows for c in message.counts}, audit_record(message.audit))


def exported_row(message: priv_pb.DataRecord) -> ExportedRow:
    return ExportedRow(message.table, json_format.MessageToDict(message.row))


def _optional(message: Any, name: str) -> str | None:
    return str(getattr(message, name)) if message.HasField(name) else None


# --------------------------------------------------------------------------- to protobuf


def status_enum(status: CustomerStatus) -> ten_pb.CustomerStatus:
    try:
        return _STATUS_ENUMS[status]  # type: ignore[return-value]
    except KeyError:
        raise ValueError(f"status must be 'active' or 'suspended', not {status!r}") from None


def settings_message(value: TenantSettings) -> ten_pb.TenantSettings:
    message = ten_pb.TenantSettings(
        new_caller_greeting=value.new_caller_greeting,
        returning_caller_greeting=value.returning_caller_greeting,
        voice=value.voice,
        extract_memories=value.extract_memories,
    )
    if value.transfer_rules is not None:
        message.transfer_rules.SetInParent()
        for rule in value.transfer_rules:
            message.transfer_rules.rules.add(
                when=rule.when, target=rule.target, phone_number=rule.phone_number
            )
    if value.prompt_blocks is not None:
        message.prompt_blocks.SetInParent()
        for block in value.prompt_blocks:
            message.prompt_blocks.blocks.add(name=block.name, text=block.text)
    for name, item in value.other.items():
        json_format.ParseDict(item, message.other[name])
    return message
