"""Read-your-writes across a read replica, at the RPC's edges (issue 17).

`around(context)` runs around every RPC's handler (StatusInterceptor): it takes the
newest WAL position the client has seen from the request metadata `x-alice-lsn`
(chad_client sends it, see chad_client/read_your_writes.py), and when the RPC
committed a write (with ALICE_READ_DATABASE_URL set), it returns the commit's
position in the trailing metadata `x-alice-lsn`. What happens between is
storage's (storage/positions.py, `Database.read`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import grpc

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


@contextmanager
def around(context: grpc.aio.ServicerContext) -> Iterator[None]:
    seen = 0
    for key, value in context.invocation_metadata() or ():
        if key == LSN_HEADER:
            try:
                seen = max(seen, positions.parse_lsn(str(value)))
            except ValueError:
                raise errors.InvalidArgument(
                    f"{LSN_HEADER} must be a WAL position such as 16/B374D848 (the value "
                    "a previous response's trailing metadata carried)"
                ) from None
    current, token = positions.bind(seen)
    try:
        yield
        if current.committed:
            context.set_trailing_metadata(((LSN_HEADER, positions.format_lsn(current.committed)),))
    finally:
        positions.unbind(token)
