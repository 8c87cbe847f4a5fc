"""Where the console meets parts of Alice that another branch is adding.

FOLLOW-UPS HOOK (issue 14): FollowUpService (open follow-ups of a caller) is
being added with its chad_client methods in parallel. Until it is merged,
`open_follow_ups` returns None and the caller page says follow-ups are not
available. At merge: call the tenant client's follow-up listing here (open
ones of `user_id`) and return the list; templates/caller.html shows
`due_at`, `text` and `status` of each item.
"""

from __future__ import annotations

from typing import Any

from chad_client.client import TenantClient


async def open_follow_ups(tenant: TenantClient, user_id: str) -> list[Any] | None:
    """The caller's open follow-ups; None while Alice has no FollowUpService."""
    lister = getattr(tenant, "list_follow_ups", None)
    if lister is None:
        return None
    page = await lister(user_id, status="open")
    return list(getattr(page, "items", page))
