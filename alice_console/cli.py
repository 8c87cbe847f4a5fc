"""alice-console: serve the web console (uvicorn), next to a running Alice.

ALICE_ADDR=127.0.0.1:50051 JWT_SECRET_KEY=... ALICE_CONSOLE_SESSION_SECRET=... alice-console
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from alice_console import __version__
from alice_console.settings import ConsoleConfigError, ConsoleSettings

SETTINGS_HELP = """settings (environment variables):
  ALICE_ADDR                     Alice's gRPC address (default 127.0.0.1:50051)
  JWT_SECRET_KEY                 the secret Alice verifies tokens with (or:)
  ALICE_CONSOLE_JWT_SECRET_FILE  a file holding it (default: the embedded
                                 Alice's ALICE_DATA_DIR/jwt_secret)
  ALICE_CONSOLE_SESSION_SECRET   signs session cookies; required, >= 32 bytes
  ALICE_CONSOLE_SESSION_MINUTES  session lifetime from log-in (default 60)
  ALICE_CONSOLE_LISTEN           host:port to serve on (default 127.0.0.1:8080)
  ALICE_CONSOLE_ALICE_CA_FILE    PEM root to reach Alice over TLS (default plaintext)
  ALICE_CONSOLE_LOGIN_ATTEMPTS, ALICE_CONSOLE_ADDRESS_ATTEMPTS,
  ALICE_CONSOLE_LOGIN_WINDOW_SECONDS   failed log-ins allowed per login name
                                 (5) and per client address (20) per window (900 s)
  ALICE_CONSOLE_FORWARDED_ALLOW_IPS    proxies trusted for X-Forwarded-For/-Proto
See README.md, section "Console"."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="alice-console",
        description="The operators' and tenant admins' web console of Alice (a gRPC client of "
        "Alice; users are created with `alice-admin create-console-user`).",
        epilog=SETTINGS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--listen", help="host:port (overrides ALICE_CONSOLE_LISTEN)")
    parser.add_argument("--version", action="version", version=f"alice-console {__version__}")
    args = parser.parse_args(argv)
    try:
        settings = ConsoleSettings.from_env()
    except ConsoleConfigError as exc:
        print(f"alice-console: {exc}", file=sys.stderr)
        return 2
    listen = args.listen or settings.listen
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        print(f"alice-console: listen address must be host:port, got {listen!r}", file=sys.stderr)
        return 2
    import uvicorn

    from alice_console.app import create_app

    config = uvicorn.Config(
        create_app(settings),
        host=host.strip("[]"),
        port=int(port),
        log_level="info",
        access_log=False,  # URLs name callers' numbers: not in the log
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
        server_header=False,
    )
    server = uvicorn.Server(config)
    try:
        server.run()
    except OSError as exc:
        print(f"alice-console: cannot listen on {listen}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0
