"""The console's one connection to Alice: chad_client's AliceClient.

Operators' calls go through a platform client (tokens `platform: true`,
scope platform:admin, minted from the shared secret); a tenant admin's
through `tenant(customer_id)`, whose tokens name that customer only and carry
memory:read, memory:write and privacy:admin. Alice checks both as it checks
every other client.
"""

from __future__ import annotations

from alice_console.settings import ConsoleSettings
from chad_client import AliceClient
from chad_client.client import TenantClient
from chad_client.platform import PlatformClient
from chad_client.tokens import SecretTokenProvider

TENANT_SCOPE = "memory:read memory:write privacy:admin"
PLATFORM_SCOPE = "platform:admin"
TOKEN_TTL_SECONDS = 900


class Alice:
    def __init__(self, settings: ConsoleSettings) -> None:
        root = settings.alice_ca_file.read_bytes() if settings.alice_ca_file else None
        self.client = AliceClient(
            settings.alice_addr,
            token_provider=SecretTokenProvider(
                settings.jwt_secret,
                scope=TENANT_SCOPE,
                ttl_seconds=TOKEN_TTL_SECONDS,
                renew_before_seconds=60,
            ),
            secure=root is not None,
            root_certificates=root,
            settings_ttl=0,
        )
        self.platform: PlatformClient = self.client.platform(
            secret=settings.jwt_secret, scope=PLATFORM_SCOPE
        )

    def tenant(self, customer_id: int) -> TenantClient:
        return self.client.for_customer(customer_id)

    async def close(self) -> None:
        await self.client.close()
