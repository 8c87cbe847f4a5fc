"""Privacy: audit records and the rules of export and erasure.

An audit record says who did what to which customer's (or caller's) data,
when, and how many rows per table; never any content. The caller concerned
is recorded as a keyed one-way hash of the normalised user_id, so the log
holds no phone number yet repeated requests about one caller are linkable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from alice_server.domain.errors import InvalidArgument

EXPORT_USER_DATA = "export_user_data"
DELETE_USER_DATA = "delete_user_data"
EXPORT_CUSTOMER_DATA = "export_customer_data"
DELETE_CUSTOMER_DATA = "delete_customer_data"
RESTORE_CUSTOMER_DATA = "restore_customer_data"
ACTIONS = (
    EXPORT_USER_DATA,
    DELETE_USER_DATA,
    EXPORT_CUSTOMER_DATA,
    DELETE_CUSTOMER_DATA,
    RESTORE_CUSTOMER_DATA,
)

EXPORT_FORMAT = "alice-customer-export"
EXPORT_VERSION = 1

PLATFORM_ACTOR = "platform"
ADMIN_ACTOR = "alice-admin"


def tenant_actor(customer_id: int) -> str:
    return f"tenant:{customer_id}"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit record (audit_log row)."""

    id: int
    customer_id: int
    action: str
    actor: str
    subject: str
    counts: dict[str, int]
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NewAuditEntry:
    customer_id: int
    action: str
    actor: str
    subject: str
    counts: dict[str, int]


class SubjectHasher:
    """Keyed one-way hash of a caller id, for audit records."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), b"alice audit subjects v1", hashlib.sha256).digest()

    def __call__(self, user_id: str) -> str:
        digest = hmac.new(self._key, user_id.encode(), hashlib.sha256).hexdigest()
        return f"hmac-sha256:{digest[:32]}"


@dataclass(frozen=True, slots=True)
class ExportHeader:
    customer_id: int
    schema_revision: str
    exported_at: dt.datetime
    tables: tuple[str, ...]
    format: str = EXPORT_FORMAT
    version: int = EXPORT_VERSION


def check_customer_id(value: int, field: str = "customer_id") -> int:
    if value <= 0:
        raise InvalidArgument(f"{field} must be a positive customer id")
    return value
