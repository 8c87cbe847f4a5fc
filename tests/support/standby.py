"""A private PostgreSQL primary and a hot standby of it, for the read-replica tests.

Debian's PostgreSQL binaries (/usr/lib/postgresql/15/bin here): `initdb` a primary on
a free port with wal_level=replica, `pg_basebackup -R` a standby from it on another
free port, both plain processes (`pg_ctl`) in a temporary directory, trust
authentication on 127.0.0.1 only. As root they run as the `postgres` user (initdb
refuses root).

    with primary_and_standby() as pair:
        pair.primary_url, pair.standby_url   # superuser URLs ("postgres" database)
        pair.stop_standby(); pair.start_standby()
        pair.wait_for_replay()               # the standby has replayed everything
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.ports import free_port


def _bindir() -> Path:
    """Debian's PostgreSQL server binaries (newest version), or `pg_config --bindir`'s."""
    for found in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (found / "initdb").exists() and (found / "pg_basebackup").exists():
            return found
    config = shutil.which("pg_config")
    if config:
        output = subprocess.run(
            [config, "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if output and (Path(output) / "pg_basebackup").exists():
            return Path(output)
    return Path("/usr/lib/postgresql/15/bin")


BIN = _bindir()


def _as_postgres() -> list[str]:
    """The prefix that runs a PostgreSQL tool as `postgres` when we are root.

    `runuser` rather than subprocess's `user=`: with `user=` Python forks instead of
    vfork/posix_spawn, and a fork runs gRPC's fork handlers in a process whose gRPC
    threads are busy (a test's server), which can crash it."""
    if os.geteuid() != 0:
        return []
    return [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "postgres", "--"]


def _run(*command: str | Path, cwd: Path) -> None:
    result = subprocess.run(
        [*_as_postgres(), *(str(c) for c in command)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"{Path(command[0]).name} failed: {result.stdout}\n{result.stderr}")


@dataclass
class Pair:
    directory: Path
    primary_port: int
    standby_port: int

    @property
    def primary_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.primary_port}/postgres"

    @property
    def standby_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.standby_port}/postgres"

    def _ctl(self, name: str, *args: str) -> None:
        data = self.directory / name
        _run(BIN / "pg_ctl", "-D", data, "-w", "-t", "60", *args, cwd=self.directory)

    def start_standby(self) -> None:
        log = self.directory / "standby.log"
        self._ctl("standby", "-l", str(log), "start")

    def stop_standby(self) -> None:
        """A fast shutdown: open connections are terminated (what a lost standby does
        to a running query)."""
        self._ctl("standby", "-m", "fast", "stop")

    def standby_running(self) -> bool:
        return (self.directory / "standby" / "postmaster.pid").exists()

    def psql(self, port: int, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            [
                *(str(BIN / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"),
                *("-d", database, "-Atc", sql),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return result.stdout.strip()

    def wait_for_replay(self, seconds: float = 60) -> None:
        """Until the standby has replayed the primary's current WAL position."""
        target = self.psql(self.primary_port, "SELECT pg_current_wal_insert_lsn()")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            done = self.psql(
                self.standby_port, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"
            )
            if done == "t":
                return
            time.sleep(0.05)
        pytest.fail(f"the standby did not replay up to {target} in {seconds} s")


@contextlib.contextmanager
def primary_and_standby(apply_delay_ms: int = 0) -> Iterator[Pair]:
    """`apply_delay_ms`: the standby applies each commit that long after it (its
    `recovery_min_apply_delay`), a lag a test can count on."""
    if not (BIN / "initdb").exists() or not (BIN / "pg_basebackup").exists():
        message = "needs PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup)"
        if os.environ.get("ALICE_TEST_DATABASE_URL"):  # CI and this project's machines
            pytest.fail(f"{message}: apt-get install postgresql-15")
        pytest.skip(message)
    directory = Path(tempfile.mkdtemp(prefix="alice-standby-"))
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(directory, account.pw_uid, account.pw_gid)
    pair = Pair(directory, free_port(), free_port())
    primary, standby = directory / "primary", directory / "standby"
    started: list[str] = []
    try:
        _run(
            BIN / "initdb",
            "-D",
            primary,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            cwd=directory,
        )
        settings = (
            f"port = {pair.primary_port}\n"
            "listen_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{directory}'\n"
            "wal_level = replica\n"
            "max_wal_senders = 5\n"
            "hot_standby = on\n"
            "fsync = off\n"
            "full_page_writes = off\n"
            "max_connections = 100\n"
            "shared_buffers = 32MB\n"
        )
        with (primary / "postgresql.conf").open("a") as conf:
            conf.write(settings)
        pair._ctl("primary", "-l", str(directory / "primary.log"), "start")
        started.append("primary")
        _run(
            BIN / "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(pair.primary_port),
            "-U",
            "postgres",
            "-D",
            standby,
            "-R",
            "-X",
            "stream",
            cwd=directory,
        )
        with (standby / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {pair.standby_port}\n")
            conf.write(f"recovery_min_apply_delay = '{apply_delay_ms}ms'\n")
        pair.start_standby()
        started.append("standby")
        yield pair
    finally:
        for name in reversed(started):
            if name == "primary" or pair.standby_running():
                with contextlib.suppress(BaseException):
                    pair._ctl(name, "-m", "immediate", "stop")
        shutil.rmtree(directory, ignore_errors=True)
