#!/usr/bin/env python3
"""A call start, as the voice agent makes it: dialled number -> tenant -> token
-> context -> system prompt. Nothing about any business lives in this code: the
name, greetings, prompt blocks and time zone all come from Alice.

    ALICE_PLATFORM_TOKEN=$(alice-admin mint-platform-token --scope platform:lookup --ttl 86400)
    JWT_SECRET_KEY=... python examples/call_start.py \
        --dialled "+15550100002" --caller "(555) 010-3003"

The dialled number must be a customer's: +15550100002 is Smith Insurance
Agency's after `alice-admin load-demo` (data/demo/tenants.json), or after
CUSTOMER_ONBOARDING_GUIDE.md. In a development checkout, with `./dev serve`
running: `./dev admin load-demo`, then
`ALICE_PLATFORM_TOKEN=$(./dev admin mint-platform-token --scope platform:lookup)
./dev python examples/call_start.py --dialled "+15550100002" --caller "(555) 010-3003"`.
"""

from __future__ import annotations

import argparse
import asyncio
import os

from chad_client import AliceClient, NotFound


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
        # 3. One line, fail-soft, under a second: the tenant's profile and settings
        #    (TenantService GetMyCustomer + GetSettings, cached per tenant) and the
        #    caller's context, concurrently.
        start = await tenant.start_call(caller)
        if start.degraded:
            print(f"degraded: {'; '.join(start.degraded_reasons)}")
        # 4. The prompt, rendered in the tenant's time zone (build_prompt).
        prompt = start.prompt()
        if prompt is None:
            print("no tenant profile: speak a neutral greeting")
            return 1
        profile = start.profile
        assert profile is not None
        print(f"tenant: {profile.customer_id} ({profile.business_name}), voice {start.voice}")
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
