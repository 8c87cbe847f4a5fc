"""Read-your-writes across a read replica, at the RPC's edges (issue 17).

The RPC guard (interceptors.py) calls `bind(metadata)` before each handler: the
newest WAL position the client has seen, from the request metadata `x-alice-lsn`
(chad_client sends it, see chad_client/read_your_writes.py). Its trailing-metadata
hook is `trailing()`: when the RPC committed a write (with ALICE_READ_DATABASE_URL
set), the commit's position in the trailing metadata `x-alice-lsn`. What happens
between is storage's (storage/positions.py, `Database.read`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alice_server import metrics
from alice_server.config import Settings
from alice_server.domain import errors
from alice_server.storage import positions
from alice_server.storage.database import Database, ReadReplica
from alice_server.storage.positions import LSN_HEADER


async def attach_read_replica(settings: Settings, database: Database) -> None:
    """With ALICE_READ_DATABASE_URL: `database.read()` may use that standby from now
    on (its pool from the same factory and options; closed with `database`)."""
    if not settings.read_database_url:
        return
    standby = Database.from_settings(settings.read_database_url, settings)
    replica = ReadReplica(
        standby,
        database,
        on_fallback=metrics.read_fallback,
        on_standby_read=metrics.standby_read,
    )
    try:
        await replica.start()
    except BaseException:
        await replica.close()
        raise
    database.replica = replica


def bind(metadata: Sequence[tuple[str, Any]]) -> None:
    """This RPC's positions: the newest the client has seen (its `x-alice-lsn`).

    Called by the RPC guard before the handler, in the RPC's own task (grpc runs
    each call in a task of its own), so the binding ends with the call."""
    seen = 0
    for key, value in metadata:
        if key == LSN_HEADER:
            try:
                seen = max(seen, positions.parse_lsn(str(value)))
            except ValueError:
                raise errors.InvalidArgument(
                    f"{LSN_HEADER} must be a WAL position such as 16/B374D848 (the value "
                    "a previous response's trailing metadata carried)"
                ) from None
    positions.bind(seen)


def trailing() -> tuple[tuple[str, str], ...]:
    """The RPC guard's trailing metadata: the position after this RPC's last commit
    (only with a read replica; none for a call that wrote nothing)."""
    current = positions.current()
    if current is None or not current.committed:
        return ()
    return ((LSN_HEADER, positions.format_lsn(current.committed)),)
