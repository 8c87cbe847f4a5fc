"""One real pgbouncer (Debian's 1.18) in transaction mode in front of a test database:
a plain process with a generated ini in a temporary directory, on a free port,
letting the given roles in by an auth_file (auth_type trust; PostgreSQL on
127.0.0.1 trusts them too).

    async with pgbouncer(app_url, [app_role]) as port:
        url = through(app_url, port)

conftest.py puts it in front of the whole session's database with
ALICE_TEST_PGBOUNCER=1; tests/test_pgbouncer.py starts its own.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.support.ports import free_port


def _binary() -> str:
    found = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(found).exists():
        pytest.fail("pgbouncer is not installed: apt-get install -y pgbouncer (.ci/run does)")
    return found


def through(url: str, port: int) -> str:
    """`url` with its host and port replaced by pgbouncer's."""
    parts = urlsplit(url)
    credentials = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{credentials}127.0.0.1:{port}"))


@asynccontextmanager
async def pgbouncer(upstream_url: str, roles: list[str], pool_size: int = 20) -> AsyncIterator[int]:
    """pgbouncer in front of `upstream_url`'s server (every database), for `roles`;
    yields its port."""
    upstream = urlsplit(upstream_url)
    if upstream.hostname is None:  # the embedded test cluster: a private Unix socket
        pytest.skip("pgbouncer needs PostgreSQL over TCP: set ALICE_TEST_DATABASE_URL")
    port = free_port()
    directory = Path(tempfile.mkdtemp(prefix="alice-pgbouncer-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        run_as = ["-u", "postgres"]
        account = pwd.getpwnam("postgres")
        os.chown(directory, account.pw_uid, account.pw_gid)
    users = directory / "users.txt"
    users.write_text("".join(f'"{role}" ""\n' for role in roles))
    ini = directory / "pgbouncer.ini"
    ini.write_text(
        f"""[databases]
* = host={upstream.hostname} port={upstream.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {users}
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 1000
server_reset_query =
logfile = {directory}/pgbouncer.log
pidfile = {directory}/pgbouncer.pid
"""
    )
    for path in (users, ini):
        path.chmod(0o644)
    process = await asyncio.create_subprocess_exec(
        _binary(),
        *run_as,
        str(ini),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                if process.returncode is not None:
                    assert process.stderr is not None
                    error = (await process.stderr.read()).decode()
                    pytest.fail(f"pgbouncer did not start: {error}")
                await asyncio.sleep(0.05)
        yield port
    finally:
        if process.returncode is None:
            process.terminate()
            await asyncio.wait_for(process.wait(), 10)
        shutil.rmtree(directory, ignore_errors=True)
