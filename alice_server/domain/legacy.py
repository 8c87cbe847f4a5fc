"""Rules of the import from the legacy ai-memory database (pure; no I/O).

Legacy rows come in as plain dicts (column -> value). The rules:

* callers: 10-digit and E.164 forms are one caller; `customer_N_<digits>` is
  the caller <digits>; other ids (`admin`, `unknown`...) are kept as given.
* memories: `value_json` that is a JSON string becomes `{"value": ...}` (or
  the object it spells); types are lower-cased (`legacy` when unusable); a
  missing key becomes `legacy:<id>`; `scope` shared/global or no caller means
  a shared memory; duplicates (the legacy service re-inserted the whole
  transcript every turn) collapse to the newest per (scope, caller, type,
  key); rows already expired (created_at + ttl_days) are skipped and counted.
* settings: `admin_setting` memories become tenant settings (legacy names
  mapped to Alice's: existing_user_greeting -> returning_caller_greeting,
  openai_voice / voice_id -> voice); `agent_name` goes to the customer's
  profile; a value that does not fit a typed setting is kept as a free-form
  `legacy_<name>` setting.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from alice_server.domain import tenants
from alice_server.domain.errors import InvalidArgument
from alice_server.domain.traits import AVERAGED_TRAITS, PERSONALITY_TRAITS, RECENT_LEVELS

MAX_KEY = 256
MAX_TTL_DAYS = 3650
DEFAULT_TTL_DAYS = 365
SETTING_TYPE = "admin_setting"
_TYPE_RE = re.compile(r"^[a-z0-9_.:\-]{1,64}$")
_CUSTOMER_PREFIX = re.compile(r"^customer_\d+_(?P<rest>.+)$")
SETTING_NAMES = {
    "existing_user_greeting": tenants.RETURNING_CALLER_GREETING,
    "returning_user_greeting": tenants.RETURNING_CALLER_GREETING,
    "new_caller_greeting": tenants.NEW_CALLER_GREETING,
    "new_user_greeting": tenants.NEW_CALLER_GREETING,
    "openai_voice": tenants.VOICE,
    "voice_id": tenants.VOICE,
    "voice": tenants.VOICE,
    "transfer_rules": tenants.TRANSFER_RULES,
    "prompt_blocks": tenants.PROMPT_BLOCKS,
}
PROFILE_SETTINGS = {"agent_name"}


# The legacy tables as import-legacy reads them (MIGRATION.md, "The legacy
# tables"): every column named here must exist. Each table may also carry
# `customer_id` (the newer shape: rows of --legacy-customer-id are read) and
# other columns (`embedding`, `key_variables`, ...), which are never read. A
# table missing altogether is counted as empty (older copies lack some).
LEGACY_COLUMNS: dict[str, tuple[str, ...]] = {
    "memories": (
        "id",
        "user_id",
        "scope",
        "type",
        "k",
        "value_json",
        "source",
        "ttl_days",
        "created_at",
    ),
    "call_summaries": (
        "call_id",
        "user_id",
        "call_date",
        "summary",
        "key_topics",
        "sentiment",
        "duration_seconds",
        "created_at",
    ),
    "caller_profiles": (
        "user_id",
        "first_call_date",
        "last_call_date",
        "total_calls",
        "preferred_name",
        "preferences",
        "context",
        "created_at",
        "updated_at",
    ),
    "personality_metrics": (
        "user_id",
        "call_id",
        "measured_at",
        *PERSONALITY_TRAITS,
        "created_at",
    ),
    "personality_averages": (
        "user_id",
        "call_count",
        "last_updated",
        *(f"avg_{t}" for t in AVERAGED_TRAITS),
        *(f"recent_{level.removesuffix('_level')}" for level in RECENT_LEVELS),
    ),
}
# Columns of the legacy tables that are never read (MIGRATION.md names them).
UNREAD_COLUMNS = frozenset(
    {"customer_id", "embedding", "id", "key_variables", "resolution_status"}
    | {"satisfaction_trend", "frustration_trend"}
)
# Read as points in time: another type would silently become the import time.
TIME_COLUMNS = frozenset(
    {"created_at", "updated_at", "call_date", "first_call_date", "last_call_date"}
    | {"measured_at", "last_updated"}
)
TIME_TYPES = frozenset({"timestamp with time zone", "timestamp without time zone"})


def shape_problems(found: dict[str, dict[str, str]]) -> list[str]:
    """What keeps the legacy tables from being read: `found` maps each table that
    exists to its columns and their types (information_schema's data_type)."""
    if not found:
        return [
            f"none of the legacy tables ({', '.join(LEGACY_COLUMNS)}) exists: "
            "is --legacy-url the ai-memory database?"
        ]
    problems = []
    for table, wanted in LEGACY_COLUMNS.items():
        columns = found.get(table)
        if columns is None:
            continue
        missing = [c for c in wanted if c not in columns]
        if missing:
            others = sorted(set(columns) - set(wanted) - UNREAD_COLUMNS)
            has = f" (it has {', '.join(others)})" if others else ""
            problems.append(f"{table} lacks {', '.join(missing)}{has}")
        wrong = [
            f"{c} is {columns[c]}"
            for c in wanted
            if c in TIME_COLUMNS and c in columns and columns[c] not in TIME_TYPES
        ]
        if wrong:
            problems.append(f"{table}.{', '.join(wrong)}, not a timestamp")
    return problems


@dataclass
class ImportedMemory:
    scope: str
    user_id: str
    type: str
    key: str
    value: dict[str, Any]
    source: str
    ttl_days: int
    created_at: dt.datetime
    expires_at: dt.datetime


@dataclass
class Counts:
    read: int = 0
    imported: int = 0
    already_present: int = 0
    collapsed_duplicates: int = 0
    skipped_expired: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def normalise_caller(raw: Any, normalize: Callable[[str], str]) -> str | None:
    """The Alice caller id of a legacy user_id; None when there is none."""
    if raw is None:
        return None
    value = str(raw).strip()
    if not value:
        return None
    match = _CUSTOMER_PREFIX.match(value)
    if match:
        value = match.group("rest")
    try:
        return normalize(value)
    except InvalidArgument:
        return None


def memory_value(raw: Any) -> dict[str, Any]:
    """An Alice memory value (a JSON object) from legacy value_json."""
    value = raw
    if isinstance(value, str):
        try:
            value = json.loads(value)  # asyncpg returns jsonb as text
        except json.JSONDecodeError:
            return {"value": value}
    if isinstance(value, str):  # a JSON string: sometimes it spells an object
        try:
            inner = json.loads(value)
        except json.JSONDecodeError:
            return {"value": value}
        value = inner
    if isinstance(value, dict):
        return value
    return {"value": value}


def memory_type(raw: Any) -> str:
    value = str(raw or "").strip().lower().replace(" ", "_")
    return value if _TYPE_RE.match(value) else "legacy"


def memory_key(raw: Any, legacy_id: Any) -> str:
    value = str(raw or "").strip()
    if not value or not value.isprintable():
        return f"legacy:{legacy_id}"
    if len(value) > MAX_KEY:
        digest = hashlib.sha256(value.encode()).hexdigest()[:16]
        value = f"{value[: MAX_KEY - 17]}~{digest}"
    return value


def ttl_days(raw: Any) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return DEFAULT_TTL_DAYS
    if value <= 0:
        return DEFAULT_TTL_DAYS
    return min(value, MAX_TTL_DAYS)


def as_utc(value: Any) -> dt.datetime:
    """Legacy timestamps; naive ones (timestamp without time zone) are UTC."""
    if not isinstance(value, dt.datetime):
        return dt.datetime.now(dt.UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def sentiment(raw: Any) -> str:
    text = str(raw or "").lower()
    if "pos" in text or "happy" in text or "satisf" in text:
        return "positive"
    if "neg" in text or "frustr" in text or "angry" in text or "upset" in text:
        return "negative"
    return "neutral"


def json_list(raw: Any) -> list[Any]:
    value = json.loads(raw) if isinstance(raw, str) else raw
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def json_object(raw: Any) -> dict[str, Any]:
    value = json.loads(raw) if isinstance(raw, str) else raw
    if value is None:
        return {}
    return value if isinstance(value, dict) else {"value": value}


def collapse_memories(
    rows: Iterable[dict[str, Any]],
    normalize: Callable[[str], str],
    now: dt.datetime,
    counts: Counts,
) -> list[ImportedMemory]:
    """Legacy memory rows (settings excluded) -> Alice memories, newest per identity."""
    newest: dict[tuple[str, str, str, str], tuple[dt.datetime, str, ImportedMemory]] = {}
    for row in rows:
        counts.read += 1
        caller = normalise_caller(row.get("user_id"), normalize)
        shared = str(row.get("scope") or "user").lower() in ("shared", "global") or caller is None
        created = as_utc(row.get("created_at"))
        ttl = ttl_days(row.get("ttl_days"))
        expires = created + dt.timedelta(days=ttl)
        if expires <= now:
            counts.skipped_expired += 1
            continue
        memory = ImportedMemory(
            scope="shared" if shared else "user",
            user_id="" if shared else (caller or ""),
            type=memory_type(row.get("type")),
            key=memory_key(row.get("k"), row.get("id")),
            value=memory_value(row.get("value_json")),
            source=str(row.get("source") or "import")[:64],
            ttl_days=ttl,
            created_at=created,
            expires_at=expires,
        )
        identity = (memory.scope, memory.user_id, memory.type, memory.key)
        order = (created, str(row.get("id")))
        current = newest.get(identity)
        if current is None:
            newest[identity] = (*order, memory)
            continue
        counts.collapsed_duplicates += 1
        if order > (current[0], current[1]):
            newest[identity] = (*order, memory)
    return [entry[2] for entry in newest.values()]


@dataclass
class ImportedSettings:
    settings: dict[str, Any]
    agent_name: str | None


def settings_from(
    rows: Iterable[dict[str, Any]], counts: Counts, normalize: Callable[[str], str]
) -> ImportedSettings:
    """admin_setting memories -> tenant settings (newest per name)."""
    newest: dict[str, tuple[dt.datetime, Any]] = {}
    for row in rows:
        counts.read += 1
        value = memory_value(row.get("value_json"))
        name = str(value.get("setting_key") or row.get("k") or "").strip().lower()
        name = re.sub(r"[^a-z0-9_]+", "_", name).strip("_")
        if not name:
            counts.skip("a setting without a name (no setting_key in value_json, no k)")
            continue
        setting = value.get("setting_value", value.get("value"))
        if name == "transfer_rules" and isinstance(value.get("rules"), list):
            setting = value["rules"]
        created = as_utc(row.get("created_at"))
        if name in newest:
            counts.collapsed_duplicates += 1
            if created <= newest[name][0]:
                continue
        newest[name] = (created, setting)
    result: dict[str, Any] = {}
    agent_name = None
    for name, (_, value) in newest.items():
        if name in PROFILE_SETTINGS:
            agent_name = str(value)
            continue
        target = SETTING_NAMES.get(name, name if name[:1].isalpha() else f"legacy_{name}")
        candidate = _coerce(target, value, normalize)
        try:
            result[target] = tenants.check_setting(target, candidate)
        except InvalidArgument:
            fallback = f"legacy_{name}"[:64]
            result[fallback] = tenants.check_setting(fallback, value)
    return ImportedSettings(result, agent_name)


def _coerce(name: str, value: Any, normalize: Callable[[str], str]) -> Any:
    """Legacy shapes of the typed settings, where they can be read."""
    if isinstance(value, str) and name in (tenants.TRANSFER_RULES, tenants.PROMPT_BLOCKS):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return value
    if name == tenants.TRANSFER_RULES and isinstance(value, dict):
        value = value.get("rules", value)
    if name == tenants.TRANSFER_RULES and isinstance(value, list):
        return [_transfer_rule(rule, normalize) for rule in value]
    if name == tenants.PROMPT_BLOCKS and isinstance(value, dict):
        return [{"name": str(k), "text": str(v)} for k, v in value.items()]
    return value


def _transfer_rule(rule: Any, normalize: Callable[[str], str]) -> Any:
    if not isinstance(rule, dict):
        return rule
    number = str(rule.get("phone_number") or rule.get("number") or rule.get("phone") or "")
    if number:
        with contextlib.suppress(InvalidArgument):
            number = normalize(number)
    return {
        "when": str(rule.get("when") or rule.get("condition") or rule.get("trigger") or ""),
        "target": str(rule.get("target") or rule.get("name") or rule.get("department") or ""),
        "phone_number": number,
    }
