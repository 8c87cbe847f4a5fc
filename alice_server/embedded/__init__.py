"""An embedded PostgreSQL for running Alice without DATABASE_URL.

When the operator sets no DATABASE_URL, Alice keeps its own PostgreSQL cluster in a data
directory (ALICE_DATA_DIR, by default `$XDG_DATA_HOME/alice` or `~/.local/share/alice`;
see `alice_server.data_dir`):

    <data_dir>/pgdata          the cluster (its server log is pgdata/postgres.log for the
                               "system" backend, pgdata/log for "pgserver")
    <data_dir>/pgdata.lock     serialises start and stop between processes ("system" backend)
    <data_dir>/pgdata.users    pids of the processes using the cluster ("system" backend)
    <data_dir>/jwt_secret      the signing secret (`alice_server.secret`)

The server listens on a Unix socket only (no TCP), with trust authentication for the
superuser `postgres`; only the owner of the data directory can reach the socket. Several
processes (`alice-server`, `alice-admin`) may use one cluster at once: the first starts it,
later ones attach, and the last to stop shuts it down. `EmbeddedPostgres.start()` blocks
(it may run initdb), so async code should call it through `asyncio.to_thread`.

Modules:

- `postgres`: `EmbeddedPostgres`, the handle; one registration per process and cluster.
- `cluster`: what both backends share (the users files, the checks, the messages).
- `pgserver_cluster`: the "pgserver" backend (the pgserver wheel).
- `system_cluster`: the "system" backend (initdb and pg_ctl found on the machine), for
  where pgserver has no wheel.

The environment variable ALICE_EMBEDDED_BACKEND chooses: `auto` (the default: pgserver if
it is installed, else system), `pgserver` or `system`. All processes sharing one data
directory must use the same backend.
"""

from alice_server.embedded.cluster import BACKEND_ENV, EmbeddedDatabaseUnavailable
from alice_server.embedded.postgres import EmbeddedPostgres

__all__ = ["BACKEND_ENV", "EmbeddedDatabaseUnavailable", "EmbeddedPostgres"]
