"""chad_client covers the whole contract: every RPC of every service under
proto/alice/memory/v1 has a client method that calls it, and every blocking
twin takes exactly the parameters of its async method."""

from __future__ import annotations

import inspect

import pytest

from chad_client import DEADLINES, AliceClient, SyncAliceClient
from chad_client.client import TenantClient
from chad_client.platform import PlatformClient
from chad_client.sync import SyncPlatformClient, SyncTenantClient
from tests.support.contract import every_rpc

# RPC -> the client method that calls it (a method calling the stub itself,
# not one that delegates). A new RPC fails the test below until it is listed
# here with a method.
CLIENT_METHODS: dict[str, tuple[type, str]] = {
    # MemoryService
    "StoreMemory": (TenantClient, "store_memory"),
    "GetMemory": (TenantClient, "get_memory"),
    "DeleteMemory": (TenantClient, "delete_memory"),
    "ListMemories": (TenantClient, "list_memories"),
    "SearchMemories": (TenantClient, "search_memories"),
    "GetMemoryByKey": (TenantClient, "get_memory_by_key"),
    "GetMemoryHistory": (TenantClient, "get_memory_history"),
    # ContextService
    "GetEnrichedContext": (TenantClient, "get_enriched_context"),
    "ProcessCall": (TenantClient, "process_call"),
    "GetCallerProfile": (TenantClient, "get_caller_profile"),
    "ListCallerProfiles": (TenantClient, "list_caller_profiles"),
    "GetPersonality": (TenantClient, "get_personality"),
    "ListCallSummaries": (TenantClient, "list_call_summaries"),
    "UpdateCallerProfile": (TenantClient, "update_caller_profile"),
    "GetTenantStats": (TenantClient, "get_tenant_stats"),
    # CallService
    "AppendTranscriptTurns": (TenantClient, "append_transcript_turns"),
    "GetCallTranscript": (TenantClient, "get_call_transcript"),
    "UpdateCallRecord": (TenantClient, "update_call_record"),
    "GetCallRecord": (TenantClient, "get_call_record"),
    # TenantService: the tenant's own calls, then the platform's
    "GetMyCustomer": (TenantClient, "get_my_customer"),
    "GetSettings": (TenantClient, "get_tenant_settings"),
    "UpdateSettings": (TenantClient, "update_tenant_settings"),
    "CreateCustomer": (PlatformClient, "create_customer"),
    "GetCustomer": (PlatformClient, "get_customer"),
    "ListCustomers": (PlatformClient, "list_customers"),
    "UpdateCustomer": (PlatformClient, "update_customer"),
    "LookupCustomerByNumber": (PlatformClient, "lookup_customer_by_number"),
    # PrivacyService
    "ExportUserData": (TenantClient, "iter_user_data"),
    "DeleteUserData": (TenantClient, "delete_user_data"),
    "ListMyAuditRecords": (TenantClient, "list_my_audit_records"),
    "ExportCustomerData": (PlatformClient, "iter_customer_data"),
    "DeleteCustomerData": (PlatformClient, "delete_customer_data"),
    "ListAuditRecords": (PlatformClient, "list_audit_records"),
}


def test_the_contract_has_the_five_services():
    services = {service for service, _rpc in every_rpc()}
    assert services == {
        "MemoryService",
        "ContextService",
        "CallService",
        "TenantService",
        "PrivacyService",
    }


@pytest.mark.parametrize(("service", "rpc"), every_rpc())
def test_every_rpc_has_a_client_method_that_calls_it(service, rpc):
    assert rpc in CLIENT_METHODS, f"{service}/{rpc} has no chad_client method"
    owner, name = CLIENT_METHODS[rpc]
    method = getattr(owner, name)
    source = inspect.getsource(method)
    assert f".{rpc}," in source or f".{rpc}\n" in source, f"{name} does not call {rpc}"
    # ... with its deadline from the one table, by the RPC's name.
    assert rpc in DEADLINES
    assert f'"{rpc}"' in source, f"{name} does not take its deadline from DEADLINES[{rpc!r}]"


def test_every_listed_method_is_an_rpc_of_the_contract():
    assert set(CLIENT_METHODS) == {rpc for _service, rpc in every_rpc()}


def _public(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(getattr(cls, name))
        for name in dir(cls)
        if not name.startswith("_") and callable(getattr(cls, name))
    }


@pytest.mark.parametrize(
    ("async_class", "sync_class"),
    [
        (AliceClient, SyncAliceClient),
        (TenantClient, SyncTenantClient),
        (PlatformClient, SyncPlatformClient),
    ],
)
def test_sync_twins_match_the_async_methods_by_signature(async_class, sync_class):
    async_methods, sync_methods = _public(async_class), _public(sync_class)
    assert set(async_methods) == set(sync_methods)
    for name, signature in async_methods.items():
        expected = [(p.name, p.kind, p.default) for p in signature.parameters.values()]
        actual = [(p.name, p.kind, p.default) for p in sync_methods[name].parameters.values()]
        assert actual == expected, name
