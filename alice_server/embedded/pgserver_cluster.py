"""The "pgserver" backend: PostgreSQL 16 from the pgserver wheel (CPython 3.11/3.12 on
Linux x86_64 and macOS). Run as root, pgserver runs the server as a system user
`pgserver`, which it creates, and makes the parent directories of pgdata
traversable by others."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import stat
import subprocess
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from alice_server.embedded.cluster import (
    DEFAULT_PORT,
    Cluster,
    EmbeddedDatabaseUnavailable,
    log_tail,
    prune_dead,
    restrict_socket,
)

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

_log = logging.getLogger(__name__)


def pgserver_importable() -> bool:
    """Import pgserver if installed, silencing platformdirs' RuntimeDirWarning only."""
    with warnings.catch_warnings():
        _ignore_runtime_dir_warning()
        try:
            import pgserver  # noqa: F401
        except ImportError:
            return False
    return True


def _ignore_runtime_dir_warning() -> None:
    try:
        from platformdirs import (  # type: ignore[import-not-found,unused-ignore]
            RuntimeDirWarning,
        )
    except ImportError:  # no platformdirs, or one too old to warn
        return
    warnings.filterwarnings("ignore", category=RuntimeDirWarning)


class PgserverCluster(Cluster):
    """A cluster run by pgserver, which reference-counts its users in pgdata."""

    backend = "pgserver"

    def __init__(self, server: PostgresServer, pgdata: Path, socket_dir: Path, port: int) -> None:
        super().__init__(pgdata, socket_dir, port)
        self._server = server

    @classmethod
    def open(cls, pgdata: Path, *, delete_on_stop: bool) -> PgserverCluster:
        from pgserver._commands import POSTGRES_BIN_PATH
        from pgserver.postgres_server import get_server

        _prune_pgserver_users(pgdata)
        mode = "delete" if delete_on_stop else "stop"
        try:
            with _only_search_permission_added([pgdata, POSTGRES_BIN_PATH]):
                server = get_server(pgdata, cleanup_mode=mode)
            info = server.get_postmaster_info()
        except (subprocess.SubprocessError, OSError, AssertionError) as exc:
            _forget_pgserver(pgdata)
            raise EmbeddedDatabaseUnavailable(
                f"pgserver could not start PostgreSQL in {pgdata}: {exc}{log_tail(pgdata / 'log')}"
            ) from exc
        port = info.port or DEFAULT_PORT
        if info.socket_dir is None:
            raise EmbeddedDatabaseUnavailable(f"pgserver started {pgdata} without a Unix socket")
        restrict_socket(info.socket_dir, port)
        _log.info("embedded PostgreSQL (pgserver) running for %s", pgdata)
        return cls(server, pgdata, Path(info.socket_dir), port)

    def release(self, *, delete: bool) -> None:
        server = self._server
        server.cleanup_mode = "delete" if delete else "stop"
        server._cleanup()
        _forget_pgserver(self.pgdata)


def _forget_pgserver(pgdata: Path) -> None:
    """Drop pgserver's in-process handle, so that a later start registers this process again.

    pgserver keeps it after a failed start, and after a stop while other processes still
    use the cluster.
    """
    from pgserver.postgres_server import PostgresServer

    with PostgresServer._lock:
        server = PostgresServer._instances.pop(pgdata, None)
    if server is not None:
        atexit.unregister(server._cleanup)


def _prune_pgserver_users(pgdata: Path) -> None:
    """Drop dead processes from pgserver's list of users, so a killed one does not pin it."""
    from pgserver.postgres_server import PostgresServer

    with PostgresServer._lock:
        prune_dead(pgdata / ".handle_pids.json")


@contextlib.contextmanager
def _only_search_permission_added(paths: Sequence[Path]) -> Iterator[None]:
    """As root, undo the read permission pgserver grants others on every parent directory.

    pgserver runs postgres as the user `pgserver` and, for it, adds read and search (x)
    permission for group and others to all parents of pgdata and of its binaries, such
    as /root. Search is all postgres needs; the read (listing) permission it added is
    taken back afterwards.
    """
    if os.geteuid() != 0:
        yield
        return
    before = {parent: parent.stat().st_mode for path in paths for parent in path.parents}
    try:
        yield
    finally:
        for parent, mode in before.items():
            added = parent.stat().st_mode & ~mode
            if added & 0o044:
                parent.chmod(stat.S_IMODE(mode | (added & 0o011)))
