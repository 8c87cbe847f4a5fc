"""What can be checked of the container without a Docker engine: the
Dockerfile's build and install steps, run in a fresh virtualenv, give a server
that its ENTRYPOINT starts with its ENV and its HEALTHCHECK finds SERVING; and
compose.yaml's services, run from that install the way compose would run them
(the postgres image's init script, `migrate`, `alice` with Redis, the README's
`docker compose run --rm admin ...` commands), serve the call router's platform
path and a tenant; their ports, URLs and role names agree with Alice's settings."""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import grpc
import pytest
import yaml
from redis import asyncio as aioredis

from alice_server.config import Settings
from alice_server.ratelimit import KEY_PREFIX
from alice_server.storage.urls import libpq_url
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import memory_service_pb2_grpc, tenant_service_pb2_grpc
from chad_client.v1 import tenant_service_pb2 as ten
from tests.helpers import struct
from tests.support import readme_blocks
from tests.support.ports import free_port
from tests.support.redis import RedisProcess

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"


def _instructions() -> list[tuple[str, str, str]]:
    """(instruction, arguments, the `# test:` label before it) with continuations joined."""
    result: list[tuple[str, str, str]] = []
    label, pending = "", ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not pending and line.startswith("# test:"):
            label = line.removeprefix("# test:").strip()
            continue
        if not pending and (not line or line.startswith("#")):
            continue
        pending += line.removesuffix("\\").strip() + " "
        if line.endswith("\\"):
            continue
        keyword, _, rest = pending.strip().partition(" ")
        result.append((keyword.upper(), rest.strip(), label))
        label, pending = "", ""
    return result


def _env_of(instructions: list[tuple[str, str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, rest, _ in instructions:
        if keyword == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                env[key] = value
    return env


def _exec_form(instructions: list[tuple[str, str, str]], keyword: str) -> list[str]:
    [rest] = [r for k, r, _ in instructions if k == keyword]
    if keyword == "HEALTHCHECK":
        rest = rest[rest.index("CMD") + 3 :].strip()
    return list(json.loads(rest))


def _sh(command: str, cwd: Path) -> str:
    done = subprocess.run(  # noqa: S602 - the Dockerfile's own RUN lines
        command, shell=True, cwd=cwd, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
    return done.stdout


def test_dockerfile_is_multi_stage_non_root_with_a_grpc_healthcheck():
    instructions = _instructions()
    stages = [rest for keyword, rest, _ in instructions if keyword == "FROM"]
    assert len(stages) >= 2 and " AS build" in stages[0]
    users = [rest for keyword, rest, _ in instructions if keyword == "USER"]
    # Numeric (Kubernetes' runAsNonRoot cannot check a name), and not root.
    assert users and re.fullmatch(r"[1-9]\d*(:[1-9]\d*)?", users[-1]), users
    assert _exec_form(instructions, "HEALTHCHECK") == ["alice-server", "--health-check"]
    assert _exec_form(instructions, "ENTRYPOINT") == ["alice-server"]
    # Migrations are their own command: nothing in the image runs them on start.
    assert "migrate" not in " ".join(_exec_form(instructions, "ENTRYPOINT"))
    env = _env_of(instructions)
    settings = Settings.from_env({**env, "DATABASE_URL": "postgresql://a:b@db/alice"})
    assert settings.log_format == "json"
    assert settings.metrics_address is not None
    exposed = {int(p) for k, r, _ in instructions if k == "EXPOSE" for p in r.split()}
    assert exposed == {
        int(settings.listen_address.rsplit(":", 1)[1]),
        int(settings.metrics_address.rsplit(":", 1)[1]),
    }


@dataclass(frozen=True)
class Image:
    """The Dockerfile's install, made by its build and install steps outside Docker."""

    prefix: Path  # /opt/alice
    env: dict[str, str]  # the image's ENV, localised (PATH, /opt/alice)
    packages: frozenset[str]


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    instructions = _instructions()
    labelled = {label: rest for keyword, rest, label in instructions if keyword == "RUN" and label}
    assert set(labelled) == {"build", "install"}
    root = tmp_path_factory.mktemp("image")
    # The build stage's sources, as its COPY lines place them.
    src, wheels, prefix = root / "src", root / "wheels", root / "opt" / "alice"
    src.mkdir()
    starts = [i for i, (keyword, _, _) in enumerate(instructions) if keyword == "FROM"]
    first_stage = instructions[starts[0] : starts[1]]
    for keyword, rest, _ in first_stage:
        if keyword == "COPY":
            *sources, _destination = rest.split()
            for source in sources:
                path = ROOT / source
                if path.is_dir():
                    shutil.copytree(
                        path, src / source, ignore=shutil.ignore_patterns("__pycache__")
                    )
                else:
                    shutil.copy(path, src / source)
    python = shlex.quote(sys.executable)

    def localised(command: str) -> str:
        command = command.replace("/wheels", str(wheels)).replace("/opt/alice", str(prefix))
        return re.sub(r"^python ", f"{python} ", command)

    _sh(localised(labelled["build"]), src)
    assert sorted(p.name.split("-")[0] for p in wheels.glob("*.whl")) == [
        "alice_server",
        "chad_client",
    ]
    _sh(localised(labelled["install"]), root)
    assert not wheels.exists()  # the install step removes them
    installed = _sh(f"{prefix}/bin/python -m pip list --format=json", root)
    env = {
        key: value.replace("$PATH", os.environ["PATH"]).replace("/opt/alice", str(prefix))
        for key, value in _env_of(instructions).items()
    }
    env["HOME"] = str(root)
    return Image(
        prefix,
        env,
        frozenset(p["name"].lower().replace("_", "-") for p in json.loads(installed)),
    )


async def _wait_for_json_line(
    server: asyncio.subprocess.Process, lines: list[dict[str, Any]], text: str
) -> None:
    assert server.stderr is not None
    async with asyncio.timeout(120):
        while not any(text in str(line["message"]) for line in lines):
            raw = await server.stderr.readline()
            assert raw, "the server exited:\n" + "\n".join(map(str, lines))
            lines.append(json.loads(raw))  # ALICE_LOG_FORMAT=json: every line is JSON


@pytest.mark.slow
async def test_dockerfile_install_and_entrypoint_give_a_healthy_server(
    image, database, secret, tmp_path
):
    assert {"alice-server", "chad-client", "prometheus-client"} <= image.packages
    assert "pgserver" not in image.packages  # the embedded database is not in a production install
    instructions = _instructions()
    env = dict(image.env)
    port, metrics_port = free_port(), free_port()
    # The image's addresses with free ports (the machine is shared).
    env["ALICE_LISTEN_ADDRESS"] = re.sub(r":\d+$", f":{port}", env["ALICE_LISTEN_ADDRESS"])
    env["ALICE_METRICS_ADDRESS"] = re.sub(
        r":\d+$", f":{metrics_port}", env["ALICE_METRICS_ADDRESS"]
    )
    env.update(DATABASE_URL=database.app_url, JWT_SECRET_KEY=secret)
    entrypoint = _exec_form(instructions, "ENTRYPOINT")
    server = await asyncio.create_subprocess_exec(
        *entrypoint,
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert server.stderr is not None
    lines: list[dict[str, Any]] = []
    try:
        await _wait_for_json_line(server, lines, "Alice listening")
        health = await asyncio.create_subprocess_exec(
            *_exec_form(instructions, "HEALTHCHECK"),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await health.communicate()
        assert health.returncode == 0 and out.decode().strip() == "SERVING", out
        exposition = await asyncio.to_thread(
            lambda: (
                urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5)
                .read()
                .decode()
            )
        )
        assert "alice_health_serving 1.0" in exposition
    finally:
        server.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(server.stderr.read(), 60)
        code = await server.wait()
    assert code == 0, rest.decode()
    for raw in rest.decode().splitlines():
        json.loads(raw)
    # After stopping, the HEALTHCHECK fails.
    health = await asyncio.create_subprocess_exec(
        *_exec_form(instructions, "HEALTHCHECK"),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert await health.wait() == 1


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text()))


def test_compose_services_agree_with_the_settings():
    compose = _compose()
    services = compose["services"]
    assert {"postgres", "migrate", "alice", "admin", "redis", "prometheus"} <= set(services)
    image_env = _env_of(_instructions())

    # One image, built once: by `alice`; `migrate` and `admin` run the same one.
    built = [name for name, service in services.items() if "build" in service]
    assert built == ["alice"]
    image = services["alice"]["image"]
    assert services["migrate"]["image"] == services["admin"]["image"] == image

    alice = services["alice"]
    env = {**image_env, **{k: str(v) for k, v in alice["environment"].items()}}
    env["JWT_SECRET_KEY"] = "x" * 40  # compose takes it from the operator's environment
    settings = Settings.from_env(env)  # every value is a valid setting
    assert "command" not in alice and "entrypoint" not in alice  # the image's alice-server
    listen_port = settings.listen_address.rsplit(":", 1)[1]
    assert [p.rsplit(":", 1)[1] for p in alice["ports"]] == [listen_port]
    assert settings.log_format == "json"
    assert settings.admin_database_url is None  # the server gets no owner URL

    # The service and platform roles the init script creates, on the compose database.
    postgres_env = services["postgres"]["environment"]
    app_url = urlsplit(settings.database_url or "")
    assert app_url.hostname == "postgres" and app_url.path == "/" + postgres_env["POSTGRES_DB"]
    assert app_url.username == settings.app_role == postgres_env["ALICE_DB_APP_ROLE"]
    assert app_url.password == postgres_env["ALICE_APP_PASSWORD"]
    platform_url = urlsplit(settings.platform_database_url or "")
    assert platform_url.hostname == "postgres" and platform_url.path == app_url.path
    assert platform_url.username == f"{settings.app_role}_platform"
    assert platform_url.password == postgres_env["ALICE_PLATFORM_PASSWORD"]
    init_scripts = [v.split(":")[0] for v in services["postgres"]["volumes"] if "initdb" in v]
    assert init_scripts and all((ROOT / p).is_file() for p in init_scripts)

    # Rate limits shared through the compose Redis.
    assert settings.rate_limit_backend == "redis"
    assert urlsplit(settings.redis_url).hostname == "redis" and "redis" in services
    assert "redis" in alice["depends_on"]

    # Migrations: a one-off service as the owner, before alice starts.
    migrate = services["migrate"]
    assert migrate["command"] == ["alice-admin", "migrate"] and migrate["entrypoint"] == []
    owner_url = urlsplit(migrate["environment"]["ALICE_ADMIN_DATABASE_URL"])
    assert owner_url.username == postgres_env["POSTGRES_USER"]
    assert owner_url.password == postgres_env["POSTGRES_PASSWORD"]
    assert migrate["environment"]["ALICE_DB_APP_ROLE"] == settings.app_role
    assert alice["depends_on"]["migrate"]["condition"] == "service_completed_successfully"

    # alice-admin, as the owner, signing with the server's secret.
    admin = services["admin"]
    assert admin["entrypoint"] == ["alice-admin"]
    assert (
        admin["environment"]["ALICE_ADMIN_DATABASE_URL"]
        == (migrate["environment"]["ALICE_ADMIN_DATABASE_URL"])
    )
    assert admin["environment"]["JWT_SECRET_KEY"] == alice["environment"]["JWT_SECRET_KEY"]

    # Prometheus scrapes Alice's metrics port and loads the alert rules.
    prometheus = services["prometheus"]
    mounts = dict(v.split(":")[:2] for v in prometheus["volumes"])
    config_file = next(a.split("=", 1)[1] for a in prometheus["command"] if "config.file" in a)
    config_path = ROOT / next(k for k, v in mounts.items() if v == config_file)
    config = yaml.safe_load(config_path.read_text())
    [job] = config["scrape_configs"]
    assert job["job_name"] == "alice"
    [target] = job["static_configs"][0]["targets"]
    metrics_port = (settings.metrics_address or "").rsplit(":", 1)[1]
    assert target == f"alice:{metrics_port}"
    [rules] = config["rule_files"]
    assert mounts["./deploy/prometheus/alerts.yml"] == rules
    # Its comment names the address the image really sets.
    assert f"ALICE_METRICS_ADDRESS={image_env['ALICE_METRICS_ADDRESS']}" in config_path.read_text()


class _Localised:
    """compose.yaml's names, as this machine runs them: the `postgres` and `redis`
    hosts become the test's PostgreSQL and a redis-server of its own, and the
    cluster-wide role names and the database get a suffix of their own."""

    def __init__(self, superuser_url: str, redis_url: str) -> None:
        suffix = uuid.uuid4().hex[:8]
        server = urlsplit(superuser_url)
        self.pg_host, self.pg_port = server.hostname or "127.0.0.1", server.port or 5432
        self.redis = urlsplit(redis_url).netloc
        postgres = _compose()["services"]["postgres"]["environment"]
        self.owner = f"{postgres['POSTGRES_USER']}_{suffix}"
        self.app_role = f"{postgres['ALICE_DB_APP_ROLE']}_{suffix}"
        self.database = f"{postgres['POSTGRES_DB']}_{suffix}"
        self._names = {
            postgres["POSTGRES_USER"]: self.owner,
            postgres["ALICE_DB_APP_ROLE"]: self.app_role,
            f"{postgres['ALICE_DB_APP_ROLE']}_platform": f"{self.app_role}_platform",
            postgres["POSTGRES_DB"]: self.database,
        }

    def value(self, value: str) -> str:
        if value.startswith("postgresql://"):
            url = urlsplit(value)
            user = self._names.get(url.username or "", url.username)
            netloc = f"{user}:{url.password}@{self.pg_host}:{self.pg_port}"
            return urlunsplit(url._replace(netloc=netloc, path="/" + self._names[url.path[1:]]))
        if value.startswith("redis://"):
            return urlunsplit(urlsplit(value)._replace(netloc=self.redis))
        return self._names.get(value, value)

    def env(self, service: dict[str, Any], **more: str) -> dict[str, str]:
        return {k: self.value(str(v)) for k, v in service.get("environment", {}).items()} | more


def _readme_admin_commands() -> list[list[str]]:
    """The README's `docker compose run --rm admin ...` commands, as argument lists."""
    [block] = [
        b
        for b in readme_blocks.section_blocks(ROOT / "README.md", "Container")
        if "docker compose" in b.text
    ]
    prefix = ["docker", "compose", "run", "--rm", "admin"]
    commands = [shlex.split(line) for line in block.text.splitlines()]
    return [c[len(prefix) :] for c in commands if c[: len(prefix)] == prefix]


@pytest.mark.slow
async def test_compose_services_serve_the_platform_path_and_a_tenant(
    image, superuser_url, tmp_path
):
    if urlsplit(superuser_url).hostname is None:
        pytest.skip("compose's services reach PostgreSQL over TCP; this one has a socket only")
    services = _compose()["services"]
    redis = RedisProcess()
    redis.start()
    names = _Localised(superuser_url, redis.url)
    secret = secrets.token_urlsafe(48)  # the operator's JWT_SECRET_KEY
    postgres_env = services["postgres"]["environment"]
    server = await asyncpg.connect(libpq_url(superuser_url))
    alice: asyncio.subprocess.Process | None = None
    try:
        # The postgres image: POSTGRES_USER (a superuser) owns POSTGRES_DB; then the init script.
        password = postgres_env["POSTGRES_PASSWORD"]
        await server.execute(f"CREATE ROLE {names.owner} SUPERUSER LOGIN PASSWORD '{password}'")
        await server.execute(f'CREATE DATABASE "{names.database}" OWNER {names.owner}')
        [script] = [v.split(":")[0] for v in services["postgres"]["volumes"] if "initdb" in v]
        init_env = names.env(services["postgres"]) | {
            "PATH": os.environ["PATH"],
            "PGHOST": names.pg_host,
            "PGPORT": str(names.pg_port),
            "PGPASSWORD": password,
        }
        await _run(["sh", str(ROOT / script)], init_env)

        def service_env(name: str) -> dict[str, str]:
            return image.env | names.env(services[name]) | {"JWT_SECRET_KEY": secret}

        # migrate: its command, with its environment, from the image.
        await _run(services["migrate"]["command"], service_env("migrate"))

        # alice: the image's entrypoint with its environment (free ports).
        env = service_env("alice")
        port, metrics_port = free_port(), free_port()
        env["ALICE_LISTEN_ADDRESS"] = re.sub(r":\d+$", f":{port}", env["ALICE_LISTEN_ADDRESS"])
        env["ALICE_METRICS_ADDRESS"] = re.sub(
            r":\d+$", f":{metrics_port}", env["ALICE_METRICS_ADDRESS"]
        )
        alice = await asyncio.create_subprocess_exec(
            *_exec_form(_instructions(), "ENTRYPOINT"),
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        lines: list[dict[str, Any]] = []
        await _wait_for_json_line(alice, lines, "Alice listening")

        # admin: the README's `docker compose run --rm admin ...` commands, then the
        # two tokens the calls below need.
        entrypoint = services["admin"]["entrypoint"]
        readme_commands = _readme_admin_commands()
        assert [c[0] for c in readme_commands] == ["create-customer", "mint-platform-token"]
        created = json.loads(await _run(entrypoint + readme_commands[0], service_env("admin")))
        router_token = (await _run(entrypoint + readme_commands[1], service_env("admin"))).strip()
        operator_token = (
            await _run([*entrypoint, "mint-platform-token"], service_env("admin"))
        ).strip()
        tenant_token = (
            await _run(
                [*entrypoint, "mint-token", "--customer-id", str(created["id"])],
                service_env("admin"),
            )
        ).strip()

        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            tenants = tenant_service_pb2_grpc.TenantServiceStub(channel)
            found = await tenants.LookupCustomerByNumber(
                ten.LookupCustomerByNumberRequest(phone_number=created["twilio_phone_number"]),
                metadata=(("authorization", f"Bearer {router_token}"),),
            )
            assert found.customer.id == created["id"]
            made = await tenants.CreateCustomer(
                ten.CreateCustomerRequest(business_name="Harbor Mutual", agent_name="Ava"),
                metadata=(("authorization", f"Bearer {operator_token}"),),
            )
            assert made.customer.business_name == "Harbor Mutual"
            memories = memory_service_pb2_grpc.MemoryServiceStub(channel)
            stored = await memories.StoreMemory(
                mem.StoreMemoryRequest(
                    user_id="(555) 123-4567",
                    type="preference",
                    key="contact_time",
                    value=struct(value="mornings"),
                ),
                metadata=(("authorization", f"Bearer {tenant_token}"),),
            )
            assert stored.created and stored.customer_id == created["id"]
        # The tenant's call took its rate-limit token from the compose Redis.
        client = aioredis.Redis.from_url(redis.url)
        try:
            assert await client.exists(f"{KEY_PREFIX}{created['id']}")
        finally:
            await client.aclose()
    finally:
        if alice is not None and alice.returncode is None:
            alice.send_signal(signal.SIGTERM)
            await asyncio.wait_for(alice.wait(), 60)
        redis.stop()
        await server.execute(f'DROP DATABASE IF EXISTS "{names.database}" WITH (FORCE)')
        for role in (f"{names.app_role}_platform", names.app_role, names.owner):
            await server.execute(f"DROP ROLE IF EXISTS {role}")
        await server.close()
    assert alice.returncode == 0
    assert not [line for line in lines if line["level"] in ("WARNING", "ERROR")], lines


async def _run(command: list[str], env: dict[str, str]) -> str:
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, f"{command}: {err.decode()}"
    return out.decode()
