"""The examples run as documented against a real server."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "call_flow.py"
CALL_LOOP = Path(__file__).resolve().parents[1] / "examples" / "chad_call_loop.py"


async def test_call_flow_example(alice, peterson):
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLE),
        "--address",
        alice.address,
        "--customer-id",
        str(peterson.id),
        "--caller",
        "(555) 010-7788",
        env={**os.environ, "JWT_SECRET_KEY": peterson.secret},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    text = out.decode()
    assert "call start: new caller=True degraded=False" in text
    # The 2 memories the example stores and the son's birth date the call notes found.
    assert "next call: new caller=False, 1 summaries, 3 memories" in text
    assert "Caller: +15550107788" in text
    assert "mornings" in text.split("next call:")[1]


async def _replay(address: str, tenant, caller: str, dialled: str) -> tuple[str, dict]:  # type: ignore[no-untyped-def, type-arg]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CALL_LOOP),
        "--address",
        address,
        "--customer-id",
        str(tenant.id),
        "--business",
        tenant.name,
        "--caller",
        caller,
        "--dialled",
        dialled,
        "--json",
        env={**os.environ, "JWT_SECRET_KEY": tenant.secret},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    text = out.decode()
    return text, json.loads(text.strip().splitlines()[-1])


async def test_chad_call_loop_for_two_tenants_at_once_crosses_nothing(alice, peterson, smith):
    """Chad's whole call loop, replayed for two tenants in parallel with the same
    caller number: each sees its own calls, and nothing of the other's."""
    caller = "(555) 010-4242"
    (p_text, p), (s_text, s) = await asyncio.gather(
        _replay(alice.address, peterson, caller, "+18005550101"),
        _replay(alice.address, smith, caller, "+18005550202"),
    )
    for tenant, other, text, report, dialled in (
        (peterson, smith, p_text, p, "+18005550101"),
        (smith, peterson, s_text, s, "+18005550202"),
    ):
        first, second = report["first"], report["second"]
        # The webhook's check and the call start, first call then next call.
        assert first["returning"] is False and second["returning"] is True
        assert first["greeting"] == f"Thank you for calling {tenant.name}!"
        assert second["greeting"] == f"Welcome back to {tenant.name}, Dana!"
        assert not first["degraded"] and not second["degraded"]
        # The next call sees it all: the name, the summary, the fact.
        assert second["caller_name"] == "Dana" == report["preferred_name"]
        assert "Name: Dana" in second["context"]
        assert "1 earlier call" in second["context"]
        assert f"Son born 2009-06-09 ({tenant.name} auto policy)" in second["context"]
        # A transcript append per exchange, the transfer and the call record.
        assert first["turns"] == 6 and first["transferred_to"] == f"{tenant.name} claims desk"
        assert (
            report["transcript"][1]
            == f"Hello Dana, thanks for calling {tenant.name}. How can I help?"
        )
        by_call = {row["call_id"]: row for row in report["summaries"]}
        assert set(by_call) == {first["call_id"], second["call_id"]}
        assert by_call[first["call_id"]]["turn_count"] == 6
        assert by_call[first["call_id"]]["transfer_target"] == f"{tenant.name} claims desk"
        assert by_call[first["call_id"]]["dialled_number"] == dialled
        assert by_call[first["call_id"]]["recording_url"].endswith(f"{first['call_id']}.mp3")
        assert report["stats"] == {
            "caller_count": 1,
            "processed_call_count": 2,
            "transcript_turn_count": 8,
        }
        # Nothing of the other tenant anywhere in this one's output.
        assert other.name not in text
        assert report["customer_id"] == tenant.id
