"""The customer export file: JSON lines, gzip-compressed when the name ends in .gz.

    {"header": {"format": "alice-customer-export", "version": 1, "customer_id": 2,
                "schema_revision": "0005", "exported_at": "...", "tables": [...]}}
    {"table": "customers", "row": {...}}
    {"table": "memories", "row": {...}}
    ...

`row` is PostgreSQL's to_jsonb of the row: restoring it with
jsonb_populate_record gives back every value exactly.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from alice_server.domain.errors import InvalidArgument
from alice_server.domain.privacy import ExportHeader


def open_text(path: Path, mode: str, *, compressed: bool | None = None) -> IO[str]:
    if path.suffix == ".gz" if compressed is None else compressed:
        return gzip.open(path, mode + "t", encoding="utf-8")  # type: ignore[return-value]
    return path.open(mode, encoding="utf-8")


def header_json(header: ExportHeader) -> dict[str, Any]:
    return {
        "format": header.format,
        "version": header.version,
        "customer_id": header.customer_id,
        "schema_revision": header.schema_revision,
        "exported_at": header.exported_at.isoformat(),
        "tables": list(header.tables),
    }


def header_of(data: dict[str, Any]) -> ExportHeader:
    try:
        return ExportHeader(
            customer_id=int(data["customer_id"]),
            schema_revision=str(data["schema_revision"]),
            exported_at=dt.datetime.fromisoformat(data["exported_at"]),
            tables=tuple(data["tables"]),
            format=str(data["format"]),
            version=int(data["version"]),
        )
    except (KeyError, TypeError, ValueError):
        raise InvalidArgument("the file's first line is not an export header") from None


@contextmanager
def atomic_output(path: Path) -> Iterator[IO[str]]:
    """Write to PATH.partial, renamed on success: a cron job never leaves half a backup."""
    partial = path.with_name(path.name + ".partial")
    try:
        with open_text(partial, "w", compressed=path.suffix == ".gz") as out:
            yield out
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def line(item: dict[str, Any]) -> str:
    return json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n"


def read(path: Path) -> tuple[ExportHeader, list[tuple[str, dict[str, Any]]]]:
    try:
        return _read(path)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InvalidArgument(f"cannot read {path}: {exc}") from None


def _read(path: Path) -> tuple[ExportHeader, list[tuple[str, dict[str, Any]]]]:
    with open_text(path, "r") as source:
        first = source.readline()
        if not first.strip():
            raise InvalidArgument(f"{path} is empty")
        try:
            header = header_of(json.loads(first).get("header", {}))
            rows = []
            for line in source:
                if line.strip():
                    item = json.loads(line)
                    rows.append((str(item["table"]), dict(item["row"])))
        except (json.JSONDecodeError, KeyError, TypeError):
            raise InvalidArgument(f"{path} is not an Alice customer export") from None
    return header, rows
