#!/usr/bin/env bash
# CI: the production install, as the README describes it. Builds both wheels,
# installs them (not editable) into a fresh virtualenv, and from that install
# alone, away from the checkout: `alice-admin migrate` on a fresh database,
# create-customer, mint-token, alice-server, one RPC through grpcurl, a clean
# stop on SIGTERM; and alice-console (the console extra): its templates and
# static files are in the wheel and `alice-console --help` runs installed. Needs a superuser URL (ALICE_TEST_DATABASE_URL, default the
# machine's PostgreSQL) and grpcurl on PATH (.venv has it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
checkout=$PWD
superuser=${ALICE_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
python=${PYTHON:-python3}
work=$(mktemp -d)
suffix=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
database=alice_wheel_$suffix
role=alice_wheel_app_$suffix
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid"; fi
  psql -q "$superuser" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
  psql -q "$superuser" -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "-- building the wheels"
"$python" -m pip wheel --quiet --no-deps --wheel-dir "$work/wheels" ./chad_client .
ls "$work/wheels"
"$python" - "$work/wheels" <<'PY'
# One owner per file: alice-server's wheel holds no chad_client file, and every
# alice_server package of the checkout is in it.
import pathlib, sys, zipfile
wheels = pathlib.Path(sys.argv[1])
server = zipfile.ZipFile(next(wheels.glob("alice_server-*.whl"))).namelist()
client = [n.replace("/./", "/") for n in zipfile.ZipFile(next(wheels.glob("chad_client-*.whl"))).namelist()]
assert not [n for n in server if n.startswith("chad_client/")], "alice-server ships chad_client"
assert "chad_client/v1/memory_service_pb2.py" in client
packages = {str(p.parent) for p in pathlib.Path("alice_server").rglob("*.py")}
missing = [p for p in packages if not any(n.startswith(p + "/") for n in server)]
assert not missing, f"packages missing from the wheel: {missing}"
assert any(n.startswith("alice_server/_migrations/versions/0001") for n in server)
# Files the server reads at run time: every non-Python file under alice_server/
# (the LLM summariser's versioned prompt, ...).
data = sorted(
    str(p) for p in pathlib.Path("alice_server").rglob("*")
    if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
)
assert "alice_server/llm/prompts/call_analysis.v1.txt" in data
absent = [p for p in data if p not in server]
# data/demo/ (alice-admin load-demo) ships as alice_server._demo.
absent += [
    p for p in ("alice_server/_demo/tenants.json",) if p not in server
]
assert not absent, f"run-time files missing from the wheel: {absent}"
# alice-console's pages and assets, read at run time.
console = sorted(
    str(p) for p in pathlib.Path("alice_console").rglob("*")
    if p.is_file() and p.suffix != ".pyc" and "__pycache__" not in p.parts
)
assert "alice_console/templates/base.html" in console and "alice_console/static/console.css" in console
missing_console = [p for p in console if p not in server]
assert not missing_console, f"alice_console files missing from the wheel: {missing_console}"
print(f"wheel contents ok: {len(packages)} alice_server packages, migrations, {len(data)} data files "
      f"and {len(console)} alice_console files included")
PY

echo "-- installing them into a fresh virtualenv (with the console extra)"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet "$work"/wheels/chad_client-*.whl \
  "$(ls "$work"/wheels/alice_server-*.whl)[console]"
cd "$work"  # nothing may come from the checkout from here on
if "$work/venv/bin/python" -c 'import pgserver' 2>/dev/null; then
  echo "pgserver was installed by a production install" >&2; exit 1
fi
"$work/venv/bin/python" -c 'import alice_server, chad_client, sys; [print(m.__file__) for m in (alice_server, chad_client)]; sys.exit(any(not m.__file__.startswith(sys.prefix) for m in (alice_server, chad_client)))'
"$work/venv/bin/alice-server" --version
"$work/venv/bin/alice-admin" --version
# alice-console runs from the installed package: its help, and its templates and
# static files are the installed copies.
"$work/venv/bin/alice-console" --help | grep -q "ALICE_CONSOLE_SESSION_SECRET"
"$work/venv/bin/alice-console" --version
"$work/venv/bin/python" - <<'PY'
import sys
from alice_console import app
assert app.HERE.is_relative_to(sys.prefix), app.HERE
for name in ("templates/base.html", "templates/caller.html", "static/console.css"):
    assert (app.HERE / name).is_file(), name
print(f"alice-console templates and static files in the installed package: {app.HERE}")
PY
# ALICE_SUMMARIZER=openai reads its prompt from the installed package.
ALICE_SUMMARIZER=openai ALICE_LLM_BASE_URL=http://127.0.0.1:9/v1 ALICE_LLM_MODEL=m \
  "$work/venv/bin/python" - <<'PY'
import sys
from alice_server.config import Settings
from alice_server.domain.summarizer import HeuristicSummarizer
from alice_server.llm.summarizer import PROMPT_FILE, llm_summarizer
settings = Settings.from_env()
assert settings.summarizer == "openai"
assert PROMPT_FILE.is_relative_to(sys.prefix), PROMPT_FILE  # the installed copy
summarizer = llm_summarizer(settings, HeuristicSummarizer())
assert summarizer._prompt == PROMPT_FILE.read_text() and len(summarizer._prompt) > 200
print(f"LLM prompt loaded from the installed package: {PROMPT_FILE}")
from alice_server.admin import demo
assert demo.DEFAULT_FILE.is_relative_to(sys.prefix) and demo.DEFAULT_FILE.is_file(), demo.DEFAULT_FILE
print(f"demo data in the installed package: {demo.DEFAULT_FILE}")
PY

echo "-- migrate, create-customer, mint-token"
psql -q "$superuser" -c "CREATE DATABASE $database"
owner_url=$("$python" -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(p._replace(path="/" + sys.argv[2]).geturl())' "$superuser" "$database")
export ALICE_ADMIN_DATABASE_URL=$owner_url ALICE_DB_APP_ROLE=$role
"$work/venv/bin/alice-admin" migrate
psql -q "$owner_url" -c "ALTER ROLE $role PASSWORD 'wheel-check-password'"
customer=$("$work/venv/bin/alice-admin" create-customer --name "Peterson Insurance" --agent-name Sam)
echo "$customer"
customer_id=$("$python" -c 'import json, sys; print(json.loads(sys.argv[1])["id"])' "$customer")
DATABASE_URL=$("$python" -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(p._replace(netloc=sys.argv[2] + ":wheel-check-password@" + p.netloc.split("@")[-1]).geturl())' "$owner_url" "$role")
export DATABASE_URL
export JWT_SECRET_KEY
JWT_SECRET_KEY=$("$python" -c 'import secrets; print(secrets.token_urlsafe(48))')
token=$("$work/venv/bin/alice-admin" mint-token --customer-id "$customer_id")

echo "-- alice-server, one RPC through grpcurl, clean stop"
# With ALICE_SUMMARIZER=openai (an endpoint that does not answer: ProcessCall would
# fall back to the built-in summariser), so the server's start loads the prompt too.
ALICE_SUMMARIZER=openai ALICE_LLM_BASE_URL=http://127.0.0.1:9/v1 ALICE_LLM_MODEL=m \
  "$work/venv/bin/alice-server" --listen 127.0.0.1:0 2>"$work/server.log" &
server_pid=$!
port=
for _ in $(seq 1 60); do
  port=$(sed -n 's/.*Alice listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/server.log")
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.5
done
[ -n "$port" ] || { cat "$work/server.log" >&2; exit 1; }
reply=$(grpcurl -plaintext -H "authorization: Bearer $token" \
  -d '{"user_id": "(555) 123-4567", "type": "preference", "key": "contact_time", "value": {"value": "mornings"}}' \
  "127.0.0.1:$port" alice.memory.v1.MemoryService/StoreMemory)
echo "$reply"
echo "$reply" | grep -q '"created": true'
"$work/venv/bin/alice-server" --health-check --listen "127.0.0.1:$port"
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=
if [ "$status" != 0 ]; then cat "$work/server.log" >&2; echo "alice-server exited with $status" >&2; exit 1; fi
grep -q "stopping" "$work/server.log"
echo "wheel install check passed"
