#!/usr/bin/env python3
"""Chad's whole call loop, replayed against a real Alice through chad_client.

    JWT_SECRET_KEY=... python examples/chad_call_loop.py --customer-id 1 \\
        --business "Peterson Insurance" [--caller "(555) 010-2030"] [--dialled +18005550100]

With the embedded default database, the secret is in ~/.local/share/alice/jwt_secret:

    export JWT_SECRET_KEY=$(cat ~/.local/share/alice/jwt_secret)
    python examples/chad_call_loop.py --customer-id 1 --business "Peterson Insurance"

Each step is what the voice agent (ChatStack) does with memory during a phone
call, in order; docs/CHAD_MIGRATION.md maps every legacy request to the call
used here. Two calls of one caller are replayed: the second one starts with
everything the first one left. `--json` prints a machine-readable report last.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import uuid
from typing import Any

from chad_client import (
    AliceClient,
    NotFound,
    TenantClient,
    TenantSettings,
    TranscriptTurn,
    TransferRule,
    fact_key,
)

# The first call: (what the caller says, what the agent answers). "{business}"
# is the tenant's name, so that a transcript that crossed tenants would show.
FIRST_CALL = [
    ("Hi, this is Dana Whitfield.", "Hello Dana, thanks for calling {business}. How can I help?"),
    (
        "I want to add my son to my auto policy. He was born June 9th 2009.",
        "Of course. I have noted his date of birth.",
    ),
    (
        "Please call me back in the mornings. Can I talk to someone about a claim too?",
        "I noted mornings for call-backs. I am transferring you to our claims desk now.",
    ),
]
SECOND_CALL = [
    ("Hi, it's Dana again.", "Welcome back Dana. How can I help today?"),
]


async def webhook_is_returning(tenant: TenantClient, caller: str) -> bool:
    """The Twilio webhook's check, before the call is answered: only the caller's
    own data counts (the legacy check counted the tenant's shared rows too)."""
    context = await tenant.get_context_or_empty(caller, num_summaries=0, num_memories=1)
    return not context.is_new_caller


async def one_call(
    tenant: TenantClient,
    caller: str,
    dialled: str,
    business: str,
    exchanges: list[tuple[str, str]],
    *,
    facts: bool,
) -> dict[str, Any]:
    call_sid = f"CA{uuid.uuid4().hex}"  # Twilio's CallSid: Chad's call_id
    report: dict[str, Any] = {"call_id": call_sid}

    # 1. Webhook: returning caller?
    report["returning"] = await webhook_is_returning(tenant, caller)
    print(f"webhook: returning caller={report['returning']}")

    # 2. Call start, one line, fail-soft: tenant profile and settings (TenantService,
    #    cached per tenant), caller context; the prompt is rendered from them.
    start = await tenant.start_call(caller)
    prompt = start.prompt()  # None only when the tenant profile could not be had
    report.update(
        degraded=start.degraded,
        caller_name=start.caller_name,
        greeting=prompt.greeting if prompt else "",
        voice=start.voice,
        context=start.context.text,
    )
    print(f"call start: degraded={start.degraded} name={start.caller_name or '-'}")
    print(f"greeting: {report['greeting']} (voice {start.voice or '-'})")
    print(start.context.text)
    await tenant.update_call_record(
        caller, call_sid, direction="inbound", dialled_number=dialled, external_call_id=call_sid
    )

    # 3. The conversation: a transcript append per exchange (numbered turns, so a
    #    retried append stores nothing twice); transfer rules read on every
    #    utterance come from the client's settings cache, not from Alice.
    sequence = 0
    transferred_to = ""
    for said, answer in exchanges:
        rules = (await tenant.settings()).transfer_rules or []
        reply = answer.format(business=business)
        turns = [
            TranscriptTurn(sequence, "caller", said),
            TranscriptTurn(sequence + 1, "agent", reply),
        ]
        appended = await tenant.append_transcript_turns(caller, call_sid, turns)
        sequence = appended.next_sequence
        # 4. Facts during the call, with deterministic keys (upserts deduplicate).
        if facts and "Dana Whitfield" in said:
            await tenant.update_caller_profile(caller, preferred_name="Dana")
        if facts and "born" in said:
            fact = f"Son born 2009-06-09 ({business} auto policy)"
            await tenant.store_memory(caller, "fact", fact_key(fact), {"value": fact})
        if facts and "mornings" in said:
            await tenant.update_caller_profile(caller, preferences={"callback_time": "mornings"})
        if "claim" in said and rules:
            transferred_to = rules[0].target
            await tenant.update_call_record(caller, call_sid, transfer_target=transferred_to)
    print(f"during the call: {sequence} turns stored, transferred to {transferred_to or '-'}")

    # 5. Call end: summarise this call's stored turns (start and end from them),
    #    then the recording URL that Twilio posts later.
    result = await tenant.process_call(caller, call_sid)
    await tenant.update_call_record(
        caller, call_sid, recording_url=f"https://recordings.example.net/{call_sid}.mp3"
    )
    print(f"call end: {result.sentiment}; topics {', '.join(result.key_topics)}")
    report.update(turns=sequence, transferred_to=transferred_to, summary=result.summary)
    return report


async def replay(
    address: str, secret: str, customer_id: int, business: str, caller: str, dialled: str
) -> dict[str, Any]:
    async with AliceClient(address, secret=secret) as alice:
        tenant = alice.for_customer(customer_id)
        # The tenant's settings as an admin screen saves them (TenantService);
        # the agent reads them, with the tenant's profile, at call start. The
        # greetings are templates: the business name comes from the profile.
        await tenant.update_tenant_settings(
            TenantSettings(
                new_caller_greeting="Thank you for calling {business_name}!",
                returning_caller_greeting="Welcome back to {business_name}, {user_name}!",
                voice="alloy",
                transfer_rules=[TransferRule("claims", f"{business} claims desk")],
            )
        )
        await tenant.refresh_tenant_info()

        first = await one_call(tenant, caller, dialled, business, FIRST_CALL, facts=True)
        print("--- next call ---")
        second = await one_call(tenant, caller, dialled, business, SECOND_CALL, facts=False)

        # What the tenant's admin screen sees afterwards.
        summaries = (await tenant.list_call_summaries(caller)).items
        transcript = await tenant.get_call_transcript(first["call_id"])
        stats = await tenant.get_tenant_stats()
        try:
            profile = await tenant.get_caller_profile(caller)
            name = profile.preferred_name
        except NotFound:
            name = ""
        return {
            "customer_id": customer_id,
            "first": first,
            "second": second,
            "preferred_name": name,
            "summaries": [
                {
                    "call_id": s.call_id,
                    "turn_count": s.turn_count,
                    "transfer_target": s.record.transfer_target if s.record else "",
                    "dialled_number": s.record.dialled_number if s.record else "",
                    "recording_url": s.record.recording_url if s.record else "",
                }
                for s in summaries
            ],
            "transcript": [t.content for t in transcript.turns],
            "stats": {
                "caller_count": stats.caller_count,
                "processed_call_count": stats.processed_call_count,
                "transcript_turn_count": stats.transcript_turn_count,
            },
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--address", default=os.environ.get("ALICE_ADDRESS", "127.0.0.1:50051"))
    parser.add_argument("--customer-id", type=int, required=True)
    parser.add_argument("--business", required=True, help="the tenant's business name")
    parser.add_argument("--caller", default="(555) 010-2030")
    parser.add_argument("--dialled", default="+18005550100", help="the tenant's number")
    parser.add_argument("--json", action="store_true", help="print a JSON report last")
    args = parser.parse_args()
    secret = os.environ.get("JWT_SECRET_KEY")
    if not secret:
        parser.error("set JWT_SECRET_KEY to the secret Alice verifies tokens with")
    logging.basicConfig(level=logging.WARNING)
    started = dt.datetime.now(dt.UTC)
    report = asyncio.run(
        replay(args.address, secret, args.customer_id, args.business, args.caller, args.dialled)
    )
    elapsed = (dt.datetime.now(dt.UTC) - started).total_seconds()
    print(f"replayed two calls in {elapsed:.2f} s")
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
