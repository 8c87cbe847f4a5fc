"""Conversions for TenantService and PrivacyService: domain values <-> protobuf."""

from __future__ import annotations

import datetime as dt
from typing import Any

from google.protobuf import json_format, timestamp_pb2

from alice_server.domain import tenants
from alice_server.domain.errors import InvalidArgument
from alice_server.domain.privacy import AuditEntry, ExportHeader
from chad_client.v1 import privacy_service_pb2 as priv_pb
from chad_client.v1 import tenant_service_pb2 as ten_pb

STATUS_ENUM = {
    tenants.ACTIVE: ten_pb.CUSTOMER_STATUS_ACTIVE,
    tenants.SUSPENDED: ten_pb.CUSTOMER_STATUS_SUSPENDED,
}
STATUS_NAME: dict[int, str] = {int(number): name for name, number in STATUS_ENUM.items()}
ACTION_ENUM = {
    "export_user_data": priv_pb.AUDIT_ACTION_EXPORT_USER_DATA,
    "delete_user_data": priv_pb.AUDIT_ACTION_DELETE_USER_DATA,
    "export_customer_data": priv_pb.AUDIT_ACTION_EXPORT_CUSTOMER_DATA,
    "delete_customer_data": priv_pb.AUDIT_ACTION_DELETE_CUSTOMER_DATA,
    "restore_customer_data": priv_pb.AUDIT_ACTION_RESTORE_CUSTOMER_DATA,
}
_TEXT_SETTINGS = (
    tenants.NEW_CALLER_GREETING,
    tenants.RETURNING_CALLER_GREETING,
    tenants.VOICE,
)


def _timestamp(value: dt.datetime) -> timestamp_pb2.Timestamp:
    message = timestamp_pb2.Timestamp()
    message.FromDatetime(value)
    return message


def status_name(value: int, *, allow_unspecified: bool) -> str | None:
    if value == ten_pb.CUSTOMER_STATUS_UNSPECIFIED and allow_unspecified:
        return None
    try:
        return STATUS_NAME[value]
    except KeyError:
        raise InvalidArgument("status must be CUSTOMER_STATUS_ACTIVE or _SUSPENDED") from None


def customer(value: tenants.Customer) -> ten_pb.Customer:
    return ten_pb.Customer(
        id=value.id,
        business_name=value.business_name,
        agent_name=value.agent_name,
        greeting_template=value.greeting_template,
        voice=value.voice,
        twilio_number=value.twilio_number or "",
        time_zone=value.time_zone,
        status=STATUS_ENUM.get(value.status, ten_pb.CUSTOMER_STATUS_UNSPECIFIED),
        rate_limit_per_second=value.rate_limit_per_second,
        created_at=_timestamp(value.created_at),
        updated_at=_timestamp(value.updated_at),
    )


def settings(values: dict[str, Any]) -> ten_pb.TenantSettings:
    message = ten_pb.TenantSettings()
    for name, value in values.items():
        if name in _TEXT_SETTINGS and isinstance(value, str):
            setattr(message, name, value)
        elif name == tenants.TRANSFER_RULES and isinstance(value, list):
            message.transfer_rules.SetInParent()
            for rule in value:
                message.transfer_rules.rules.add(**rule)
        elif name == tenants.PROMPT_BLOCKS and isinstance(value, list):
            message.prompt_blocks.SetInParent()
            for block in value:
                message.prompt_blocks.blocks.add(**block)
        elif name == tenants.EXTRACT_MEMORIES and isinstance(value, bool):
            message.extract_memories = value
        else:
            json_format.ParseDict(value, message.other[name])
    return message


def settings_values(message: ten_pb.TenantSettings) -> dict[str, Any]:
    """The settings present in an UpdateSettings request, by name."""
    values: dict[str, Any] = {}
    for name in _TEXT_SETTINGS:
        if message.HasField(name):
            values[name] = getattr(message, name)
    if message.HasField("transfer_rules"):
        values[tenants.TRANSFER_RULES] = [
            {"when": r.when, "target": r.target, "phone_number": r.phone_number}
            for r in message.transfer_rules.rules
        ]
    if message.HasField("prompt_blocks"):
        values[tenants.PROMPT_BLOCKS] = [
            {"name": b.name, "text": b.text} for b in message.prompt_blocks.blocks
        ]
    if message.HasField("extract_memories"):
        values[tenants.EXTRACT_MEMORIES] = message.extract_memories
    for name, value in message.other.items():
        if name in tenants.KNOWN_SETTINGS:
            raise InvalidArgument(f"{name!r} is a typed setting: set its own field, not 'other'")
        values[name] = json_format.MessageToDict(value)
    return values


def data_record(table: str, row: dict[str, Any]) -> priv_pb.DataRecord:
    message = priv_pb.DataRecord(table=table)
    message.row.update(row)
    return message


def audit(entry: AuditEntry) -> priv_pb.AuditRecord:
    return priv_pb.AuditRecord(
        id=entry.id,
        customer_id=entry.customer_id,
        action=ACTION_ENUM.get(entry.action, priv_pb.AUDIT_ACTION_UNSPECIFIED),
        actor=entry.actor,
        subject=entry.subject,
        counts=[priv_pb.TableCount(table=t, rows=n) for t, n in entry.counts.items()],
        created_at=_timestamp(entry.created_at),
    )


def counts(values: dict[str, int]) -> list[priv_pb.TableCount]:
    return [priv_pb.TableCount(table=t, rows=n) for t, n in values.items()]


def export_header(header: ExportHeader) -> priv_pb.ExportHeader:
    return priv_pb.ExportHeader(
        format=header.format,
        version=header.version,
        customer_id=header.customer_id,
        schema_revision=header.schema_revision,
        exported_at=_timestamp(header.exported_at),
        tables=list(header.tables),
    )
