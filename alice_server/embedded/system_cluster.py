"""The "system" backend: PostgreSQL's own initdb and pg_ctl, found on PATH, in
`pg_config --bindir`, or under /usr/lib/postgresql/*/bin (newest first; a cluster
is always run by the major version that created it). It serves where pgserver has
no wheel (CPython 3.13, Linux aarch64). initdb refuses to run as root, so this
backend does too.

Processes share a cluster through <data_dir>/pgdata.lock (start and stop are
serialised) and <data_dir>/pgdata.users (the pids using it); the last one stops
it. A server left by a killed process is recognised from /proc (its working
directory is pgdata) and cleared before a new one starts.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import logging
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from alice_server.embedded.cluster import (
    BACKEND_ENV,
    DEFAULT_PORT,
    HOW_TO_FIX,
    SUPERUSER,
    Cluster,
    EmbeddedDatabaseUnavailable,
    log_tail,
    pid_alive,
    prune_dead,
    write_pids,
)

_log = logging.getLogger(__name__)

_START_TIMEOUT_SECONDS = 60
_COMMAND_TIMEOUT_SECONDS = 180.0
# sun_path holds 104 (macOS) or 108 (Linux) bytes; keep a margin.
_SOCKET_PATH_MAX = 100
# A socket directory goes unquoted into postgres' unix_socket_directories list.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_./-]+")
_TMP_SOCKET_PREFIX = "alice-pg-"
# Where a socket directory goes when pgdata's path is too long (each one mkdtemp-private).
_SHORT_TMP = Path("/tmp")  # noqa: S108 - not $TMPDIR, which is long on macOS
_DEBIAN_BIN_GLOB = "/usr/lib/postgresql/*/bin"

_ROOT_WITHOUT_PGSERVER = (
    "The embedded database cannot run as root without pgserver: PostgreSQL's initdb refuses "
    "to run as root. Run Alice as an ordinary user, use CPython 3.11/3.12 on Linux x86_64 or "
    "macOS with pgserver installed (pip install './chad_client' '.[embedded]' from a "
    f"checkout; {BACKEND_ENV} unset or 'auto'), or set "
    "DATABASE_URL to a PostgreSQL database you run yourself."
)


@dataclass(frozen=True)
class _Tools:
    """initdb and pg_ctl of one PostgreSQL installation."""

    initdb: Path
    pg_ctl: Path
    major: str


@dataclass(frozen=True)
class _Postmaster:
    """What postmaster.pid says about a (possibly dead) server."""

    pid: int
    port: int
    socket_dir: Path | None
    status: str


class SystemCluster(Cluster):
    """A cluster run with the machine's initdb and pg_ctl; users are counted in pgdata.users."""

    backend = "system"

    def __init__(
        self, data_dir: Path, tools: _Tools, postmaster: _Postmaster, *, delete: bool
    ) -> None:
        socket_dir = postmaster.socket_dir or data_dir / "pgdata"
        super().__init__(data_dir / "pgdata", socket_dir, postmaster.port)
        self._data_dir = data_dir
        self._tools = tools
        self._delete_at_exit = delete

    @classmethod
    def open(cls, data_dir: Path, *, delete_on_stop: bool) -> SystemCluster:
        if os.geteuid() == 0:
            raise EmbeddedDatabaseUnavailable(_ROOT_WITHOUT_PGSERVER)
        pgdata = data_dir / "pgdata"
        with _file_lock(data_dir / "pgdata.lock"):
            version = _cluster_version(pgdata)
            tools = find_tools(version)
            users = prune_dead(data_dir / "pgdata.users")
            if version is None:
                _initdb(tools, pgdata)
            postmaster = _running_postmaster(pgdata) or _pg_start(tools, pgdata)
            if os.getpid() not in users:
                write_pids(data_dir / "pgdata.users", [*users, os.getpid()])
        cluster = cls(data_dir, tools, postmaster, delete=delete_on_stop)
        atexit.register(cluster._release_at_exit)
        _log.info("embedded PostgreSQL %s (system) running for %s", tools.major, pgdata)
        return cluster

    def release(self, *, delete: bool) -> None:
        atexit.unregister(self._release_at_exit)
        lock = self._data_dir / "pgdata.lock"
        with _file_lock(lock):
            users_file = self._data_dir / "pgdata.users"
            users = prune_dead(users_file)
            if os.getpid() not in users:
                return  # not registered (e.g. a forked child): never stop for others
            others = [pid for pid in users if pid != os.getpid()]
            write_pids(users_file, others)
            if others:
                return
            if _pg_stop(self._tools, self.pgdata) and delete:
                shutil.rmtree(self.pgdata, ignore_errors=True)
                users_file.unlink(missing_ok=True)
                lock.unlink(missing_ok=True)  # waiters notice and retry on the new file

    def _release_at_exit(self) -> None:
        try:
            self.release(delete=self._delete_at_exit)
        except (EmbeddedDatabaseUnavailable, OSError, subprocess.SubprocessError):
            _log.exception("could not stop the embedded PostgreSQL in %s", self.pgdata)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on path, re-opening it if it was replaced while waiting."""
    import fcntl

    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if _same_file(fd, path):
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    try:
        yield
    finally:
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _cluster_version(pgdata: Path) -> str | None:
    try:
        return (pgdata / "PG_VERSION").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None


def find_tools(wanted: str | None) -> _Tools:
    """The first installation found, or the one whose major version is `wanted`."""
    others: set[str] = set()
    for tools in _candidate_tools():
        if wanted is None or tools.major == wanted:
            return tools
        others.add(tools.major)
    if others:
        versions = ", ".join(sorted(others))
        raise EmbeddedDatabaseUnavailable(
            f"The embedded cluster was created by PostgreSQL {wanted}, but this machine has "
            f"only PostgreSQL {versions}. Install PostgreSQL {wanted} (initdb and pg_ctl), "
            "or set DATABASE_URL."
        )
    raise EmbeddedDatabaseUnavailable(
        f"No PostgreSQL to run the embedded database: pgserver is not installed and no "
        f"initdb/pg_ctl was found. {HOW_TO_FIX}"
    )


def _candidate_tools() -> Iterator[_Tools]:
    seen: set[str] = set()
    for initdb, pg_ctl in _candidate_paths():
        key = os.path.realpath(pg_ctl)
        if key in seen or not (_executable(initdb) and _executable(pg_ctl)):
            continue
        seen.add(key)
        major = _major_version(pg_ctl)
        if major is not None:
            yield _Tools(initdb, pg_ctl, major)


def _candidate_paths() -> Iterator[tuple[Path, Path]]:
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        yield Path(initdb), Path(pg_ctl)
    bindir = _pg_config_bindir()
    if bindir is not None:
        yield bindir / "initdb", bindir / "pg_ctl"
    for directory in sorted(glob.glob(_DEBIAN_BIN_GLOB), key=_version_key, reverse=True):
        yield Path(directory) / "initdb", Path(directory) / "pg_ctl"


def _version_key(bindir: str) -> tuple[int, ...]:
    name = Path(bindir).parent.name
    return tuple(int(part) for part in re.findall(r"\d+", name)) or (0,)


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _pg_config_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    try:
        out = subprocess.run(  # noqa: S603 - a PostgreSQL program found on PATH
            [pg_config, "--bindir"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (subprocess.SubprocessError, OSError):
        return None
    return Path(out.stdout.strip()) if out.stdout.strip() else None


def _major_version(pg_ctl: Path) -> str | None:
    """'15' for 'pg_ctl (PostgreSQL) 15.6 (Debian ...)', '9.6' for 9.6.x (as in PG_VERSION)."""
    try:
        out = subprocess.run(  # noqa: S603 - a PostgreSQL program found as documented
            [str(pg_ctl), "--version"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (subprocess.SubprocessError, OSError):
        return None
    match = re.search(r"\)\s*(\d+)(?:\.(\d+))?", out.stdout)
    if match is None:
        return None
    major, minor = int(match.group(1)), match.group(2)
    return str(major) if major >= 10 or minor is None else f"{major}.{minor}"


def _run(args: Sequence[str | Path], *, what: str, log: Path | None = None) -> None:
    """Run a PostgreSQL command; on failure raise EmbeddedDatabaseUnavailable with its output.

    Output goes to temporary files, not pipes: a server started by pg_ctl could otherwise
    inherit the pipe and keep this call waiting.
    """
    command = [str(arg) for arg in args]
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as output:
        try:
            subprocess.run(  # noqa: S603 - initdb/pg_ctl with arguments built here
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=_COMMAND_TIMEOUT_SECONDS,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            output.seek(0)
            detail = output.read().strip()[-2000:]
            tail = log_tail(log) if log is not None else ""
            raise EmbeddedDatabaseUnavailable(f"{what} failed: {exc}\n{detail}{tail}") from exc


def _initdb(tools: _Tools, pgdata: Path) -> None:
    """Create the cluster in a staging directory, then move it into place in one step."""
    if pgdata.exists() and any(pgdata.iterdir()):
        raise EmbeddedDatabaseUnavailable(
            f"{pgdata} exists but holds no PostgreSQL cluster (no PG_VERSION): move it away "
            "so that a new cluster can be created there"
        )
    staging = pgdata.with_name(pgdata.name + ".initdb")
    shutil.rmtree(staging, ignore_errors=True)
    _log.info("creating the embedded PostgreSQL cluster in %s", pgdata)
    command: list[str | Path] = [tools.initdb, "-D", staging, "-U", SUPERUSER]
    command += ["--auth=trust", "--encoding=UTF8", "--locale=C"]
    _run(command, what=f"initdb for {pgdata}")
    with (staging / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write(
            "\n# Alice embedded database: Unix socket only, reachable by its owner only.\n"
            "listen_addresses = ''\nunix_socket_permissions = 0700\n"
        )
    if pgdata.exists():
        pgdata.rmdir()
    os.rename(staging, pgdata)


def _running_postmaster(pgdata: Path) -> _Postmaster | None:
    """The server running on pgdata, once ready; None if none (clearing a stale pid file).

    After a crash, waits for processes of the dead server to exit before clearing.
    """
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while True:
        postmaster = _read_postmaster(pgdata)
        if postmaster is None:
            return None
        if _is_postmaster_of(postmaster.pid, pgdata):
            if postmaster.status == "ready":
                return postmaster
        elif not _server_processes_left(pgdata, postmaster.pid):
            _clear_stale(pgdata, postmaster)
            return None
        if time.monotonic() > deadline:
            raise EmbeddedDatabaseUnavailable(
                f"the PostgreSQL server in {pgdata} (pid {postmaster.pid}) did not become ready, "
                "or processes of a previous server there are still running"
                f"{log_tail(pgdata / 'postgres.log')}"
            )
        time.sleep(0.1)


def _read_postmaster(pgdata: Path) -> _Postmaster | None:
    try:
        lines = (pgdata / "postmaster.pid").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    fields = [line.strip() for line in lines] + [""] * 8
    try:
        pid = int(fields[0])
    except ValueError:
        return _Postmaster(0, DEFAULT_PORT, None, "")  # garbage: treat as stale
    port = int(fields[3]) if fields[3].isdigit() else DEFAULT_PORT
    socket_dir = Path(fields[4]) if fields[4] else None
    return _Postmaster(pid, port, socket_dir, fields[7])


_PROC = Path("/proc")
_POSTGRES_NAMES = frozenset({"postgres", "postmaster"})


def _is_postmaster_of(pid: int, pgdata: Path) -> bool:
    """Whether pid is a live postgres serving pgdata (not a zombie or a reused pid)."""
    if not _live(pid):
        return False
    if _PROC.is_dir():
        return _cwd(pid) == pgdata.resolve()  # postgres chdirs to its data directory
    return _process_name(pid) in _POSTGRES_NAMES


def _server_processes_left(pgdata: Path, pid: int) -> bool:
    """Whether any live process still works in pgdata (e.g. children of a killed server)."""
    if not _PROC.is_dir():
        return _live(pid) and _process_name(pid) in _POSTGRES_NAMES
    target = pgdata.resolve()
    pids = (int(entry.name) for entry in _PROC.iterdir() if entry.name.isdigit())
    return any(_cwd(other) == target and _live(other) for other in pids)


def _live(pid: int) -> bool:
    return pid_alive(pid) and not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        fields = (_PROC / str(pid) / "stat").read_text().rpartition(")")[2].split()
    except OSError:
        return False  # not Linux (kill(pid, 0) is all there is), or gone
    return fields[:1] == ["Z"]


def _cwd(pid: int) -> Path | None:
    try:
        return Path(os.readlink(_PROC / str(pid) / "cwd"))
    except OSError:
        return None


def _process_name(pid: int) -> str:
    ps = shutil.which("ps")
    if ps is None:
        return ""
    try:
        out = subprocess.run(  # noqa: S603 - ps with a pid
            [ps, "-p", str(pid), "-o", "comm="],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (subprocess.SubprocessError, OSError):
        return ""
    return Path(out.stdout.strip()).name


def _clear_stale(pgdata: Path, postmaster: _Postmaster) -> None:
    """Remove what a killed server left behind, once none of its processes is left.

    postgres itself replaces a postmaster.pid whose pid is gone, but takes a pid that
    still exists (a zombie, or reused by another process) for a running server and refuses
    to start; such a file is removed here.
    """
    if pid_alive(postmaster.pid):
        _log.warning("removing stale postmaster.pid in %s (pid %d)", pgdata, postmaster.pid)
        (pgdata / "postmaster.pid").unlink(missing_ok=True)
        for lock in pgdata.glob(".s.PGSQL.*.lock"):
            lock.unlink(missing_ok=True)
    _remove_tmp_socket_dir(postmaster.socket_dir)


def _remove_tmp_socket_dir(socket_dir: Path | None) -> None:
    if socket_dir is None or socket_dir.parent != _SHORT_TMP:
        return
    if not socket_dir.name.startswith(_TMP_SOCKET_PREFIX):
        return
    with contextlib.suppress(OSError):
        if socket_dir.stat().st_uid == os.geteuid():
            shutil.rmtree(socket_dir)


def _socket_dir_for(pgdata: Path) -> Path:
    """pgdata itself if the socket path fits, else a new private directory under /tmp."""
    socket_path = os.fsencode(pgdata / f".s.PGSQL.{DEFAULT_PORT}")
    if len(socket_path) <= _SOCKET_PATH_MAX and _PLAIN_PATH.fullmatch(str(pgdata)):
        return pgdata
    return Path(tempfile.mkdtemp(prefix=_TMP_SOCKET_PREFIX, dir=_SHORT_TMP))


def _pg_start(tools: _Tools, pgdata: Path) -> _Postmaster:
    socket_dir = _socket_dir_for(pgdata)
    log = pgdata / "postgres.log"
    options = "-c listen_addresses='' -c unix_socket_permissions=0700"
    options += f" -k {shlex.quote(str(socket_dir))}"
    command: list[str | Path] = [tools.pg_ctl, "-D", pgdata, "-l", log, "-w"]
    command += ["-t", str(_START_TIMEOUT_SECONDS), "-o", options, "start"]
    try:
        _run(command, what=f"pg_ctl start for {pgdata}", log=log)
    except EmbeddedDatabaseUnavailable:
        if socket_dir != pgdata:
            _remove_tmp_socket_dir(socket_dir)
        raise
    postmaster = _running_postmaster(pgdata)
    if postmaster is None:
        raise EmbeddedDatabaseUnavailable(
            f"PostgreSQL in {pgdata} exited right after starting{log_tail(log)}"
        )
    return postmaster


def _pg_stop(tools: _Tools, pgdata: Path) -> bool:
    """Stop the server on pgdata if it runs; False if it could not be stopped."""
    postmaster = _read_postmaster(pgdata)
    if postmaster is None:
        return True
    if _is_postmaster_of(postmaster.pid, pgdata):
        command: list[str | Path] = [tools.pg_ctl, "-D", pgdata, "-m", "fast", "-w"]
        command += ["-t", str(_START_TIMEOUT_SECONDS), "stop"]
        try:
            _run(command, what=f"pg_ctl stop for {pgdata}")
        except EmbeddedDatabaseUnavailable:
            _log.warning("could not stop the embedded PostgreSQL in %s", pgdata, exc_info=True)
            return False
    _remove_tmp_socket_dir(postmaster.socket_dir)
    return True
