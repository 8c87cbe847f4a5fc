"""CUSTOMER_ONBOARDING_GUIDE.md, run as written: a fresh database, the real
alice-admin and alice-server processes, grpcurl and the example client.

The guide's step 0 (its first sh block) holds an installation's values; this
test substitutes its own (a throw-away database and roles, a free port) for
that block and runs every other block verbatim, in order, in one shell.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import sys
import uuid
from pathlib import Path

import asyncpg

from alice_server.storage.urls import libpq_url, with_database, with_user
from tests.support import readme_blocks
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "CUSTOMER_ONBOARDING_GUIDE.md"


async def test_the_onboarding_guide_works_as_written(superuser_url, tmp_path):
    blocks = [b.text for b in readme_blocks.blocks(GUIDE) if b.language == "sh"]
    assert "export ALICE_ADMIN_DATABASE_URL" in blocks[0]
    name, role = f"alice_guide_{uuid.uuid4().hex[:8]}", f"alice_guide_app_{uuid.uuid4().hex[:8]}"
    app_password, platform_password = secrets.token_hex(8), secrets.token_hex(8)
    server = await asyncpg.connect(libpq_url(superuser_url))
    await server.execute(f'CREATE DATABASE "{name}"')
    owner = libpq_url(with_database(superuser_url, name))
    configuration = {
        "ALICE_ADMIN_DATABASE_URL": owner,
        "ALICE_DB_APP_ROLE": role,
        "APP_PASSWORD": app_password,
        "PLATFORM_PASSWORD": platform_password,
        "DATABASE_URL": libpq_url(with_user(owner, role, app_password)),
        "ALICE_PLATFORM_DATABASE_URL": libpq_url(
            with_user(owner, f"{role}_platform", platform_password)
        ),
        "JWT_SECRET_KEY": secrets.token_urlsafe(40),
        "ALICE_LISTEN_ADDRESS": f"127.0.0.1:{free_port()}",
        "ALICE_SOURCE": str(ROOT),
        "ALICE_SUMMARIZER_PROCESSES": "0",
    }
    script = "\n".join(
        [
            "set -euo pipefail",
            # The server never outlives a failed step.
            "trap 'kill ${ALICE_PID:-} 2>/dev/null || true' EXIT",
            *blocks[1:],
        ]
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALICE_")}
    env.pop("DATABASE_URL", None)
    env.update(configuration)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    try:
        process = await asyncio.create_subprocess_exec(
            "bash",
            "-c",
            script,
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 240)
        text = out.decode()
        assert process.returncode == 0, f"{text}\n{err.decode()}\n" + (
            (tmp_path / "alice-server.log").read_text()
            if (tmp_path / "alice-server.log").exists()
            else ""
        )
        customer_id = int(re.search(r"Smith Insurance Agency is customer (\d+)", text).group(1))
        assert f'"id": "{customer_id}"' in text  # the lookup by the dialled number
        assert "you've reached Smith Insurance Agency. This is Sarah, how can I help?" in text
        assert "- the caller reports a claim: transfer to the claims desk" in text
        assert '"total_calls": 1' in text  # the second call start remembers the first call
    finally:
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await server.execute(f'DROP ROLE IF EXISTS "{role}"')
        await server.execute(f'DROP ROLE IF EXISTS "{role}_platform"')
        await server.close()
