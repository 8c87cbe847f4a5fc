"""What both backends of the embedded PostgreSQL share: a process's use of a
cluster (`Cluster`), the files counting its users, and the checks and messages."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

_log = logging.getLogger(__name__)

BACKEND_ENV = "ALICE_EMBEDDED_BACKEND"
SUPERUSER = "postgres"
DEFAULT_PORT = 5432
# pg_ctl starts postgres through a shell, with -D "<pgdata>" in double quotes; pgserver
# also passes -k <pgdata> unquoted. Paths with these characters break.
SHELL_UNSAFE = {"system": re.compile(r'["$`\\]'), "pgserver": re.compile(r"[^\w./+@:=%-]")}

HOW_TO_FIX = (
    "The embedded database needs either the pgserver package (the `embedded` extra, on "
    "CPython 3.11/3.12 on Linux x86_64 or macOS: from a checkout, "
    "pip install './chad_client' '.[embedded]'; ./dev installs it) or PostgreSQL's "
    "initdb and pg_ctl (on PATH, in the directory printed by `pg_config --bindir`, or "
    "under /usr/lib/postgresql/<version>/bin). Otherwise set DATABASE_URL to a "
    "PostgreSQL database you run yourself."
)


class EmbeddedDatabaseUnavailable(RuntimeError):
    """The embedded PostgreSQL cannot be set up here; the message says what to do."""


class Cluster(ABC):
    """One process's use of a running cluster, whichever backend runs it."""

    backend: ClassVar[str]

    def __init__(self, pgdata: Path, socket_dir: Path, port: int) -> None:
        self.pgdata = pgdata
        self.socket_dir = socket_dir
        self.port = port

    @abstractmethod
    def release(self, *, delete: bool) -> None:
        """Drop this process from the cluster's users; stop (and delete) it if it was last."""


def check_path(data_dir: Path, backend: str) -> None:
    unsafe = SHELL_UNSAFE[backend].search(str(data_dir))
    if unsafe is not None:
        raise EmbeddedDatabaseUnavailable(
            f"The embedded database ({backend}) cannot use {data_dir}: its path contains "
            f"{unsafe.group()!r}, which PostgreSQL's start-up command does not survive. Choose "
            "a data directory (ALICE_DATA_DIR) whose path has only letters, digits and . _ - /"
        )


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True


def read_pids(path: Path) -> list[int]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except ValueError:
        _log.warning("ignoring unreadable list of embedded PostgreSQL users in %s", path)
        return []
    return [pid for pid in data if isinstance(pid, int)] if isinstance(data, list) else []


def write_pids(path: Path, pids: list[int]) -> None:
    staging = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    staging.write_text(json.dumps(pids), encoding="utf-8")
    os.replace(staging, path)


def prune_dead(path: Path) -> list[int]:
    """Drop processes that died without stopping (e.g. killed) from a users file."""
    pids = read_pids(path)
    alive = [pid for pid in pids if pid_alive(pid)]
    if alive != pids:
        write_pids(path, alive)
    return alive


def log_tail(log: Path, lines: int = 15) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    tail = "\n".join(text.splitlines()[-lines:])
    return f"\nLast lines of {log}:\n{tail}" if tail else ""


def restrict_socket(socket_dir: Path, port: int) -> None:
    """Make the socket owner-only (anyone reaching it is superuser under trust auth)."""
    with contextlib.suppress(OSError):
        (socket_dir / f".s.PGSQL.{port}").chmod(0o700)
