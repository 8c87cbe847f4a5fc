"""Tests of alice_server.embedded and alice_server.secret, with real PostgreSQL (no mocks).

The pgserver tests need the pgserver package. The "system" backend tests need PostgreSQL's
initdb/pg_ctl; initdb refuses to run as root, so when the suite runs as root those clusters
are run by processes of the user `nobody` (through runuser). Every test stops or kills the
servers it started, even when it fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any, TypeVar

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from alice_server.data_dir import default_data_dir
from alice_server.embedded import (
    BACKEND_ENV,
    EmbeddedDatabaseUnavailable,
    EmbeddedPostgres,
    pgserver_cluster,
    system_cluster,
)
from alice_server.secret import load_or_create_secret

REPO_ROOT = Path(__file__).resolve().parents[1]
IS_ROOT = os.geteuid() == 0
UNPRIVILEGED_USER = "nobody"
TIMEOUT = 120.0
T = TypeVar("T")

# A process that uses the cluster in argv[1] until it reads "stop" on stdin.
HOLDER = r"""
import json, os, sys
from pathlib import Path
from alice_server.embedded import EmbeddedPostgres
pg = EmbeddedPostgres.start(Path(sys.argv[1]), delete_on_stop=sys.argv[2] == "delete")
print(json.dumps({"url": pg.url(), "backend": pg.backend, "pid": os.getpid()}), flush=True)
for line in sys.stdin:
    if line.strip() == "stop":
        break
pg.stop()
print("stopped", flush=True)
"""

# A process that calls load_or_create_secret at the same moment as its siblings.
SECRET_RACER = r"""
import sys, time
from pathlib import Path
from alice_server.secret import load_or_create_secret
start = float(sys.argv[2])
while time.time() < start:
    pass
print(load_or_create_secret(Path(sys.argv[1])), flush=True)
"""


def _pgserver_installed() -> bool:
    return pgserver_cluster.pgserver_importable()


needs_pgserver = pytest.mark.skipif(not _pgserver_installed(), reason="pgserver not installed")


# --------------------------------------------------------------------------- helpers


def _run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run coroutine on a private loop (asyncio.run would unset pytest-asyncio's loop)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


def _query(url: str, sql: str) -> Any:
    async def run() -> Any:
        connection = await asyncpg.connect(url)
        try:
            return await connection.fetchval(sql)
        finally:
            await connection.close()

    return _run_async(run())


def _execute(url: str, sql: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    _run_async(run())


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _running(pgdata: Path) -> bool:
    pid = _postmaster_pid(pgdata)
    return pid is not None and _pid_alive(pid)


def _kill_postmaster(pgdata: Path) -> None:
    """Immediate shutdown of a server a failed test left running (never another cluster)."""
    pid = _postmaster_pid(pgdata)
    if pid is None or not _pid_alive(pid):
        return
    os.kill(pid, signal.SIGQUIT)
    deadline = time.monotonic() + 10
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _pid_alive(pid):
        os.kill(pid, signal.SIGKILL)


def _python_path() -> str:
    """PYTHONPATH for child processes: this checkout first."""
    return os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))


@cache
def _unprivileged_python() -> str | None:
    """A Python >= 3.11 that `nobody` may run (the venv's may live under /root)."""
    for candidate in (sys.executable, "/usr/bin/python3", shutil.which("python3")):
        if candidate is None or shutil.which("runuser") is None:
            continue
        check = "import sys; sys.exit(sys.version_info < (3, 11))"
        probe = ["runuser", "-u", UNPRIVILEGED_USER, "--", candidate, "-c", check]
        if subprocess.run(probe, capture_output=True, timeout=30, check=False).returncode == 0:
            return candidate
    return None


@cache
def _system_postgres_available() -> bool:
    try:
        system_cluster.find_tools(None)
    except EmbeddedDatabaseUnavailable:
        return False
    return True


def _system_backend_skip_reason() -> str | None:
    if not _system_postgres_available():
        return "no initdb/pg_ctl on this machine"
    if IS_ROOT and _unprivileged_python() is None:
        return f"running as root and cannot run Python as {UNPRIVILEGED_USER!r}"
    if IS_ROOT and not _unprivileged_imports_alice():
        return (
            f"{UNPRIVILEGED_USER!r} cannot import alice_server from this checkout: "
            "it lies in a directory that user may not read (mktemp -d makes one)"
        )
    return None


@cache
def _unprivileged_imports_alice() -> bool:
    python = _unprivileged_python()
    probe = ["runuser", "-u", UNPRIVILEGED_USER, "--", "env", f"PYTHONPATH={_python_path()}"]
    probe += [str(python), "-c", "import alice_server"]
    return subprocess.run(probe, capture_output=True, timeout=30, check=False).returncode == 0


needs_system_postgres = pytest.mark.skipif(
    _system_backend_skip_reason() is not None, reason=str(_system_backend_skip_reason())
)


@dataclass
class Holder:
    """A separate process using a cluster; see HOLDER."""

    process: subprocess.Popen[str]
    stderr: IO[str]
    url: str = ""
    backend: str = ""
    pid: int = 0

    def _stdout(self) -> IO[str]:
        assert self.process.stdout is not None
        return self.process.stdout

    def read_line(self) -> str:
        ready, _, _ = select.select([self._stdout()], [], [], TIMEOUT)
        line = self._stdout().readline() if ready else ""
        if not line:
            self.process.kill()
            self.process.wait(TIMEOUT)
            self.stderr.seek(0)
            raise AssertionError(f"holder process failed:\n{self.stderr.read()}")
        return line

    def wait_started(self) -> Holder:
        info = json.loads(self.read_line())
        self.url, self.backend, self.pid = info["url"], info["backend"], info["pid"]
        return self

    def stop(self) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write("stop\n")
        stdin.flush()
        assert self.read_line().strip() == "stopped"
        assert self.process.wait(TIMEOUT) == 0

    def kill(self) -> None:
        if self.pid and _pid_alive(self.pid):
            os.kill(self.pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(TIMEOUT)
        self.stderr.close()


@dataclass
class Clusters:
    """Creates data directories and processes for a test, and cleans everything up."""

    handles: list[EmbeddedPostgres] = field(default_factory=list)
    holders: list[Holder] = field(default_factory=list)
    dirs: list[Path] = field(default_factory=list)
    sleepers: list[subprocess.Popen[str]] = field(default_factory=list)

    def new_dir(self, *, unprivileged: bool = False, suffix: str = "") -> Path:
        base = Path(tempfile.mkdtemp(dir="/tmp"))
        self.dirs.append(base)
        data_dir = base / suffix if suffix else base
        data_dir.mkdir(exist_ok=True)
        if unprivileged:
            user = pwd.getpwnam(UNPRIVILEGED_USER)
            for path in (base, data_dir):
                os.chown(path, user.pw_uid, user.pw_gid)
        return data_dir

    def start(self, data_dir: Path, *, delete_on_stop: bool = False) -> EmbeddedPostgres:
        handle = EmbeddedPostgres.start(data_dir, delete_on_stop=delete_on_stop)
        self.handles.append(handle)
        return handle

    def holder(self, data_dir: Path, *, backend: str, delete_on_stop: bool = False) -> Holder:
        """Start a holder process (as `nobody` for the system backend when root)."""
        command = [sys.executable, "-c", HOLDER]
        env = [f"PYTHONPATH={_python_path()}", f"{BACKEND_ENV}={backend}"]
        if backend == "system" and IS_ROOT:
            python = _unprivileged_python()
            assert python is not None
            command = ["runuser", "-u", UNPRIVILEGED_USER, "--", "env", *env, python, "-c", HOLDER]
        args = [*command, str(data_dir), "delete" if delete_on_stop else "keep"]
        environ = {**os.environ, **dict(item.split("=", 1) for item in env)}
        stderr = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed by Holder.kill()
        process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=environ,
        )
        holder = Holder(process, stderr)
        self.holders.append(holder)
        return holder

    def sleeper(self, *, unprivileged: bool) -> int:
        """A live process (not postgres) of the cluster's owner; returns its pid."""
        script = "import os, time; print(os.getpid(), flush=True); time.sleep(300)"
        command = [sys.executable, "-c", script]
        if unprivileged:
            python = _unprivileged_python()
            assert python is not None
            command = ["runuser", "-u", UNPRIVILEGED_USER, "--", python, "-c", script]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        self.sleepers.append(process)
        assert process.stdout is not None
        return int(process.stdout.readline())

    def cleanup(self) -> None:
        for handle in self.handles:
            handle.stop()
        for holder in self.holders:
            holder.kill()
        for sleeper in self.sleepers:
            sleeper.kill()
            sleeper.wait(TIMEOUT)
        for base in self.dirs:
            for pgdata in base.rglob("pgdata"):
                _kill_postmaster(pgdata)
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def clusters() -> Iterator[Clusters]:
    """Cluster factory whose servers are all stopped at the end of the test."""
    made = Clusters()
    try:
        yield made
    finally:
        made.cleanup()


@pytest.fixture
def backend_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Set ALICE_EMBEDDED_BACKEND for this test."""

    def choose(value: str) -> None:
        monkeypatch.setenv(BACKEND_ENV, value)

    monkeypatch.delenv(BACKEND_ENV, raising=False)
    return choose


# --------------------------------------------------------------------------- pgserver


@needs_pgserver
def test_start_and_query_with_asyncpg(clusters: Clusters) -> None:
    data_dir = clusters.new_dir() / "fresh"
    pg = clusters.start(data_dir)

    assert pg.backend == "pgserver"
    assert data_dir.is_dir()
    # As root, pgserver's own user `pgserver` must be able to reach pgdata: it may search
    # the parent directories, but not list them.
    expected_mode = 0o711 if IS_ROOT else 0o700
    assert stat.S_IMODE(data_dir.stat().st_mode) == expected_mode
    assert stat.S_IMODE(data_dir.parent.stat().st_mode) == expected_mode
    assert pg.url() == f"postgresql://postgres@/postgres?host={data_dir.resolve()}/pgdata"
    assert pg.url("alice", user="alice_app").startswith("postgresql://alice_app@/alice?host=/")
    version = _query(pg.url(), "select version()")
    assert version.startswith("PostgreSQL 16")


@needs_pgserver
def test_sqlalchemy_async_engine_with_swapped_scheme(clusters: Clusters) -> None:
    pg = clusters.start(clusters.new_dir())
    url = pg.url().replace("postgresql://", "postgresql+asyncpg://", 1)

    async def run() -> tuple[str, str]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                user = (await connection.execute(text("select current_user"))).scalar_one()
                directory = (await connection.execute(text("show data_directory"))).scalar_one()
                return str(user), str(directory)
        finally:
            await engine.dispose()

    user, directory = _run_async(run())
    assert user == "postgres"
    assert Path(directory) == pg.pgdata


@needs_pgserver
@pytest.mark.parametrize("first_to_stop", ["other process", "this process"])
def test_two_processes_share_one_server(clusters: Clusters, first_to_stop: str) -> None:
    data_dir = clusters.new_dir()
    other = clusters.holder(data_dir, backend="pgserver").wait_started()
    mine = clusters.start(data_dir)

    assert other.url == mine.url()
    started = "select pg_postmaster_start_time()::text"
    assert _query(other.url, started) == _query(mine.url(), started)

    if first_to_stop == "other process":
        other.stop()
        assert _query(mine.url(), "select 1") == 1
        mine.stop()
    else:
        mine.stop()
        assert _query(other.url, "select 1") == 1
        other.stop()
    assert not _running(data_dir / "pgdata")


@needs_pgserver
def test_two_handles_in_one_process_share_one_registration(clusters: Clusters) -> None:
    data_dir = clusters.new_dir()
    first, second = clusters.start(data_dir), clusters.start(data_dir)

    first.stop()
    first.stop()  # a second stop does nothing
    assert _query(second.url(), "select 1") == 1
    with pytest.raises(RuntimeError, match="stopped"):
        first.url()
    second.stop()
    assert not _running(data_dir / "pgdata")


@needs_pgserver
def test_restart_reuses_the_data(clusters: Clusters) -> None:
    data_dir = clusters.new_dir()
    with clusters.start(data_dir) as pg:
        _execute(pg.url(), "create table kept (note text); insert into kept values ('hello')")
    assert not _running(data_dir / "pgdata")

    with clusters.start(data_dir) as pg:
        assert _query(pg.url(), "select note from kept") == "hello"
    assert not _running(data_dir / "pgdata")


@needs_pgserver
def test_delete_on_stop_removes_the_directory(clusters: Clusters) -> None:
    data_dir = clusters.new_dir(suffix="throwaway")
    pg = clusters.start(data_dir, delete_on_stop=True)
    assert _query(pg.url(), "select 1") == 1

    pg.stop()
    assert not data_dir.exists()


@needs_pgserver
def test_a_killed_user_does_not_keep_the_server_running(clusters: Clusters) -> None:
    data_dir = clusters.new_dir()
    killed = clusters.holder(data_dir, backend="pgserver").wait_started()
    os.kill(killed.pid, signal.SIGKILL)  # no chance to stop
    killed.process.wait(TIMEOUT)

    pg = clusters.start(data_dir)
    assert _query(pg.url(), "select 1") == 1
    pg.stop()
    assert not _running(data_dir / "pgdata")


# --------------------------------------------------------------------------- system


@needs_system_postgres
def test_system_backend_starts_restarts_and_deletes(clusters: Clusters) -> None:
    data_dir = clusters.new_dir(unprivileged=IS_ROOT)
    first = clusters.holder(data_dir, backend="system").wait_started()

    assert first.backend == "system"
    assert first.url == f"postgresql://postgres@/postgres?host={data_dir}/pgdata"
    assert _query(first.url, "select version()").startswith("PostgreSQL")
    assert _query(first.url, "show listen_addresses") == ""
    _execute(first.url, "create table kept (note text); insert into kept values ('hello')")
    first.stop()
    assert not _running(data_dir / "pgdata")

    again = clusters.holder(data_dir, backend="system", delete_on_stop=True).wait_started()
    assert _query(again.url, "select note from kept") == "hello"
    again.stop()
    assert not data_dir.exists()


@needs_system_postgres
def test_system_backend_two_processes_starting_together_share_one_server(
    clusters: Clusters,
) -> None:
    data_dir = clusters.new_dir(unprivileged=IS_ROOT)
    first = clusters.holder(data_dir, backend="system")
    second = clusters.holder(data_dir, backend="system")  # both race to run initdb
    first.wait_started()
    second.wait_started()

    assert first.url == second.url
    started = "select pg_postmaster_start_time()::text"
    assert _query(first.url, started) == _query(second.url, started)
    first.stop()
    assert _query(second.url, "select 1") == 1
    second.stop()
    assert not _running(data_dir / "pgdata")


@needs_system_postgres
def test_system_backend_ignores_a_stale_pid_file(clusters: Clusters) -> None:
    data_dir = clusters.new_dir(unprivileged=IS_ROOT)
    pgdata = data_dir / "pgdata"
    holder = clusters.holder(data_dir, backend="system").wait_started()
    pid_file = (pgdata / "postmaster.pid").read_text().splitlines()
    holder.stop()

    # As after a crash and a reboot: the recorded pid now belongs to another live process
    # of the same user, which postgres alone would take for a running server.
    sleeper = clusters.sleeper(unprivileged=IS_ROOT)
    stale = "\n".join([str(sleeper), *pid_file[1:]]) + "\n"
    for name in ("postmaster.pid", ".s.PGSQL.5432.lock"):
        (pgdata / name).write_text(stale)
        owner = pgdata.stat()
        os.chown(pgdata / name, owner.st_uid, owner.st_gid)

    again = clusters.holder(data_dir, backend="system").wait_started()
    assert _query(again.url, "select 1") == 1
    again.stop()
    assert not _running(pgdata)


@needs_system_postgres
def test_system_backend_restarts_after_a_crash(clusters: Clusters) -> None:
    data_dir = clusters.new_dir(unprivileged=IS_ROOT)
    pgdata = data_dir / "pgdata"
    crashed = clusters.holder(data_dir, backend="system").wait_started()
    postmaster = _postmaster_pid(pgdata)
    assert postmaster is not None
    os.kill(postmaster, signal.SIGKILL)  # server and user die without cleaning up
    os.kill(crashed.pid, signal.SIGKILL)
    crashed.process.wait(TIMEOUT)

    again = clusters.holder(data_dir, backend="system").wait_started()
    assert _query(again.url, "select 1") == 1
    assert _postmaster_pid(pgdata) != postmaster
    again.stop()
    assert not _running(pgdata)


@needs_system_postgres
def test_system_backend_long_path_gets_a_socket_under_tmp(clusters: Clusters) -> None:
    data_dir = clusters.new_dir(unprivileged=IS_ROOT, suffix="d" * 100)
    holder = clusters.holder(data_dir, backend="system").wait_started()

    socket_dir = Path(holder.url.split("host=", 1)[1])
    assert socket_dir.parent == system_cluster._SHORT_TMP
    assert socket_dir.name.startswith("alice-pg-")
    assert stat.S_IMODE(socket_dir.stat().st_mode) == 0o700
    assert _query(holder.url, "select 1") == 1
    holder.stop()
    assert not socket_dir.exists()


@pytest.mark.skipif(not IS_ROOT, reason="only root is refused")
def test_system_backend_as_root_is_refused_with_advice(
    clusters: Clusters, backend_env: Callable[[str], None]
) -> None:
    backend_env("system")
    with pytest.raises(EmbeddedDatabaseUnavailable) as raised:
        clusters.start(clusters.new_dir())
    message = str(raised.value)
    assert "root" in message
    assert "pgserver" in message
    assert "DATABASE_URL" in message
    assert "pip install './chad_client' '.[embedded]'" in message


def test_missing_pgserver_forced_is_refused_with_advice(
    clusters: Clusters, backend_env: Callable[[str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pgserver", None)  # makes `import pgserver` fail
    backend_env("pgserver")
    with pytest.raises(EmbeddedDatabaseUnavailable) as raised:
        clusters.start(clusters.new_dir())
    message = str(raised.value)
    for advice in ("pgserver", "3.11/3.12", "initdb", "pg_ctl", "PATH", "DATABASE_URL"):
        assert advice in message
    # What a production install (no `embedded` extra) is missing, and how to add it.
    assert "pip install './chad_client' '.[embedded]'" in message


def test_no_postgres_anywhere_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(system_cluster, "_DEBIAN_BIN_GLOB", "/nonexistent/*/bin")
    with pytest.raises(EmbeddedDatabaseUnavailable) as raised:
        system_cluster.find_tools(None)
    message = str(raised.value)
    for advice in ("pgserver", "initdb", "pg_ctl", "PATH", "DATABASE_URL"):
        assert advice in message
    assert "pip install './chad_client' '.[embedded]'" in message


@pytest.mark.parametrize(
    ("backend", "name"),
    [pytest.param("pgserver", "with space", marks=needs_pgserver), ("system", "cost$")],
)
def test_data_dir_path_that_breaks_pg_ctl_is_refused(
    clusters: Clusters, backend_env: Callable[[str], None], backend: str, name: str
) -> None:
    backend_env(backend)
    with pytest.raises(EmbeddedDatabaseUnavailable, match="ALICE_DATA_DIR"):
        clusters.start(clusters.new_dir(suffix=name))


def test_unknown_backend_is_refused(clusters: Clusters, backend_env: Callable[[str], None]) -> None:
    backend_env("docker")
    with pytest.raises(EmbeddedDatabaseUnavailable, match=BACKEND_ENV):
        clusters.start(clusters.new_dir())


# --------------------------------------------------------------------------- secret


def test_secret_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    data_dir = tmp_path / "alice"
    secret = load_or_create_secret(data_dir)

    path = data_dir / "jwt_secret"
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(secret.encode()) >= 32
    assert path.read_text().strip() == secret
    assert load_or_create_secret(data_dir) == secret
    assert [p.name for p in data_dir.iterdir()] == ["jwt_secret"]  # no staging files left
    assert load_or_create_secret(data_dir, name="other") != secret


def test_concurrent_processes_agree_on_one_secret(tmp_path: Path) -> None:
    start_at = str(time.time() + 1.5)
    env = {**os.environ, "PYTHONPATH": _python_path()}
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", SECRET_RACER, str(tmp_path), start_at],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(8)
    ]
    outputs = [racer.communicate(timeout=TIMEOUT)[0].strip() for racer in racers]

    assert all(racer.returncode == 0 for racer in racers)
    assert len(set(outputs)) == 1
    assert outputs[0] == (tmp_path / "jwt_secret").read_text().strip()


def test_group_readable_secret_is_refused_without_showing_it(tmp_path: Path) -> None:
    secret = load_or_create_secret(tmp_path)
    path = tmp_path / "jwt_secret"
    path.chmod(0o640)

    with pytest.raises(PermissionError) as raised:
        load_or_create_secret(tmp_path)
    message = str(raised.value)
    assert f"chmod 600 {path}" in message
    assert secret not in message


@pytest.mark.parametrize(("content", "problem"), [("", "empty"), ("Q7z-k3Y\n", "too short")])
def test_empty_or_short_secret_is_refused(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "jwt_secret"
    path.write_text(content)
    path.chmod(0o600)

    with pytest.raises(ValueError, match=problem) as raised:
        load_or_create_secret(tmp_path)
    if content:
        assert content.strip() not in str(raised.value)


def test_default_data_dir_honours_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "alice"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_data_dir() == tmp_path / ".local" / "share" / "alice"
