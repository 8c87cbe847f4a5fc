"""Two tenants, the same caller phone number: neither sees the other's data."""

from __future__ import annotations

from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import resources_pb2 as res
from tests.helpers import status_of, struct

SHARED_CALLER = "+15551111111"


async def _store(memories, tenant, user_id, name):  # type: ignore[no-untyped-def]
    return await memories.StoreMemory(
        mem.StoreMemoryRequest(
            user_id=user_id, type="person", key="client_name", value=struct(name=name)
        ),
        metadata=tenant.metadata(),
    )


async def _visible_names(memories, contexts, tenant, user_id):  # type: ignore[no-untyped-def]
    listed = await memories.ListMemories(
        mem.ListMemoriesRequest(user_id=user_id, include_shared=True), metadata=tenant.metadata()
    )
    found = await memories.SearchMemories(
        mem.SearchMemoriesRequest(user_id=user_id, query="John Jane client", include_shared=True),
        metadata=tenant.metadata(),
    )
    context = await contexts.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=user_id), metadata=tenant.metadata()
    )
    names = {m.value["name"] for m in listed.memories}
    names |= {r.memory.value["name"] for r in found.results}
    names |= {m.value["name"] for m in context.memories}
    return names, context


async def test_peterson_cannot_see_smith_data(memories, contexts, peterson, smith):
    await _store(memories, peterson, SHARED_CALLER, "Peterson client John")
    await _store(memories, smith, SHARED_CALLER, "Smith client Jane")

    names, context = await _visible_names(memories, contexts, peterson, SHARED_CALLER)

    assert names == {"Peterson client John"}
    assert "Jane" not in context.context
    assert context.customer_id == peterson.id


async def test_smith_cannot_see_peterson_data(memories, contexts, peterson, smith):
    # The same caller, written two other ways: normalised to one E.164 number.
    await _store(memories, peterson, "(555) 111-1111", "Peterson client John")
    await _store(memories, smith, "5551111111", "Smith client Jane")

    names, context = await _visible_names(memories, contexts, smith, SHARED_CALLER)

    assert names == {"Smith client Jane"}
    assert "John" not in context.context
    assert context.customer_id == smith.id


async def test_cross_tenant_spoofing_ignored(memories, contexts, peterson, smith):
    """No request carries a customer_id: an unknown field naming another tenant is ignored."""
    await _store(memories, smith, SHARED_CALLER, "Smith client Jane")
    request = ctx.GetEnrichedContextRequest(user_id=SHARED_CALLER)
    # Append field 99 = varint smith.id, as a client speaking a forged schema would.
    forged = request.SerializeToString() + _varint(99 << 3 | 0) + _varint(smith.id)
    forged_request = ctx.GetEnrichedContextRequest.FromString(forged)
    assert forged_request.SerializeToString() == forged  # the unknown field is sent
    spoofed_metadata = (*peterson.metadata(), ("x-customer-id", str(smith.id)))

    response = await contexts.GetEnrichedContext(forged_request, metadata=spoofed_metadata)

    assert response.customer_id == peterson.id
    assert response.is_new_caller
    assert "Jane" not in response.context
    stored = await _store(memories, peterson, SHARED_CALLER, "Peterson client John")
    assert stored.customer_id == peterson.id


async def test_get_and_delete_of_another_tenants_memory_are_not_found(memories, peterson, smith):
    smiths = await _store(memories, smith, SHARED_CALLER, "Smith client Jane")
    memory_id = smiths.memory.id
    missing = "00000000-0000-4000-8000-000000000000"

    for request_id in (memory_id, missing):
        code, details = await status_of(
            memories.GetMemory(mem.GetMemoryRequest(id=request_id), metadata=peterson.metadata())
        )
        assert code.name == "NOT_FOUND"
        assert details == f"memory {request_id} not found"
        code, _ = await status_of(
            memories.DeleteMemory(
                mem.DeleteMemoryRequest(id=request_id), metadata=peterson.metadata()
            )
        )
        assert code.name == "NOT_FOUND"

    still_there = await memories.GetMemory(
        mem.GetMemoryRequest(id=memory_id), metadata=smith.metadata()
    )
    assert still_there.memory.value["name"] == "Smith client Jane"
    assert still_there.memory.scope == res.SCOPE_USER


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)
