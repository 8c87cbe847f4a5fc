#!/usr/bin/env python3
"""One whole phone call, as the voice agent makes it, through chad_client.

    JWT_SECRET_KEY=... python examples/call_flow.py --customer-id 1 [--caller "(555) 010-2030"]

In a development checkout, with `./dev serve` running (its embedded database
keeps the secret in .alice-data/jwt_secret, which `./dev python` passes on):

    ./dev python examples/call_flow.py --customer-id 1

The server's address is --address, else ALICE_ADDRESS, else 127.0.0.1:50051.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import uuid

from chad_client import AliceClient, AliceError, TranscriptTurn, Turn

TRANSCRIPT = [
    Turn("agent", "Good afternoon, thanks for calling. How can I help?"),
    Turn("caller", "Hi, this is Dana Whitfield. I want to add my son to my auto policy."),
    Turn("agent", "Of course. What is his date of birth?"),
    Turn("caller", "June 9th 2009. And please call me back in the mornings."),
    Turn("agent", "Done: he is covered from today. I noted mornings for call-backs."),
    Turn("caller", "Great, thank you!"),
]


async def main(address: str, secret: str, customer_id: int, caller: str) -> None:
    # One client per process, reused for every call; close it on shutdown.
    async with AliceClient(address, secret=secret) as alice:
        tenant = alice.for_customer(customer_id)  # the tenant comes from the dialled number
        call_id = f"CA-{uuid.uuid4().hex[:12]}"  # in production: the telephony call id
        started = dt.datetime.now(dt.UTC)

        # 1. Call start: on the hot path, fail soft (an empty context, never an exception).
        context = await tenant.get_context_or_empty(caller)
        print(f"call start: new caller={context.is_new_caller} degraded={context.degraded}")
        print(context.text or "(no context)")

        # 2. During the call: each turn appended to the call's stored transcript
        #    (numbered, so a retry stores nothing twice) and the facts the caller
        #    gives. Both calls are safe to retry.
        for sequence, turn in enumerate(TRANSCRIPT):
            await tenant.append_transcript_turns(
                caller, call_id, [TranscriptTurn(sequence, turn.role, turn.content)]
            )
        await tenant.store_memory(caller, "person", "son", {"born": "2009-06-09"})
        await tenant.store_memory(caller, "preference", "callback_time", {"value": "mornings"})

        # 3. Call end: summary, personality and profile, recorded once per call_id.
        try:
            # The stored turns are summarised (or pass them: process_call(caller,
            # call_id, TRANSCRIPT, ...)).
            result = await tenant.process_call(
                caller, call_id, started_at=started, ended_at=dt.datetime.now(dt.UTC)
            )
        except AliceError as exc:  # typed: Unavailable, DeadlineExceeded, InvalidArgument...
            print(f"call end: not recorded ({type(exc).__name__}: {exc}); retry later")
            return
        print(f"call end: {result.sentiment}; topics {', '.join(result.key_topics)}")
        print(f"summary: {result.summary}")

        # 4. The next call starts with all of it.
        following = await tenant.get_enriched_context(caller)
        print(
            f"next call: new caller={following.is_new_caller}, "
            f"{len(following.summaries)} summaries, {len(following.memories)} memories"
        )
        print(following.text)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default=os.environ.get("ALICE_ADDRESS", "127.0.0.1:50051"))
    parser.add_argument("--customer-id", type=int, required=True)
    parser.add_argument("--caller", default="(555) 010-2030")
    args = parser.parse_args()
    secret = os.environ.get("JWT_SECRET_KEY")
    if not secret:
        parser.error("set JWT_SECRET_KEY to the secret Alice verifies tokens with")
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(args.address, secret, args.customer_id, args.caller))
