"""The README's tenant and privacy grpcurl examples, run as written against a real server."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path

from alice_server.auth import mint_platform_token

README = Path(__file__).resolve().parents[1] / "README.md"
DOCUMENTED_ADDRESS = "127.0.0.1:50051"


def tenant_block() -> str:
    section = README.read_text().split("### grpcurl: tenants and privacy", 1)[1]
    section = re.split(r"\n##+ ", section, maxsplit=1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the section should hold one sh block"
    return blocks[0]


def outputs(text: str) -> list[object]:
    """grpcurl prints one JSON document per response."""
    decoder = json.JSONDecoder()
    documents, position = [], 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return documents
        document, position = decoder.raw_decode(text, position)
        documents.append(document)


async def test_readme_tenant_and_privacy_examples_work(alice, peterson, secret):
    script = "set -e\n" + tenant_block().replace(DOCUMENTED_ADDRESS, alice.address)
    assert len([x for x in script.splitlines() if x.startswith("grpcurl")]) == 13
    env = {
        **os.environ,
        "CUSTOMER_ID": str(peterson.id),
        "TOKEN": peterson.token(),
        "PRIVACY_TOKEN": peterson.token(scope="memory:read privacy:admin"),
        "PLATFORM_TOKEN": mint_platform_token(secret),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        script,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    docs = outputs(out.decode())
    created, looked_up, updated = docs[0], docs[1], docs[2]
    assert created["customer"]["twilio_number"] == "+15550104000"
    assert looked_up["customer"]["id"] == created["customer"]["id"]
    assert updated["customer"]["agent_name"] == "Sam"
    settings = docs[5]["settings"]
    assert settings["voice"] == "alloy" and settings["other"]["office_hours"]["mon-fri"] == "9-17"
    exported = [d for d in docs if isinstance(d, dict) and "record" in d]
    assert any(d["record"]["row"].get("key") == "car" for d in exported)
    erased = next(d for d in docs if isinstance(d, dict) and "counts" in d and "audit" in d)
    assert {"table": "memories", "rows": "1"} in erased["counts"]
