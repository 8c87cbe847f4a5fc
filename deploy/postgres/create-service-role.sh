#!/bin/sh
# Run once by the postgres image on an empty data directory
# (/docker-entrypoint-initdb.d): the roles Alice connects as, with their
# passwords: the service role (ALICE_DB_APP_ROLE) and the platform role
# (<ALICE_DB_APP_ROLE>_platform: the platform RPCs, which the call router and
# alice-console use). `alice-admin migrate`
# (the `migrate` service) then grants them what they need; they never own
# anything, so row-level security binds them.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v role="${ALICE_DB_APP_ROLE:-alice_app}" -v platform="${ALICE_DB_APP_ROLE:-alice_app}_platform" \
    -v password="$ALICE_APP_PASSWORD" -v platform_password="$ALICE_PLATFORM_PASSWORD" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE ROLE :"platform" LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD :'platform_password';
SQL
