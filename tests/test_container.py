"""What can be checked of the container without a Docker engine: the
Dockerfile's build and install steps, run in a fresh virtualenv, give a server
that its ENTRYPOINT starts with its ENV and its HEALTHCHECK finds SERVING; and
compose.yaml's commands, ports and URLs agree with Alice's settings."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import signal
import sys
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from alice_server.config import Settings
from tests.support.ports import free_port

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


async def _sh(command: str, cwd: Path) -> str:
    process = await asyncio.create_subprocess_shell(
        command, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(process.communicate(), 900)
    assert process.returncode == 0, f"{command}\n{out.decode()}"
    return out.decode()


def test_dockerfile_is_multi_stage_non_root_with_a_grpc_healthcheck():
    instructions = _instructions()
    stages = [rest for keyword, rest, _ in instructions if keyword == "FROM"]
    assert len(stages) >= 2 and " AS build" in stages[0]
    users = [rest for keyword, rest, _ in instructions if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
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


@pytest.mark.slow
async def test_dockerfile_install_and_entrypoint_give_a_healthy_server(database, secret, tmp_path):
    instructions = _instructions()
    labelled = {label: rest for keyword, rest, label in instructions if keyword == "RUN" and label}
    assert set(labelled) == {"build", "install"}
    # The build stage's sources, as its COPY lines place them.
    src, wheels, prefix = tmp_path / "src", tmp_path / "wheels", tmp_path / "opt" / "alice"
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

    await _sh(localised(labelled["build"]), src)
    assert sorted(p.name.split("-")[0] for p in wheels.glob("*.whl")) == [
        "alice_server",
        "chad_client",
    ]
    await _sh(localised(labelled["install"]), tmp_path)
    assert not wheels.exists()  # the install step removes them
    installed = await _sh(f"{prefix}/bin/python -m pip list --format=json", tmp_path)
    names = {p["name"].lower().replace("_", "-") for p in json.loads(installed)}
    assert {"alice-server", "chad-client", "prometheus-client"} <= names
    assert "pgserver" not in names  # the embedded database is not in a production install

    env = {
        key: value.replace("$PATH", os.environ["PATH"]).replace("/opt/alice", str(prefix))
        for key, value in _env_of(instructions).items()
    }
    port, metrics_port = free_port(), free_port()
    # The image's addresses with free ports (the machine is shared).
    env["ALICE_LISTEN_ADDRESS"] = re.sub(r":\d+$", f":{port}", env["ALICE_LISTEN_ADDRESS"])
    env["ALICE_METRICS_ADDRESS"] = re.sub(
        r":\d+$", f":{metrics_port}", env["ALICE_METRICS_ADDRESS"]
    )
    env.update(DATABASE_URL=database.app_url, JWT_SECRET_KEY=secret, HOME=str(tmp_path))
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
        async with asyncio.timeout(120):
            while not any("Alice listening" in str(line["message"]) for line in lines):
                raw = await server.stderr.readline()
                assert raw, "the server exited:\n" + "\n".join(map(str, lines))
                lines.append(json.loads(raw))  # ALICE_LOG_FORMAT=json: every line is JSON
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


def test_compose_services_agree_with_the_settings():
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert {"postgres", "migrate", "alice", "redis", "prometheus"} <= set(services)
    image_env = _env_of(_instructions())

    alice = services["alice"]
    env = {**image_env, **{k: str(v) for k, v in alice["environment"].items()}}
    env["JWT_SECRET_KEY"] = "x" * 40  # compose takes it from the operator's environment
    settings = Settings.from_env(env)  # every value is a valid setting
    assert "command" not in alice and "entrypoint" not in alice  # the image's alice-server
    listen_port = settings.listen_address.rsplit(":", 1)[1]
    assert [p.rsplit(":", 1)[1] for p in alice["ports"]] == [listen_port]
    assert settings.log_format == "json"

    # The service connects as the role the init script creates, on the compose database.
    postgres_env = services["postgres"]["environment"]
    app_url = urlsplit(settings.database_url or "")
    assert app_url.hostname == "postgres" and app_url.path == "/" + postgres_env["POSTGRES_DB"]
    assert app_url.username == settings.app_role == postgres_env["ALICE_DB_APP_ROLE"]
    assert app_url.password == postgres_env["ALICE_APP_PASSWORD"]
    init_scripts = [v.split(":")[0] for v in services["postgres"]["volumes"] if "initdb" in v]
    assert init_scripts and all((ROOT / p).is_file() for p in init_scripts)

    # Migrations: a one-off service as the owner, before alice starts.
    migrate = services["migrate"]
    assert migrate["command"] == ["alice-admin", "migrate"]
    owner_url = urlsplit(migrate["environment"]["ALICE_ADMIN_DATABASE_URL"])
    assert owner_url.username == postgres_env["POSTGRES_USER"]
    assert owner_url.password == postgres_env["POSTGRES_PASSWORD"]
    assert migrate["environment"]["ALICE_DB_APP_ROLE"] == settings.app_role
    assert alice["depends_on"]["migrate"]["condition"] == "service_completed_successfully"

    # Prometheus scrapes Alice's metrics port and loads the alert rules.
    prometheus = services["prometheus"]
    mounts = dict(v.split(":")[:2] for v in prometheus["volumes"])
    config_file = next(a.split("=", 1)[1] for a in prometheus["command"] if "config.file" in a)
    config = yaml.safe_load(
        (ROOT / next(k for k, v in mounts.items() if v == config_file)).read_text()
    )
    [job] = config["scrape_configs"]
    assert job["job_name"] == "alice"
    [target] = job["static_configs"][0]["targets"]
    metrics_port = (settings.metrics_address or "").rsplit(":", 1)[1]
    assert target == f"alice:{metrics_port}"
    [rules] = config["rule_files"]
    assert mounts["./deploy/prometheus/alerts.yml"] == rules
