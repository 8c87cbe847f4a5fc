"""Customers (tenants): their record, statuses and the rules for creating one.

The check every RPC makes (exists and active, cached) is
`alice_server.services.customers.CustomerDirectory`; the admin operations are
`alice_server.services.admin`.
"""

from __future__ import annotations

from dataclasses import dataclass

from alice_server.domain.errors import InvalidArgument

ACTIVE, SUSPENDED = "active", "suspended"


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    id: int
    business_name: str
    agent_name: str
    twilio_phone_number: str | None
    status: str


@dataclass(frozen=True, slots=True)
class NewCustomer:
    """A validated customer to create (an explicit id is for imports)."""

    business_name: str
    agent_name: str = ""
    greeting_template: str = ""
    twilio_phone_number: str | None = None
    id: int | None = None


def new_customer(
    *,
    business_name: str,
    agent_name: str = "",
    greeting_template: str = "",
    twilio_phone_number: str | None = None,
    customer_id: int | None = None,
) -> NewCustomer:
    if not business_name.strip():
        raise InvalidArgument("business_name is required")
    if customer_id is not None and customer_id <= 0:
        raise InvalidArgument("customer id must be a positive integer")
    return NewCustomer(
        business_name.strip(), agent_name, greeting_template, twilio_phone_number, customer_id
    )


def check_status(status: str) -> str:
    if status not in (ACTIVE, SUSPENDED):
        raise InvalidArgument("status must be active or suspended")
    return status
