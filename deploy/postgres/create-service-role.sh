#!/bin/sh
# Run once by the postgres image on an empty data directory
# (/docker-entrypoint-initdb.d): the service role Alice connects as, with its
# password. `alice-admin migrate` (the `migrate` service) then grants it what
# it needs; it never owns anything, so row-level security binds it.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v role="${ALICE_DB_APP_ROLE:-alice_app}" -v password="$ALICE_APP_PASSWORD" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
SQL
