"""WAL positions of one RPC, for read-your-writes with a read replica.

A write's unit of work (`Database.tenant()`, when a read replica is configured)
records the primary's WAL insert position after its COMMIT in `committed`; the
server returns it in the trailing metadata `x-alice-lsn`. A client sends back the
newest position it has seen for the tenant (`x-alice-lsn` in the request
metadata), kept in `seen`: a read goes to the standby only when the standby has
replayed at least that far (`Database.read`).

Positions are PostgreSQL's `pg_lsn` text (`16/B374D848`: two hex numbers, the high
and low 32 bits), compared as integers.
"""

from __future__ import annotations

import re
from contextvars import ContextVar, Token
from dataclasses import dataclass

LSN_HEADER = "x-alice-lsn"
_LSN = re.compile(r"([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})")


def parse_lsn(text: str) -> int:
    """`16/B374D848` -> its position; ValueError for anything else."""
    match = _LSN.fullmatch(text)
    if match is None:
        raise ValueError(f"not a WAL position: {text[:40]!r}")
    return (int(match.group(1), 16) << 32) | int(match.group(2), 16)


def format_lsn(position: int) -> str:
    return f"{position >> 32:X}/{position & 0xFFFFFFFF:X}"


@dataclass(slots=True)
class Positions:
    """What one RPC knows of the WAL: the client's newest seen position and the
    position after this RPC's own last commit (0: none)."""

    seen: int = 0
    committed: int = 0


_CURRENT: ContextVar[Positions | None] = ContextVar("alice_wal_positions", default=None)


def bind(seen: int) -> tuple[Positions, Token[Positions | None]]:
    positions = Positions(seen)
    return positions, _CURRENT.set(positions)


def current() -> Positions | None:
    return _CURRENT.get()
