"""An embedded PostgreSQL for running Alice without DATABASE_URL, and its JWT signing secret.

When the operator sets no DATABASE_URL, Alice keeps its own PostgreSQL cluster in a data
directory (by default `default_data_dir()`, i.e. `$XDG_DATA_HOME/alice` or
`~/.local/share/alice`):

    <data_dir>/pgdata          the cluster (its server log is pgdata/postgres.log for the
                               "system" backend, pgdata/log for "pgserver")
    <data_dir>/pgdata.lock     serialises start and stop between processes ("system" backend)
    <data_dir>/pgdata.users    pids of the processes using the cluster ("system" backend)
    <data_dir>/jwt_secret      the signing secret, see `load_or_create_secret()`

The server listens on a Unix socket only (no TCP), with trust authentication for the
superuser `postgres`; only the owner of the data directory can reach the socket. Several
processes (`alice-server`, `alice-admin`) may use one cluster at once: the first starts it,
later ones attach, and the last to stop shuts it down. `EmbeddedPostgres.start()` blocks
(it may run initdb), so async code should call it through `asyncio.to_thread`.

Two backends:

- "pgserver": the pgserver package (PostgreSQL 16 in a wheel, for CPython 3.11/3.12 on
  Linux x86_64 and macOS). Run as root, it runs the server as a system user `pgserver`,
  which it creates, and makes the parent directories of pgdata traversable by others.
- "system": PostgreSQL's own initdb and pg_ctl, found on PATH, in `pg_config --bindir`, or
  under /usr/lib/postgresql/*/bin (newest first; a cluster is always run by the major
  version that created it). initdb refuses to run as root, so this backend does too.

The environment variable ALICE_EMBEDDED_BACKEND chooses: `auto` (the default: pgserver if
it is installed, else system), `pgserver` or `system`. All processes sharing one data
directory must use the same backend.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import glob
import json
import logging
import os
import re
import secrets
import shlex
import shutil
import stat
import subprocess
import tempfile
import threading
import time
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, ClassVar, Self
from urllib.parse import quote, urlencode

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

__all__ = [
    "BACKEND_ENV",
    "EmbeddedDatabaseUnavailable",
    "EmbeddedPostgres",
    "default_data_dir",
    "load_or_create_secret",
]

_log = logging.getLogger(__name__)

BACKEND_ENV = "ALICE_EMBEDDED_BACKEND"
_BACKENDS = ("auto", "pgserver", "system")
SUPERUSER = "postgres"
DEFAULT_PORT = 5432
MIN_SECRET_BYTES = 32
_START_TIMEOUT_SECONDS = 60
_COMMAND_TIMEOUT_SECONDS = 180.0
# sun_path holds 104 (macOS) or 108 (Linux) bytes; keep a margin.
_SOCKET_PATH_MAX = 100
# A socket directory goes unquoted into postgres' unix_socket_directories list.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_./-]+")
# pg_ctl starts postgres through a shell, with -D "<pgdata>" in double quotes; pgserver
# also passes -k <pgdata> unquoted. Paths with these characters break.
_SHELL_UNSAFE = {"system": re.compile(r'["$`\\]'), "pgserver": re.compile(r"[^\w./+@:=%-]")}
_TMP_SOCKET_PREFIX = "alice-pg-"
# Where a socket directory goes when pgdata's path is too long (each one mkdtemp-private).
_SHORT_TMP = Path("/tmp")  # noqa: S108 - not $TMPDIR, which is long on macOS
_DEBIAN_BIN_GLOB = "/usr/lib/postgresql/*/bin"

_HOW_TO_FIX = (
    "The embedded database needs either the pgserver package (the `embedded` extra, on "
    "CPython 3.11/3.12 on Linux x86_64 or macOS: from a checkout, "
    "pip install './chad_client' '.[embedded]'; ./dev installs it) or PostgreSQL's "
    "initdb and pg_ctl (on PATH, in the directory printed by `pg_config --bindir`, or "
    "under /usr/lib/postgresql/<version>/bin). Otherwise set DATABASE_URL to a "
    "PostgreSQL database you run yourself."
)


_ROOT_WITHOUT_PGSERVER = (
    "The embedded database cannot run as root without pgserver: PostgreSQL's initdb refuses "
    "to run as root. Run Alice as an ordinary user, use CPython 3.11/3.12 on Linux x86_64 or "
    "macOS with pgserver installed (pip install './chad_client' '.[embedded]' from a "
    f"checkout; {BACKEND_ENV} unset or 'auto'), or set "
    "DATABASE_URL to a PostgreSQL database you run yourself."
)


class EmbeddedDatabaseUnavailable(RuntimeError):
    """The embedded PostgreSQL cannot be set up here; the message says what to do."""


def default_data_dir() -> Path:
    """Alice's data directory: `$XDG_DATA_HOME/alice`, or `~/.local/share/alice`."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "alice"


# --------------------------------------------------------------------------- secret


def load_or_create_secret(data_dir: Path, *, name: str = "jwt_secret", nbytes: int = 48) -> str:
    """Return the secret stored in data_dir/name, creating it once.

    The file is created with mode 0600 and appears atomically with its content (written
    to a private temporary file, then hard-linked into place, which fails if the name
    exists), so two processes starting at once agree on one secret.

    Raises PermissionError (naming `chmod 600 <path>`) if the file is readable or writable
    by group or others, and ValueError if it is empty or shorter than 32 bytes. No message
    contains the secret.
    """
    directory = _ensure_dir(data_dir)
    path = directory / name
    if not path.exists():
        _create_secret_file(path, _new_secret(nbytes))
    return _read_secret(path)


def _new_secret(nbytes: int) -> str:
    secret = secrets.token_urlsafe(nbytes)
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"nbytes={nbytes} gives a secret shorter than {MIN_SECRET_BYTES} bytes")
    return secret


def _create_secret_file(path: Path, secret: str) -> None:
    """Create path holding secret, mode 0600, unless it exists already (then keep that)."""
    fd, staging = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(secret + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(staging, path)
        except FileExistsError:
            pass  # another process won the race: everyone uses its secret
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
                raise
            _create_exclusive(path, secret)  # file system without hard links
    finally:
        os.unlink(staging)


def _create_exclusive(path: Path, secret: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(secret + "\n")
        file.flush()
        os.fsync(file.fileno())


def _read_secret(path: Path) -> str:
    with path.open("rb") as file:
        mode = os.fstat(file.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise ValueError(f"{path} is not a regular file")
        if mode & 0o077:
            raise PermissionError(
                f"{path} is accessible by group or others (mode {stat.S_IMODE(mode):04o}): "
                f"run `chmod 600 {path}` (and consider replacing the secret)"
            )
        raw = file.read()
    try:
        secret = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not UTF-8 text") from None
    if not secret:
        raise ValueError(f"{path} is empty: delete it to have a new secret generated")
    size = len(secret.encode("utf-8"))
    if size < MIN_SECRET_BYTES:
        raise ValueError(
            f"the secret in {path} is too short: {size} bytes, at least {MIN_SECRET_BYTES} "
            "are needed; delete the file to have a new secret generated"
        )
    return secret


def _ensure_dir(directory: Path) -> Path:
    """Create directory (mode 0700) if missing; return its resolved path."""
    directory = directory.expanduser()
    if not directory.is_dir():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory.chmod(0o700)
    return directory.resolve()


# --------------------------------------------------------------------------- public handle


class EmbeddedPostgres:
    """A PostgreSQL cluster in <data_dir>/pgdata, shared by the processes that use it."""

    def __init__(self, cluster: _Cluster, data_dir: Path, *, delete_on_stop: bool) -> None:
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
        directory = _ensure_dir(data_dir)
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


# --------------------------------------------------------------------------- clusters


class _Cluster(ABC):
    """One process's use of a running cluster, whichever backend runs it."""

    backend: ClassVar[str]

    def __init__(self, pgdata: Path, socket_dir: Path, port: int) -> None:
        self.pgdata = pgdata
        self.socket_dir = socket_dir
        self.port = port

    @abstractmethod
    def release(self, *, delete: bool) -> None:
        """Drop this process from the cluster's users; stop (and delete) it if it was last."""


@dataclass
class _Entry:
    cluster: _Cluster
    users: int


class _Registry:
    """The clusters this process uses, so that several handles share one registration."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Path, _Entry] = {}

    def acquire(self, data_dir: Path, *, delete_on_stop: bool) -> _Cluster:
        pgdata = data_dir / "pgdata"
        with self._lock:
            entry = self._entries.get(pgdata)
            if entry is None:
                entry = _Entry(_open_cluster(data_dir, delete_on_stop=delete_on_stop), 0)
                self._entries[pgdata] = entry
            entry.users += 1
            return entry.cluster

    def release(self, cluster: _Cluster, *, delete: bool) -> None:
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


def _open_cluster(data_dir: Path, *, delete_on_stop: bool) -> _Cluster:
    choice = _backend_choice()
    if choice != "system":
        if _pgserver_importable():
            _check_path(data_dir, "pgserver")
            return _PgserverCluster.open(data_dir / "pgdata", delete_on_stop=delete_on_stop)
        if choice == "pgserver":
            raise EmbeddedDatabaseUnavailable(
                f"{BACKEND_ENV}=pgserver, but the pgserver package is not installed. {_HOW_TO_FIX}"
            )
    _check_path(data_dir, "system")
    return _SystemCluster.open(data_dir, delete_on_stop=delete_on_stop)


def _check_path(data_dir: Path, backend: str) -> None:
    unsafe = _SHELL_UNSAFE[backend].search(str(data_dir))
    if unsafe is not None:
        raise EmbeddedDatabaseUnavailable(
            f"The embedded database ({backend}) cannot use {data_dir}: its path contains "
            f"{unsafe.group()!r}, which PostgreSQL's start-up command does not survive. Choose "
            "a data directory (ALICE_DATA_DIR) whose path has only letters, digits and . _ - /"
        )


def _backend_choice() -> str:
    choice = os.environ.get(BACKEND_ENV, "").strip().lower() or "auto"
    if choice not in _BACKENDS:
        raise EmbeddedDatabaseUnavailable(
            f"{BACKEND_ENV} must be one of {', '.join(_BACKENDS)}, got {choice!r}"
        )
    return choice


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True


def _read_pids(path: Path) -> list[int]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except ValueError:
        _log.warning("ignoring unreadable list of embedded PostgreSQL users in %s", path)
        return []
    return [pid for pid in data if isinstance(pid, int)] if isinstance(data, list) else []


def _write_pids(path: Path, pids: list[int]) -> None:
    staging = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    staging.write_text(json.dumps(pids), encoding="utf-8")
    os.replace(staging, path)


def _prune_dead(path: Path) -> list[int]:
    """Drop processes that died without stopping (e.g. killed) from a users file."""
    pids = _read_pids(path)
    alive = [pid for pid in pids if _pid_alive(pid)]
    if alive != pids:
        _write_pids(path, alive)
    return alive


def _log_tail(log: Path, lines: int = 15) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    tail = "\n".join(text.splitlines()[-lines:])
    return f"\nLast lines of {log}:\n{tail}" if tail else ""


def _restrict_socket(socket_dir: Path, port: int) -> None:
    """Make the socket owner-only (anyone reaching it is superuser under trust auth)."""
    with contextlib.suppress(OSError):
        (socket_dir / f".s.PGSQL.{port}").chmod(0o700)


# --------------------------------------------------------------------------- pgserver


def _pgserver_importable() -> bool:
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


class _PgserverCluster(_Cluster):
    """A cluster run by pgserver, which reference-counts its users in pgdata."""

    backend = "pgserver"

    def __init__(self, server: PostgresServer, pgdata: Path, socket_dir: Path, port: int) -> None:
        super().__init__(pgdata, socket_dir, port)
        self._server = server

    @classmethod
    def open(cls, pgdata: Path, *, delete_on_stop: bool) -> _PgserverCluster:
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
                f"pgserver could not start PostgreSQL in {pgdata}: {exc}{_log_tail(pgdata / 'log')}"
            ) from exc
        port = info.port or DEFAULT_PORT
        if info.socket_dir is None:
            raise EmbeddedDatabaseUnavailable(f"pgserver started {pgdata} without a Unix socket")
        _restrict_socket(info.socket_dir, port)
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
        _prune_dead(pgdata / ".handle_pids.json")


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


# --------------------------------------------------------------------------- system


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


class _SystemCluster(_Cluster):
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
    def open(cls, data_dir: Path, *, delete_on_stop: bool) -> _SystemCluster:
        if os.geteuid() == 0:
            raise EmbeddedDatabaseUnavailable(_ROOT_WITHOUT_PGSERVER)
        pgdata = data_dir / "pgdata"
        with _file_lock(data_dir / "pgdata.lock"):
            version = _cluster_version(pgdata)
            tools = _find_tools(version)
            users = _prune_dead(data_dir / "pgdata.users")
            if version is None:
                _initdb(tools, pgdata)
            postmaster = _running_postmaster(pgdata) or _pg_start(tools, pgdata)
            if os.getpid() not in users:
                _write_pids(data_dir / "pgdata.users", [*users, os.getpid()])
        cluster = cls(data_dir, tools, postmaster, delete=delete_on_stop)
        atexit.register(cluster._release_at_exit)
        _log.info("embedded PostgreSQL %s (system) running for %s", tools.major, pgdata)
        return cluster

    def release(self, *, delete: bool) -> None:
        atexit.unregister(self._release_at_exit)
        lock = self._data_dir / "pgdata.lock"
        with _file_lock(lock):
            users_file = self._data_dir / "pgdata.users"
            users = _prune_dead(users_file)
            if os.getpid() not in users:
                return  # not registered (e.g. a forked child): never stop for others
            others = [pid for pid in users if pid != os.getpid()]
            _write_pids(users_file, others)
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


def _find_tools(wanted: str | None) -> _Tools:
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
        f"initdb/pg_ctl was found. {_HOW_TO_FIX}"
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
            tail = _log_tail(log) if log is not None else ""
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
                f"{_log_tail(pgdata / 'postgres.log')}"
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
    return _pid_alive(pid) and not _is_zombie(pid)


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
    if _pid_alive(postmaster.pid):
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
            f"PostgreSQL in {pgdata} exited right after starting{_log_tail(log)}"
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
