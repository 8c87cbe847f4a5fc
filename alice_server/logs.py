"""Logging: one line per record, each with the tenant (customer_id) it concerns."""

from __future__ import annotations

import logging
import sys

from alice_server.auth import current_customer_id

FORMAT = "%(asctime)s %(levelname)s %(name)s customer=%(customer_id)s %(message)s"


class TenantFilter(logging.Filter):
    """Adds `customer_id` to every record: the RPC's tenant, or '-' outside one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "customer_id", None) is None:
            record.customer_id = current_customer_id() or "-"
        return True


def configure(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(TenantFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Quiet libraries at INFO; their warnings still show.
    for noisy in ("sqlalchemy", "alembic", "asyncio", "pgserver", "grpc"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
