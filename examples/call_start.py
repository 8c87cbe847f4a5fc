#!/usr/bin/env python3
"""A call start, as the voice agent makes it: dialled number -> tenant -> token
-> context -> system prompt. Nothing about any business lives in this code: the
name, greetings, prompt blocks and time zone all come from Alice.

    ALICE_PLATFORM_TOKEN=$(alice-admin mint-platform-token --scope platform:lookup --ttl 86400)
    JWT_SECRET_KEY=... python examples/call_start.py \
        --dialled "+15550100002" --caller "(555) 010-3003"
"""

from __future__ import annotations

import argparse
import asyncio
import os

from chad_client import AliceClient, NotFound, build_prompt


async def main(address: str, secret: str, platform_token: str, dialled: str, caller: str) -> int:
    async with AliceClient(address, secret=secret) as alice:
        # 1. Which tenant was called? (cached by Alice: one indexed query at most)
        router = alice.platform(token=platform_token)
        try:
            customer = await router.lookup_customer_by_number(dialled)
        except NotFound:
            print(f"no tenant answers {dialled}")
            return 1
        if customer.status != "active":
            print(f"tenant {customer.id} is {customer.status}")
            return 1
        # 2. Its view of the client: every call carries a token minted for this tenant.
        tenant = alice.for_customer(customer.id)
        # 3. Profile, settings (one call each; cache them per tenant) and the caller's context.
        profile, settings, context = await asyncio.gather(
            tenant.get_my_customer(),
            tenant.get_tenant_settings(),
            tenant.get_context_or_empty(caller),
        )
        # 4. The prompt, rendered in the tenant's time zone.
        prompt = build_prompt(profile, settings, context)
        voice = settings.voice or profile.voice
        print(f"tenant: {profile.id} ({profile.business_name}), voice {voice}")
        print(f"greeting: {prompt.greeting}")
        print("system prompt:")
        print(prompt.system)
        return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default="127.0.0.1:50051")
    parser.add_argument("--dialled", required=True, help="the number the caller dialled")
    parser.add_argument("--caller", required=True, help="the caller's number")
    args = parser.parse_args()
    raise SystemExit(
        asyncio.run(
            main(
                args.address,
                os.environ["JWT_SECRET_KEY"],
                os.environ["ALICE_PLATFORM_TOKEN"],
                args.dialled,
                args.caller,
            )
        )
    )
