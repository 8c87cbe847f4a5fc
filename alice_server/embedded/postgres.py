"""`EmbeddedPostgres`: this process's handle on the cluster in <data_dir>/pgdata, and
the choice of the backend that runs it (ALICE_EMBEDDED_BACKEND)."""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import quote, urlencode

from alice_server.data_dir import private_directory
from alice_server.embedded.cluster import (
    BACKEND_ENV,
    DEFAULT_PORT,
    HOW_TO_FIX,
    SUPERUSER,
    Cluster,
    EmbeddedDatabaseUnavailable,
    check_path,
)
from alice_server.embedded.pgserver_cluster import PgserverCluster, pgserver_importable
from alice_server.embedded.system_cluster import SystemCluster

_BACKENDS = ("auto", "pgserver", "system")


class EmbeddedPostgres:
    """A PostgreSQL cluster in <data_dir>/pgdata, shared by the processes that use it."""

    def __init__(self, cluster: Cluster, data_dir: Path, *, delete_on_stop: bool) -> None:
        """Use `EmbeddedPostgres.start()`."""
        self._cluster = cluster
        self._data_dir = data_dir
        self._delete_on_stop = delete_on_stop
        self._stopped = False

    @classmethod
    def start(cls, data_dir: Path, *, delete_on_stop: bool = False) -> EmbeddedPostgres:
        """Initialise (first time) and start the cluster, or attach to the running one.

        Blocking; creates data_dir (mode 0700) if missing. With delete_on_stop, the cluster
        is deleted (pgdata and the bookkeeping files, then data_dir if left empty) when the
        last process using it stops.
        """
        directory = private_directory(data_dir)
        cluster = _registry.acquire(directory, delete_on_stop=delete_on_stop)
        return cls(cluster, directory, delete_on_stop=delete_on_stop)

    @property
    def backend(self) -> str:
        """The backend running the cluster: "pgserver" or "system"."""
        return self._cluster.backend

    @property
    def data_dir(self) -> Path:
        """The (resolved) data directory."""
        return self._data_dir

    @property
    def pgdata(self) -> Path:
        """The cluster's directory, <data_dir>/pgdata."""
        return self._cluster.pgdata

    def url(self, database: str = "postgres", user: str = SUPERUSER) -> str:
        """A libpq-style URL 'postgresql://<user>@/<database>?host=<socket dir>'.

        It has no password (trust authentication on the socket). asyncpg takes it as it is;
        SQLAlchemy takes it with the scheme changed to `postgresql+asyncpg://`.
        """
        if self._stopped:
            raise RuntimeError("this EmbeddedPostgres was stopped; start it again")
        query = {"host": str(self._cluster.socket_dir)}
        if self._cluster.port != DEFAULT_PORT:
            query["port"] = str(self._cluster.port)
        params = urlencode(query, quote_via=quote, safe="/")
        return f"postgresql://{quote(user, safe='')}@/{quote(database, safe='')}?{params}"

    def stop(self) -> None:
        """Release this process's use; the cluster stops when its last user stops.

        It is deleted too if delete_on_stop was given. Calling stop() again does nothing.
        """
        if self._stopped:
            return
        self._stopped = True
        _registry.release(self._cluster, delete=self._delete_on_stop)
        if self._delete_on_stop and not self._cluster.pgdata.exists():
            with contextlib.suppress(OSError):
                self._data_dir.rmdir()  # only if nothing else (e.g. a secret) is left

    def __enter__(self) -> Self:
        """Already started by `start()`; returns self."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop (release) the cluster."""
        self.stop()

    def __repr__(self) -> str:
        """Backend and data directory, e.g. for logs."""
        state = "stopped" if self._stopped else "started"
        return f"EmbeddedPostgres({self.backend}, {str(self._data_dir)!r}, {state})"


@dataclass
class _Entry:
    cluster: Cluster
    users: int


class _Registry:
    """The clusters this process uses, so that several handles share one registration."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Path, _Entry] = {}

    def acquire(self, data_dir: Path, *, delete_on_stop: bool) -> Cluster:
        pgdata = data_dir / "pgdata"
        with self._lock:
            entry = self._entries.get(pgdata)
            if entry is None:
                entry = _Entry(_open_cluster(data_dir, delete_on_stop=delete_on_stop), 0)
                self._entries[pgdata] = entry
            entry.users += 1
            return entry.cluster

    def release(self, cluster: Cluster, *, delete: bool) -> None:
        with self._lock:
            entry = self._entries.get(cluster.pgdata)
            if entry is None or entry.cluster is not cluster:
                return
            entry.users -= 1
            if entry.users > 0:
                return
            del self._entries[cluster.pgdata]
            cluster.release(delete=delete)


_registry = _Registry()


def _open_cluster(data_dir: Path, *, delete_on_stop: bool) -> Cluster:
    choice = _backend_choice()
    if choice != "system":
        if pgserver_importable():
            check_path(data_dir, "pgserver")
            return PgserverCluster.open(data_dir / "pgdata", delete_on_stop=delete_on_stop)
        if choice == "pgserver":
            raise EmbeddedDatabaseUnavailable(
                f"{BACKEND_ENV}=pgserver, but the pgserver package is not installed. {HOW_TO_FIX}"
            )
    check_path(data_dir, "system")
    return SystemCluster.open(data_dir, delete_on_stop=delete_on_stop)


def _backend_choice() -> str:
    choice = os.environ.get(BACKEND_ENV, "").strip().lower() or "auto"
    if choice not in _BACKENDS:
        raise EmbeddedDatabaseUnavailable(
            f"{BACKEND_ENV} must be one of {', '.join(_BACKENDS)}, got {choice!r}"
        )
    return choice
