"""The contract's RPCs, read from the generated descriptors."""

from __future__ import annotations

import importlib
from pathlib import Path

PROTO_DIR = Path(__file__).resolve().parents[2] / "proto" / "alice" / "memory" / "v1"


def every_rpc() -> list[tuple[str, str]]:
    """(service, rpc) of every service in every .proto file of the contract."""
    found = []
    for proto in sorted(PROTO_DIR.glob("*.proto")):
        module = importlib.import_module(f"chad_client.v1.{proto.stem}_pb2")
        for service in module.DESCRIPTOR.services_by_name.values():
            found.extend((service.name, method.name) for method in service.methods)
    return found
