"""chad_client: the typed client of Alice, the voice agent's memory service.

    from chad_client import AliceClient

    async with AliceClient("alice.internal:50051", secret=JWT_SECRET_KEY) as alice:
        tenant = alice.for_customer(customer_id)
        context = await tenant.get_context_or_empty(caller_phone)

`SyncAliceClient` is the blocking twin. The generated protobuf and gRPC modules
of the contract are in `chad_client.v1`. See chad_client/README.md.
"""

from chad_client.client import DEADLINES, AliceClient, TenantClient, Timeouts, fact_key
from chad_client.errors import (
    AliceError,
    AlreadyExists,
    Conflict,
    DeadlineExceeded,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    Unavailable,
)
from chad_client.models import (
    AppendResult,
    CallerProfile,
    CallRecord,
    CallResult,
    CallSummary,
    CallTranscript,
    EnrichedContext,
    FollowUp,
    FollowUpStatus,
    Memory,
    MemoryHistoryEntry,
    Page,
    Personality,
    PersonalityScores,
    SearchHit,
    SearchMode,
    StoredMemory,
    TenantStats,
    TraitLabel,
    TranscriptTurn,
    Turn,
)
from chad_client.platform import CustomerChanges, PlatformClient
from chad_client.prompt import Prompt, build_prompt
from chad_client.retry import NO_RETRIES, RetryPolicy
from chad_client.sync import SyncAliceClient, SyncPlatformClient, SyncTenantClient
from chad_client.tenant_info import (
    CallStart,
    LegacySettingsSource,
    TenantInfo,
    TenantInfoSource,
    TenantProfile,
    TenantServiceSource,
)
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
    "DEADLINES",
    "NO_RETRIES",
    "AliceClient",
    "AliceError",
    "AlreadyExists",
    "AppendResult",
    "AuditRecord",
    "CallRecord",
    "CallResult",
    "CallStart",
    "CallSummary",
    "CallTranscript",
    "CallerProfile",
    "Conflict",
    "Customer",
    "CustomerChanges",
    "DeadlineExceeded",
    "EnrichedContext",
    "Erasure",
    "ExportedRow",
    "FailedPrecondition",
    "FollowUp",
    "FollowUpStatus",
    "InvalidArgument",
    "LegacySettingsSource",
    "Memory",
    "MemoryHistoryEntry",
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
    "SearchMode",
    "SecretTokenProvider",
    "StaticTokenProvider",
    "StoredMemory",
    "SyncAliceClient",
    "SyncPlatformClient",
    "SyncTenantClient",
    "TenantClient",
    "TenantInfo",
    "TenantInfoSource",
    "TenantProfile",
    "TenantServiceSource",
    "TenantSettings",
    "TenantStats",
    "Timeouts",
    "TokenProvider",
    "TraitLabel",
    "TranscriptTurn",
    "TransferRule",
    "Turn",
    "Unauthenticated",
    "Unavailable",
    "build_prompt",
    "fact_key",
]
