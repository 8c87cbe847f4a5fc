#!/usr/bin/env python3
"""Generate the Python modules of the contract under proto/ into chad_client/v1.

    python scripts/generate_protos.py          # (re)generate
    python scripts/generate_protos.py --check  # exit 1 if the committed code is stale

protoc writes ``from alice.memory.v1 import x_pb2``; the modules live in the
``chad_client.v1`` package instead (the server imports them from there), so the
imports are rewritten. The output depends on the grpcio-tools version, which is
pinned in pyproject.toml's ``dev`` extra.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import tempfile
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTO_ROOT = ROOT / "proto"
PROTO_PACKAGE_DIR = Path("alice/memory/v1")
OUTPUT_DIR = ROOT / "chad_client" / "v1"
PYTHON_PACKAGE = "chad_client.v1"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")
IMPORT_RE = re.compile(r"^from alice\.memory\.v1 import ", re.MULTILINE)


def generate(out_dir: Path) -> list[Path]:
    from grpc_tools import protoc

    protos = sorted((PROTO_ROOT / PROTO_PACKAGE_DIR).glob("*.proto"))
    if not protos:
        raise SystemExit(f"no .proto files under {PROTO_ROOT / PROTO_PACKAGE_DIR}")
    well_known = resources.files("grpc_tools") / "_proto"
    with tempfile.TemporaryDirectory() as raw:
        args = [
            "grpc_tools.protoc",
            f"--proto_path={PROTO_ROOT}",
            f"--proto_path={well_known}",
            f"--python_out={raw}",
            f"--pyi_out={raw}",
            f"--grpc_python_out={raw}",
            *(str(p.relative_to(PROTO_ROOT)) for p in protos),
        ]
        if protoc.main(args) != 0:
            raise SystemExit("protoc failed")
        written = []
        for path in sorted((Path(raw) / PROTO_PACKAGE_DIR).iterdir()):
            if not path.name.endswith(GENERATED_SUFFIXES):
                continue
            text = IMPORT_RE.sub(f"from {PYTHON_PACKAGE} import ", path.read_text())
            target = out_dir / path.name
            target.write_text(text)
            written.append(target)
        return written


def generated_files(directory: Path) -> dict[str, str]:
    return {
        p.name: p.read_text()
        for p in sorted(directory.iterdir())
        if p.name.endswith(GENERATED_SUFFIXES)
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; fail if chad_client/v1 differs from a fresh generation",
    )
    args = parser.parse_args()

    if not args.check:
        for stale in generated_files(OUTPUT_DIR):
            (OUTPUT_DIR / stale).unlink()
        for path in generate(OUTPUT_DIR):
            print(f"wrote {path.relative_to(ROOT)}")
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        fresh = generated_files(Path(tmp))
    committed = generated_files(OUTPUT_DIR)
    if fresh == committed:
        print(f"generated code in {OUTPUT_DIR.relative_to(ROOT)} is up to date")
        return 0
    for name in sorted(set(fresh) | set(committed)):
        if fresh.get(name) != committed.get(name):
            diff = difflib.unified_diff(
                committed.get(name, "").splitlines(keepends=True),
                fresh.get(name, "").splitlines(keepends=True),
                f"committed/{name}",
                f"generated/{name}",
            )
            sys.stdout.writelines(diff)
    print(
        "generated code is stale: run `python scripts/generate_protos.py` and commit the result",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
