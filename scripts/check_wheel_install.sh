#!/usr/bin/env bash
# CI: the production install, as the README describes it. Builds both wheels,
# checks what they hold, then runs README.md's production blocks as written
# ("Running in production": production-install, production-server,
# production-calls) with this script's own values for production-values (a
# fresh database and its roles, a free port), `pip install ./chad_client .`
# taken from the built wheels, in a fresh virtualenv and away from the
# checkout: migrate, the roles' passwords, alice-server, create-customer, and
# LookupCustomerByNumber, CreateCustomer and a tenant RPC through grpcurl; then
# a health check and a clean stop on SIGTERM; and alice-console (the console
# extra): its templates and static files are in the wheel and run installed. Needs a superuser URL
# (ALICE_TEST_DATABASE_URL, default the machine's PostgreSQL), psql, and
# grpcurl on PATH (.venv has it).
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
  psql -q "$superuser" -c "DROP ROLE IF EXISTS ${role}_platform" >/dev/null 2>&1 || true
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
assert any(p.startswith("alice_server/llm/prompts/call_analysis.v") for p in data), data
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

readme_block() { "$python" "$checkout/tests/support/readme_blocks.py" "$checkout/README.md" "$1"; }

echo "-- README production-values, with this check's own"
psql -q "$superuser" -c "CREATE DATABASE $database"
owner_url=$("$python" -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(p._replace(path="/" + sys.argv[2]).geturl())' "$superuser" "$database")
with_user() {  # URL USER PASSWORD
  "$python" -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(p._replace(netloc=sys.argv[2] + ":" + sys.argv[3] + "@" + p.netloc.split("@")[-1]).geturl())' "$@"
}
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export ALICE_ADMIN_DATABASE_URL=$owner_url
export ALICE_DB_APP_ROLE=$role
export APP_PASSWORD=wheel-check-app-$suffix
export PLATFORM_PASSWORD=wheel-check-platform-$suffix
DATABASE_URL=$(with_user "$owner_url" "$role" "$APP_PASSWORD")
ALICE_PLATFORM_DATABASE_URL=$(with_user "$owner_url" "${role}_platform" "$PLATFORM_PASSWORD")
JWT_SECRET_KEY=$("$python" -c 'import secrets; print(secrets.token_urlsafe(48))')
export DATABASE_URL ALICE_PLATFORM_DATABASE_URL JWT_SECRET_KEY
export ALICE_LISTEN_ADDRESS=127.0.0.1:$port
# The README's block sets exactly these.
documented=$(readme_block production-values | sed -n 's/^export \([A-Z_]*\)=.*/\1/p' | sort | tr '\n' ' ')
ours="ALICE_ADMIN_DATABASE_URL ALICE_DB_APP_ROLE ALICE_LISTEN_ADDRESS ALICE_PLATFORM_DATABASE_URL APP_PASSWORD DATABASE_URL JWT_SECRET_KEY PLATFORM_PASSWORD "
[ "$documented" = "$ours" ] || { echo "README production-values sets: $documented; this check sets: $ours" >&2; exit 1; }

echo "-- README production-install (pip from the built wheels, in a fresh virtualenv)"
"$python" -m venv "$work/venv"
export PATH="$work/venv/bin:$PATH:$checkout/.venv/bin"
cd "$work"  # nothing may come from the checkout from here on
install=$(readme_block production-install)
grep -qx 'pip install ./chad_client .' <<<"$install"
bash -euo pipefail -c "${install/pip install .\/chad_client ./pip install --quiet $work/wheels/*.whl}"
if "$work/venv/bin/python" -c 'import pgserver' 2>/dev/null; then
  echo "pgserver was installed by a production install" >&2; exit 1
fi
"$work/venv/bin/python" -c 'import alice_server, chad_client, sys; [print(m.__file__) for m in (alice_server, chad_client)]; sys.exit(any(not m.__file__.startswith(sys.prefix) for m in (alice_server, chad_client)))'
[ "$(command -v alice-server)" = "$work/venv/bin/alice-server" ]
alice-server --version
alice-admin --version
# alice-console (the console extra) runs from the installed package: its help,
# and its templates and static files are the installed copies.
pip install --quiet "$(ls "$work"/wheels/alice_server-*.whl)[console]"
alice-console --help | grep -q "ALICE_CONSOLE_SESSION_SECRET"
alice-console --version
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

echo "-- README production-server, in the background"
# With ALICE_SUMMARIZER=openai (an endpoint that does not answer: ProcessCall would
# fall back to the built-in summariser), so the server's start loads the prompt too.
ALICE_SUMMARIZER=openai ALICE_LLM_BASE_URL=http://127.0.0.1:9/v1 ALICE_LLM_MODEL=m \
  bash -c "exec $(readme_block production-server)" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 120); do
  grep -q "Alice listening on 127.0.0.1:$port" "$work/server.log" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.5
done
grep -q "Alice listening on 127.0.0.1:$port" "$work/server.log" || { cat "$work/server.log" >&2; exit 1; }

echo "-- README production-calls: create-customer; LookupCustomerByNumber, CreateCustomer, StoreMemory"
calls=$(bash -euo pipefail -c "$(readme_block production-calls)") || { echo "$calls"; cat "$work/server.log" >&2; exit 1; }
echo "$calls"
"$python" - "$calls" <<'PY'
import json, sys
text, decoder, docs, i = sys.argv[1], json.JSONDecoder(), [], 0
while i < len(text):
    if text[i].isspace():
        i += 1
        continue
    doc, i = decoder.raw_decode(text, i)
    docs.append(doc)
created, looked_up, new_customer, stored = docs
assert created["id"] == 1 and created["twilio_phone_number"] == "+15550100001", created
assert looked_up["customer"]["id"] == "1", looked_up  # the call router's platform path
assert new_customer["customer"]["business_name"] == "Smith Insurance Agency", new_customer
assert stored["created"] is True and stored["customer_id"] == "1", stored
print("production path ok: LookupCustomerByNumber, CreateCustomer and a tenant RPC")
PY
alice-server --health-check
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=
if [ "$status" != 0 ]; then cat "$work/server.log" >&2; echo "alice-server exited with $status" >&2; exit 1; fi
grep -q "stopping" "$work/server.log"
echo "wheel install check passed"
