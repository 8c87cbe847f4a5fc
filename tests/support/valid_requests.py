"""One valid request of every RPC (its fields in JSON form), for tests that
change one field at a time (tests/test_fuzz_fields.py). A new RPC needs an
entry here: tests/test_fuzz_fields.py fails until it has one, and checks that
each of these requests passes validation (no INVALID_ARGUMENT).
"""

from __future__ import annotations

import uuid
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

T0 = "2026-03-01T15:00:00Z"
T1 = "2026-03-01T15:04:00Z"
ARGON2ID = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g"


def _examples(customer_id: int, caller: str) -> dict[str, dict[str, Any]]:
    memory_id = str(uuid.uuid4())
    call_id = f"fuzz-{uuid.uuid4().hex[:12]}"
    return {
        "StoreMemory": {
            "user_id": caller,
            "type": "preference",
            "key": "drink",
            "value": {"name": "tea", "sugar": 1, "tags": ["hot", True, None]},
            "ttl_days": 30,
            "source": "fuzz",
        },
        "GetMemory": {"id": memory_id},
        "DeleteMemory": {"id": memory_id},
        "ListMemories": {"user_id": caller, "type": "preference", "page_size": 5},
        "SearchMemories": {
            "user_id": caller,
            "query": "tea",
            "types": ["preference"],
            "limit": 5,
            "mode": "SEARCH_MODE_KEYWORD",
        },
        "GetMemoryByKey": {"user_id": caller, "type": "preference", "key": "drink"},
        "GetMemoryHistory": {"id": memory_id, "page_size": 5},
        "GetEnrichedContext": {"user_id": caller, "num_memories": 3, "query": "tea"},
        "ProcessCall": {
            "user_id": caller,
            "call_id": call_id,
            "turns": [
                {"role": "ROLE_CALLER", "content": "I'd like tea, I'll call back tomorrow."},
                {"role": "ROLE_AGENT", "content": "Noted, thank you."},
            ],
            "started_at": T0,
            "ended_at": T1,
        },
        "GetCallerProfile": {"user_id": caller},
        "ListCallerProfiles": {"page_size": 5},
        "GetPersonality": {"user_id": caller},
        "ListCallSummaries": {"user_id": caller, "page_size": 5},
        "UpdateCallerProfile": {
            "user_id": caller,
            "preferred_name": "Sam",
            "preferences": {"language": "en", "callback": {"hour": 9}},
        },
        "GetTenantStats": {},
        "AppendTranscriptTurns": {
            "user_id": caller,
            "call_id": call_id,
            "turns": [{"sequence": 1, "role": "ROLE_CALLER", "content": "hello", "spoken_at": T0}],
        },
        "GetCallTranscript": {"call_id": call_id},
        "UpdateCallRecord": {
            "user_id": caller,
            "call_id": call_id,
            "direction": "CALL_DIRECTION_INBOUND",
            "dialled_number": "+15550009999",
            "external_call_id": "CA123",
            "transfer_target": "front desk",
            "recording_url": "https://example.invalid/r.wav",
            "transcript_url": "https://example.invalid/t.json",
        },
        "GetCallRecord": {"call_id": call_id},
        "CreateCustomer": {
            "business_name": "Fuzz Co",
            "agent_name": "Ava",
            "greeting_template": "Hello from {business_name}",
            "voice": "alloy",
            "time_zone": "America/Chicago",
            "rate_limit_per_second": 5.0,
        },
        "GetCustomer": {"customer_id": str(customer_id)},
        "ListCustomers": {"page_size": 5, "status": "CUSTOMER_STATUS_ACTIVE"},
        "UpdateCustomer": {
            "customer_id": str(customer_id),
            "agent_name": "Ava",
            "greeting_template": "Hi",
            "voice": "alloy",
            "time_zone": "UTC",
            "rate_limit_per_second": 50.0,
        },
        "LookupCustomerByNumber": {"phone_number": "+15550001111"},
        "GetMyCustomer": {},
        "GetSettings": {"names": ["voice", "other"]},
        "UpdateSettings": {
            "settings": {
                "new_caller_greeting": "Welcome",
                "returning_caller_greeting": "Welcome back",
                "voice": "alloy",
                "transfer_rules": {"rules": [{"when": "billing", "target": "desk"}]},
                "prompt_blocks": {"blocks": [{"name": "tone", "text": "Be brief."}]},
                "other": {"colour": "blue", "limits": {"n": 1}},
            }
        },
        "ExportUserData": {"user_id": caller},
        "DeleteUserData": {"user_id": caller},
        "ListMyAuditRecords": {"page_size": 5},
        "ExportCustomerData": {"customer_id": str(customer_id)},
        "DeleteCustomerData": {
            "customer_id": str(customer_id),
            "confirm_customer_id": str(customer_id),
        },
        "ListAuditRecords": {"customer_id": str(customer_id), "page_size": 5},
        "ListFollowUps": {"user_id": caller, "status": "FOLLOW_UP_STATUS_OPEN", "page_size": 5},
        "GetFollowUp": {"id": memory_id},
        "CompleteFollowUp": {"id": memory_id},
        "CancelFollowUp": {"id": memory_id},
        "CreateConsoleUser": {
            "login": f"fuzz-{uuid.uuid4().hex[:8]}",
            "password_hash": ARGON2ID,
            "role": "CONSOLE_ROLE_TENANT_ADMIN",
            "customer_id": str(customer_id),
        },
        "GetConsoleUser": {"login": "nobody-here"},
        "ListConsoleUsers": {"customer_id": str(customer_id), "page_size": 5},
        "UpdateConsoleUser": {"id": "999999999", "disabled": True},
        "GetTenantUsage": {"customer_id": str(customer_id), "days": 7},
    }


NAMES = frozenset(_examples(1, "+15550000000"))


def valid_request(method: str, cls: type[Message], customer_id: int, caller: str) -> Message | None:
    """A valid request of `method` (its short name), or None if there is none."""
    fields = _examples(customer_id, caller).get(method)
    if fields is None:
        return None
    return json_format.ParseDict(fields, cls())
