#!/bin/sh
# Run once by the postgres image on an empty data directory
# (/docker-entrypoint-initdb.d): the service role Alice connects as, with its
# password, and the platform role (<role>_platform: the platform RPCs that
# alice-console uses) with its own. `alice-admin migrate` (the `migrate`
# service) then grants them what they need; they never own anything, so
# row-level security binds them.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v role="${ALICE_DB_APP_ROLE:-alice_app}" -v password="$ALICE_APP_PASSWORD" \
    -v platform="${ALICE_DB_APP_ROLE:-alice_app}_platform" \
    -v platform_password="$ALICE_PLATFORM_PASSWORD" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE ROLE :"platform" LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD :'platform_password';
SQL
