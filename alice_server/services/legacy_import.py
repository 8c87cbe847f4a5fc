"""`alice-admin import-legacy`: the legacy ai-memory database into one Alice customer.

Everything is written in one transaction of the target customer (as the schema
owner, under row-level security): an import lands completely or not at all,
and `--dry-run` runs the very same import and rolls it back, so its counts are
the real ones. Every write is idempotent (upserts keyed like Alice's unique
keys; a memory is only replaced by a newer copy), so a second run changes
nothing. See MIGRATION.md for the mapping.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alice_server.domain import legacy
from alice_server.domain.errors import FailedPrecondition
from alice_server.domain.legacy import Counts
from alice_server.domain.traits import PERSONALITY_TRAITS
from alice_server.storage.database import Database
from alice_server.storage.legacy import read_legacy
from alice_server.storage.repositories.legacy_import import AVERAGE_COLUMNS

NEUTRAL_SCORE = 50.0  # "no signal", as the summariser scores it


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


@dataclass
class ImportReport:
    customer_id: int
    legacy_customer_id: int
    dry_run: bool
    legacy_has_customer_id: dict[str, bool] = field(default_factory=dict)
    absent_tables: list[str] = field(default_factory=list)
    tables: dict[str, Counts] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def summary(self) -> list[str]:
        """The report in words, a line per table: what was (or with --dry-run, would
        be) imported, and every row left out, with the reason."""
        verb = "would be" if self.dry_run else "were"
        lines = [
            f"dry run: nothing was written; importing legacy customer {self.legacy_customer_id} "
            f"into customer {self.customer_id} would do this:"
            if self.dry_run
            else f"imported legacy customer {self.legacy_customer_id} "
            f"into customer {self.customer_id}:"
        ]
        for table, counts in self.tables.items():
            if table in self.absent_tables:
                lines.append(f"  {table}: no such table in the legacy database")
                continue
            parts = [f"{counts.read} read", f"{counts.imported} {verb} imported"]
            if counts.already_present:
                parts.append(f"{counts.already_present} already present")
            if counts.collapsed_duplicates:
                parts.append(f"{counts.collapsed_duplicates} duplicates collapsed (newest kept)")
            if counts.skipped_expired:
                parts.append(f"{counts.skipped_expired} skipped: expired (created_at + ttl_days)")
            parts += [f"{n} skipped: {reason}" for reason, n in sorted(counts.skipped.items())]
            lines.append(f"  {table}: {', '.join(parts)}")
        return lines


class LegacyImport:
    def __init__(self, db: Database, normalize: Callable[[str], str]) -> None:
        self._db = db
        self._normalize = normalize

    async def run(
        self,
        legacy_url: str,
        customer_id: int,
        *,
        legacy_customer_id: int | None = None,
        dry_run: bool = False,
        now: dt.datetime | None = None,
    ) -> ImportReport:
        source_id = customer_id if legacy_customer_id is None else legacy_customer_id
        data = await read_legacy(legacy_url, source_id)
        report = ImportReport(customer_id, source_id, dry_run, data.has_customer_id)
        report.absent_tables = [t for t in data.tables if t not in data.has_customer_id]
        moment = now or dt.datetime.now(dt.UTC)
        rows = data.tables
        settings_rows = [
            r for r in rows["memories"] if legacy.memory_type(r.get("type")) == legacy.SETTING_TYPE
        ]
        memory_rows = [
            r for r in rows["memories"] if legacy.memory_type(r.get("type")) != legacy.SETTING_TYPE
        ]
        counts = {
            name: Counts()
            for name in (
                "memories",
                "settings",
                "call_summaries",
                "caller_profiles",
                "personality_metrics",
                "personality_averages",
            )
        }
        memories = legacy.collapse_memories(
            memory_rows, self._normalize, moment, counts["memories"]
        )
        settings = legacy.settings_from(settings_rows, counts["settings"], self._normalize)
        summaries = self._summaries(rows["call_summaries"], counts["call_summaries"])
        profiles = self._profiles(rows["caller_profiles"], counts["caller_profiles"])
        try:
            async with self._db.tenant(customer_id) as uow:
                if await uow.privacy.customer_row() is None:
                    raise FailedPrecondition(
                        f"customer {customer_id} does not exist in Alice: create it first "
                        f"(alice-admin create-customer --id {customer_id} --name ...)"
                    )
                target = uow.legacy_import
                for memory in memories:
                    outcome = await target.memory(memory)
                    _count(counts["memories"], outcome != "present")
                existing = await uow.settings.read()
                changed = {k: v for k, v in settings.settings.items() if existing.get(k) != v}
                if changed:
                    await uow.settings.write(changed)
                counts["settings"].imported = len(changed)
                counts["settings"].already_present = len(settings.settings) - len(changed)
                if settings.agent_name:
                    await target.set_agent_name(settings.agent_name)
                for summary in summaries:
                    _count(counts["call_summaries"], await target.call_summary(summary))
                for profile in profiles:
                    _count(counts["caller_profiles"], await target.caller_profile(profile))
                calls = await target.call_ids()
                for metric in self._metrics(
                    rows["personality_metrics"], calls, counts["personality_metrics"]
                ):
                    _count(counts["personality_metrics"], await target.metrics(metric))
                callers = await target.profile_ids()
                for average in self._averages(
                    rows["personality_averages"], callers, counts["personality_averages"]
                ):
                    _count(counts["personality_averages"], await target.averages(average))
                report.tables = counts
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        return report

    # ------------------------------------------------------------------ mapping

    def _caller(self, raw: Any) -> str | None:
        return legacy.normalise_caller(raw, self._normalize)

    def _summaries(self, rows: list[dict[str, Any]], counts: Counts) -> list[dict[str, Any]]:
        result: dict[str, dict[str, Any]] = {}
        for row in rows:
            counts.read += 1
            caller = self._caller(row.get("user_id"))
            call_id = str(row.get("call_id") or "").strip()
            if caller is None or not call_id:
                counts.skip("no caller or no call_id")
                continue
            if call_id in result:
                counts.collapsed_duplicates += 1
                continue
            started = legacy.as_utc(row.get("call_date") or row.get("created_at"))
            duration = row.get("duration_seconds")
            result[call_id] = {
                "call_id": call_id,
                "user_id": caller,
                "started_at": started,
                "ended_at": started + dt.timedelta(seconds=duration) if duration else None,
                "duration_seconds": duration if duration else None,
                "summary": str(row.get("summary") or ""),
                "key_topics": [str(t) for t in legacy.json_list(row.get("key_topics"))],
                "sentiment": legacy.sentiment(row.get("sentiment")),
                "created_at": legacy.as_utc(row.get("created_at") or started),
            }
        return list(result.values())

    def _profiles(self, rows: list[dict[str, Any]], counts: Counts) -> list[dict[str, Any]]:
        merged: dict[str, dict[str, Any]] = {}
        for row in sorted(
            rows, key=lambda r: legacy.as_utc(r.get("updated_at") or r.get("created_at"))
        ):
            counts.read += 1
            caller = self._caller(row.get("user_id"))
            if caller is None:
                counts.skip("no caller")
                continue
            created = legacy.as_utc(row.get("created_at"))
            first = legacy.as_utc(row.get("first_call_date") or created)
            last = legacy.as_utc(row.get("last_call_date") or first)
            preferences = legacy.json_object(row.get("preferences"))
            context = legacy.json_object(row.get("context"))
            if context:
                preferences["legacy_context"] = context
            profile = {
                "user_id": caller,
                "first_call_at": first,
                "last_call_at": last,
                "total_calls": max(int(row.get("total_calls") or 1), 1),
                "preferred_name": str(row.get("preferred_name") or ""),
                "preferences": preferences,
                "created_at": created,
                "updated_at": legacy.as_utc(row.get("updated_at") or created),
            }
            current = merged.get(caller)
            if current is None:
                merged[caller] = profile
                continue
            # The same caller under two spellings (10-digit and E.164): one profile.
            counts.collapsed_duplicates += 1
            current["first_call_at"] = min(current["first_call_at"], first)
            current["last_call_at"] = max(current["last_call_at"], last)
            current["total_calls"] += profile["total_calls"]
            current["preferred_name"] = profile["preferred_name"] or current["preferred_name"]
            current["preferences"] = {**current["preferences"], **preferences}
            current["created_at"] = min(current["created_at"], created)
            current["updated_at"] = max(current["updated_at"], profile["updated_at"])
        return list(merged.values())

    def _metrics(
        self, rows: list[dict[str, Any]], calls: set[str], counts: Counts
    ) -> list[dict[str, Any]]:
        result: dict[str, dict[str, Any]] = {}
        for row in rows:
            counts.read += 1
            caller = self._caller(row.get("user_id"))
            call_id = str(row.get("call_id") or "").strip()
            if caller is None or call_id not in calls:
                counts.skip("no call summary for its call_id")
                continue
            if call_id in result:
                counts.collapsed_duplicates += 1
                continue
            result[call_id] = {
                "user_id": caller,
                "call_id": call_id,
                "call_at": legacy.as_utc(row.get("measured_at") or row.get("created_at")),
                "created_at": legacy.as_utc(row.get("created_at")),
                **{t: _score(row.get(t)) for t in PERSONALITY_TRAITS},
            }
        return list(result.values())

    def _averages(
        self, rows: list[dict[str, Any]], callers: set[str], counts: Counts
    ) -> list[dict[str, Any]]:
        best: dict[str, dict[str, Any]] = {}
        for row in rows:
            counts.read += 1
            caller = self._caller(row.get("user_id"))
            if caller is None or caller not in callers:
                counts.skip("no caller profile")
                continue
            values = {
                "user_id": caller,
                "call_count": max(int(row.get("call_count") or 1), 1),
                "updated_at": legacy.as_utc(row.get("last_updated")),
                **{c: _score(row.get(c)) for c in AVERAGE_COLUMNS},
            }
            current = best.get(caller)
            if current is not None:
                counts.collapsed_duplicates += 1
                if current["call_count"] >= values["call_count"]:
                    continue
            best[caller] = values
        return list(best.values())


def _score(raw: Any) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return NEUTRAL_SCORE
    if value != value:  # NaN
        return NEUTRAL_SCORE
    return min(max(value, 0.0), 100.0)


def _count(counts: Counts, written: bool) -> None:
    if written:
        counts.imported += 1
    else:
        counts.already_present += 1
