"""Demo data: tenants, their settings and a few callers, from a data file.

The file (data/demo/tenants.json) is data, not code: loading it twice changes
nothing (customers are matched by Twilio number, settings and memories are
upserts).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
from pathlib import Path
from typing import Any

from alice_server.domain import tenants
from alice_server.domain.errors import InvalidArgument
from alice_server.domain.identity import UserIdNormalizer
from alice_server.domain.memories import new_memory
from alice_server.storage.database import Database


def _default_file() -> Path:
    """data/demo/tenants.json of a source checkout, or its copy inside an installed wheel."""
    source = Path(__file__).resolve().parents[2] / "data" / "demo" / "tenants.json"
    if source.is_file():
        return source
    spec = importlib.util.find_spec("alice_server._demo")
    if spec is None or not spec.submodule_search_locations:
        return source  # load-demo then says the file is missing
    return Path(next(iter(spec.submodule_search_locations))) / "tenants.json"


DEFAULT_FILE = _default_file()


async def create_with_settings(
    db: Database, draft: tenants.CustomerDraft, update: tenants.SettingsUpdate | None
) -> tenants.Customer:
    """A new customer and its settings, in one transaction."""
    async with db.admin() as uow:
        customer = await uow.tenants.create(draft)
        if update is not None and update.values:
            tenant = await uow.enter_tenant(customer.id)
            await tenant.settings.write(update.values)
    return customer


async def load(db: Database, path: Path, phones: tenants.PhoneNumbers) -> list[dict[str, Any]]:
    try:
        data = json.loads(await asyncio.to_thread(path.read_text))
        entries = list(data["tenants"])
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InvalidArgument(f"cannot read the demo file {path}: {exc}") from None
    summary = []
    normalize = UserIdNormalizer("US")
    for entry in entries:
        profile = dict(entry["customer"])
        draft = tenants.draft(
            phones,
            business_name=profile["business_name"],
            agent_name=profile.get("agent_name", ""),
            greeting_template=profile.get("greeting_template", ""),
            voice=profile.get("voice", ""),
            twilio_number=profile.get("twilio_number", ""),
            time_zone=profile.get("time_zone", ""),
        )
        async with db.admin() as uow:
            customers = uow.tenants
            existing = None
            if draft.twilio_number:
                existing = await customers.by_number(draft.twilio_number)
            customer = existing or await customers.create(draft)
        update = (
            tenants.settings_update(entry.get("settings", {}), [])
            if entry.get("settings")
            else None
        )
        stored = 0
        async with db.tenant(customer.id) as uow:
            if update is not None:
                await uow.settings.write(update.values)
            for caller in entry.get("callers", []):
                user_id = normalize(caller["user_id"])
                for memory in caller.get("memories", []):
                    await uow.memories.upsert(
                        new_memory(
                            scope="user",
                            user_id=user_id,
                            type=memory["type"],
                            key=memory["key"],
                            value=memory["value"],
                            ttl_days=memory.get("ttl_days", 0),
                            source="demo",
                        )
                    )
                    stored += 1
        summary.append(
            {
                "customer_id": customer.id,
                "business_name": customer.business_name,
                "created": existing is None,
                "memories": stored,
            }
        )
    return summary
