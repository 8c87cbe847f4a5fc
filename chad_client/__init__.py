"""chad_client: the typed client of Alice, the voice agent's memory service.

    from chad_client import AliceClient

    async with AliceClient("alice.internal:50051", secret=JWT_SECRET_KEY) as alice:
        tenant = alice.for_customer(customer_id)
        context = await tenant.get_context_or_empty(caller_phone)

`SyncAliceClient` is the blocking twin. The generated protobuf and gRPC modules
of the contract are in `chad_client.v1`. See chad_client/README.md.
"""

from chad_client.client import AliceClient, TenantClient, Timeouts
from chad_client.errors import (
    AliceError,
    AlreadyExists,
    Conflict,
    DeadlineExceeded,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    Unavailable,
)
from chad_client.models import (
    CallerProfile,
    CallResult,
    CallSummary,
    EnrichedContext,
    Memory,
    Page,
    Personality,
    PersonalityScores,
    SearchHit,
    StoredMemory,
    TraitLabel,
    Turn,
)
from chad_client.platform import CustomerChanges, PlatformClient
from chad_client.prompt import Prompt, build_prompt
from chad_client.retry import NO_RETRIES, RetryPolicy
from chad_client.sync import SyncAliceClient, SyncPlatformClient, SyncTenantClient
from chad_client.tenants import (
    AuditRecord,
    Customer,
    Erasure,
    ExportedRow,
    PromptBlock,
    TenantSettings,
    TransferRule,
)
from chad_client.tokens import SecretTokenProvider, StaticTokenProvider, TokenProvider

__version__ = "0.1.0"

__all__ = [
    "NO_RETRIES",
    "AliceClient",
    "AliceError",
    "AlreadyExists",
    "AuditRecord",
    "CallResult",
    "CallSummary",
    "CallerProfile",
    "Conflict",
    "Customer",
    "CustomerChanges",
    "DeadlineExceeded",
    "EnrichedContext",
    "Erasure",
    "ExportedRow",
    "InvalidArgument",
    "Memory",
    "NotFound",
    "Page",
    "PermissionDenied",
    "Personality",
    "PersonalityScores",
    "PlatformClient",
    "Prompt",
    "PromptBlock",
    "RateLimited",
    "RetryPolicy",
    "SearchHit",
    "SecretTokenProvider",
    "StaticTokenProvider",
    "StoredMemory",
    "SyncAliceClient",
    "SyncPlatformClient",
    "SyncTenantClient",
    "TenantClient",
    "TenantSettings",
    "Timeouts",
    "TokenProvider",
    "TraitLabel",
    "TransferRule",
    "Turn",
    "Unauthenticated",
    "Unavailable",
    "build_prompt",
]
