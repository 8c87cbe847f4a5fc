"""Hybrid memory search: meaning and words fused, signals per result, the bundled
model, the evaluation set's targets, and the embedding arithmetic in PostgreSQL
(pgvector where the server has it, exact SQL elsewhere)."""

from __future__ import annotations

import asyncio
import os
import sys

import asyncpg
import grpc
import numpy as np
import pytest

from alice_server.domain.embeddings import EMBEDDING_DIM
from alice_server.embedding_model import load_embedder
from alice_server.storage.repositories.memories import vector_of
from alice_server.testing import running_server
from alice_server.tools.eval_retrieval import evaluate, load_eval_set
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc, memory_service_pb2_grpc
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import resources_pb2 as res
from tests.helpers import status_of, struct
from tests.pgproxy import pg_proxy


async def _store(memories, tenant, caller, key, value, type_="fact", **extra):
    response = await memories.StoreMemory(
        mem.StoreMemoryRequest(user_id=caller, type=type_, key=key, value=value, **extra),
        metadata=tenant.metadata(),
    )
    return response.memory


async def _search(memories, tenant, caller, query, **extra):
    response = await memories.SearchMemories(
        mem.SearchMemoriesRequest(user_id=caller, query=query, **extra),
        metadata=tenant.metadata(),
    )
    return list(response.results)


async def test_the_readme_example_finds_its_memory_by_meaning(memories, peterson, caller_phone):
    stored = await _store(
        memories, peterson, caller_phone, "contact_time", struct(value="mornings"), "preference"
    )
    await _store(memories, peterson, caller_phone, "vehicle", struct(value="2021 Tesla Model 3"))
    # Keyword search alone finds nothing: no word is shared.
    assert (
        await _search(
            memories, peterson, caller_phone, "when to call", mode=mem.SEARCH_MODE_KEYWORD
        )
        == []
    )

    results = await _search(memories, peterson, caller_phone, "when to call")
    assert results[0].memory.id == stored.id
    top = results[0]
    assert top.semantic_match and top.semantic_rank == 1 and top.semantic_similarity > 0.1
    assert not top.keyword_match and top.keyword_rank == 0
    assert top.score == pytest.approx(1 / (60 + 1))


async def test_an_exact_identifier_wins_over_a_similar_one(memories, peterson, caller_phone):
    current = await _store(
        memories, peterson, caller_phone, "auto_policy_number", struct(value="PA-551907")
    )
    await _store(
        memories,
        peterson,
        caller_phone,
        "previous_auto_policy_number",
        struct(value="PA-551970", status="cancelled"),
    )
    for query in ("PA-551907", "my policy number is PA-551907"):
        results = await _search(memories, peterson, caller_phone, query)
        assert results[0].memory.id == current.id, query
        assert results[0].keyword_match and results[0].keyword_rank == 1


async def test_a_query_about_nothing_stored_finds_nothing(memories, peterson, caller_phone):
    await _store(memories, peterson, caller_phone, "pet", struct(value="a golden retriever"))
    await _store(memories, peterson, caller_phone, "car", struct(value="a 2019 sedan"))
    assert await _search(memories, peterson, caller_phone, "zanzibar") == []
    assert await _search(memories, peterson, caller_phone, "xqzv wplk") == []


async def test_semantic_mode_ranks_by_similarity_and_respects_filters(
    memories, peterson, smith, caller_phone
):
    dog = await _store(memories, peterson, caller_phone, "dog", struct(value="German shepherd Rex"))
    await _store(memories, peterson, caller_phone, "dog_note", struct(value="Rex"), type_="note")
    await _store(memories, smith, caller_phone, "dog", struct(value="a poodle"))  # other tenant
    results = await _search(
        memories,
        peterson,
        caller_phone,
        "does he have any pets",
        mode=mem.SEARCH_MODE_SEMANTIC,
        types=["fact"],
    )
    assert [r.memory.id for r in results] == [dog.id]
    assert results[0].score == pytest.approx(results[0].semantic_similarity)
    assert not results[0].keyword_match


async def test_shared_memories_are_searched_only_when_asked(memories, peterson, caller_phone):
    hours = await _store(
        memories,
        peterson,
        "",
        "office_hours",
        struct(value="Monday to Friday, 8 am to 6 pm"),
        scope=res.SCOPE_SHARED,
    )
    await _store(memories, peterson, caller_phone, "pet", struct(value="a parrot"))
    question = "when is the office open"
    assert hours.id not in [
        r.memory.id for r in await _search(memories, peterson, caller_phone, question)
    ]
    found = await _search(memories, peterson, caller_phone, question, include_shared=True)
    assert found[0].memory.id == hours.id


async def test_an_updated_value_is_searched_by_its_new_meaning(
    memories, peterson, caller_phone, database
):
    first = await _store(memories, peterson, caller_phone, "vehicle", struct(value="red bicycle"))
    owner = await asyncpg.connect(database.owner_url)
    try:
        before = vector_of(
            await owner.fetchval("SELECT embedding_bytes FROM memories WHERE id = $1", first.id)
        )
        await _store(
            memories, peterson, caller_phone, "vehicle", struct(value="2021 Tesla Model 3")
        )
        after = vector_of(
            await owner.fetchval("SELECT embedding_bytes FROM memories WHERE id = $1", first.id)
        )
    finally:
        await owner.close()
    assert len(before) == len(after) == EMBEDDING_DIM
    assert np.linalg.norm(after) == pytest.approx(1, abs=1e-5)
    expected = load_embedder().embed_memory("fact", "vehicle", {"value": "2021 Tesla Model 3"})
    assert np.allclose(after, expected, atol=1e-6)
    assert not np.allclose(before, after)


async def test_an_unknown_mode_is_invalid(memories, peterson, caller_phone):
    code, details = await status_of(
        memories.SearchMemories(
            mem.SearchMemoriesRequest(user_id=caller_phone, query="x", mode=9),
            metadata=peterson.metadata(),
        )
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "mode" in details


async def test_without_the_model_hybrid_is_keyword_and_semantic_is_refused(
    database, secret, peterson, caller_phone
):
    async with (
        running_server(
            database.app_url, secret, semantic_search="off", rate_limit_per_second=0
        ) as server,
        grpc.aio.insecure_channel(server.address) as channel,
    ):
        stub = memory_service_pb2_grpc.MemoryServiceStub(channel)
        stored = await _store(
            stub, peterson, caller_phone, "contact_time", struct(value="mornings")
        )
        # Stored without an embedding; keyword search still works.
        assert await _search(stub, peterson, caller_phone, "when to call") == []
        found = await _search(stub, peterson, caller_phone, "mornings")
        assert [r.memory.id for r in found] == [stored.id] and found[0].keyword_match
        code, details = await status_of(
            stub.SearchMemories(
                mem.SearchMemoriesRequest(
                    user_id=caller_phone, query="x", mode=mem.SEARCH_MODE_SEMANTIC
                ),
                metadata=peterson.metadata(),
            )
        )
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "ALICE_SEMANTIC_SEARCH" in details


@pytest.mark.slow
async def test_the_evaluation_set_meets_its_targets(alice, peterson):
    """The documented targets, through the real RPCs (docs/RETRIEVAL.md)."""
    report = await evaluate(alice.address, peterson.token(), load_eval_set())
    hybrid, keyword = report.results["hybrid"], report.results["keyword"]
    assert hybrid.recall_at(3) >= 0.9
    assert hybrid.recall_at(1) >= 0.75
    assert report.identifier_losses() == []
    # Fusion must add something over keywords alone.
    assert hybrid.recall_at(3) > keyword.recall_at(3)


async def test_embedding_distance_is_computed_by_pgvector_where_the_server_has_it(
    database, memories, peterson, caller_phone
):
    """The same numbers on either implementation of migration 0004's function."""
    await _store(memories, peterson, caller_phone, "dog", struct(value="German shepherd Rex"))
    query = load_embedder().embed_one("does he have any pets").tolist()
    owner = await asyncpg.connect(database.owner_url)
    try:
        available = await owner.fetchval(
            "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'"
        )
        installed = await owner.fetchval(
            "SELECT count(*) FROM pg_extension WHERE extname = 'vector'"
        )
        body = await owner.fetchval(
            "SELECT prosrc FROM pg_proc WHERE proname = 'alice_embedding_distance'"
        )
        rows = []
        for blob in await owner.fetch(
            "SELECT embedding_bytes FROM memories WHERE customer_id = $1 AND user_id = $2",
            peterson.id,
            caller_phone,
        ):
            embedding = [float(x) for x in vector_of(blob[0])]
            distance = await owner.fetchval(
                "SELECT alice_embedding_distance($1::real[], $2::real[])", embedding, query
            )
            rows.append({"embedding": embedding, "distance": distance})
    finally:
        await owner.close()
    # The test databases are created by a superuser, so pgvector is installed
    # wherever the server offers it (the embedded PostgreSQL 16 of `./dev test`).
    assert installed == available
    assert ("<#>" in body) == bool(available)
    for row in rows:
        assert row["distance"] == pytest.approx(-float(np.dot(row["embedding"], query)), abs=1e-5)


async def test_enriched_context_with_a_query_chooses_the_relevant_memories(
    memories, contexts, peterson, caller_phone
):
    vehicle = await _store(
        memories, peterson, caller_phone, "vehicle", struct(value="2021 Tesla Model 3")
    )
    for key, value in {
        "dog": "German shepherd named Rex",
        "birthday": "March 14",
        "occupation": "nurse at the county hospital",
    }.items():
        await _store(memories, peterson, caller_phone, key, struct(value=value))
    await _store(
        memories,
        peterson,
        caller_phone,
        "thread_history:t1",
        struct(messages=["my car is a Tesla"]),
        type_="thread_recap",
    )
    md = peterson.metadata()
    default = await contexts.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=caller_phone, num_memories=1), metadata=md
    )
    assert [m.key for m in default.memories] == ["occupation"]  # the newest, as before

    relevant = await contexts.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(
            user_id=caller_phone, num_memories=1, query="what car does he drive"
        ),
        metadata=md,
    )
    assert [m.id for m in relevant.memories] == [vehicle.id]
    assert "Tesla" in relevant.context

    # Transcripts stay out, and a query about nothing stored gives no memories.
    wide = await contexts.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=caller_phone, query="Tesla car"), metadata=md
    )
    assert "thread_recap" not in [m.type for m in wide.memories]
    nothing = await contexts.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=caller_phone, query="zanzibar"), metadata=md
    )
    assert list(nothing.memories) == []

    code, details = await status_of(
        contexts.GetEnrichedContext(
            ctx.GetEnrichedContextRequest(user_id=caller_phone, query="q" * 1001), metadata=md
        )
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "1000" in details


async def test_the_model_loads_with_no_network_at_all(tmp_path):
    """Every socket refused and the home directory empty: the bundled files suffice."""
    script = (
        "import socket\n"
        "def refuse(*a, **k):\n"
        "    raise OSError('network access attempted')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "socket.getaddrinfo = refuse\n"
        "from alice_server.domain.embeddings import EMBEDDING_DIM\n"
        "from alice_server.embedding_model import load_embedder\n"
        "vector = load_embedder().embed_one('when to call')\n"
        "assert len(vector) == EMBEDDING_DIM\n"
        "print('loaded')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "XDG_"))}
    env["HOME"] = str(tmp_path)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    assert out.decode().strip() == "loaded"
    assert not any(tmp_path.iterdir()), "nothing was written to the home directory"


async def test_enriched_context_with_a_query_is_still_one_round_trip(
    database, secret, peterson, caller_phone
):
    """Counted on the wire: the query-aware call start is one statement too (migration
    0004 extends 0003's function with the search candidates)."""
    md = peterson.metadata()
    request = ctx.GetEnrichedContextRequest(user_id=caller_phone, query="what car does he drive")
    async with (
        pg_proxy(database.app_url) as proxy,
        running_server(proxy.url, secret, rate_limit_per_second=0) as server,
        grpc.aio.insecure_channel(server.address) as channel,
    ):
        stub = memory_service_pb2_grpc.MemoryServiceStub(channel)
        contexts = context_service_pb2_grpc.ContextServiceStub(channel)
        vehicle = await _store(stub, peterson, caller_phone, "vehicle", struct(value="Tesla"))
        await _store(stub, peterson, caller_phone, "dog", struct(value="German shepherd"))
        await contexts.GetEnrichedContext(request, metadata=md)  # warm up
        proxy.reset_counts()
        response = await contexts.GetEnrichedContext(request, metadata=md)
        round_trips = proxy.round_trips
    assert response.memories[0].id == vehicle.id
    assert round_trips == 1


async def test_a_search_is_one_round_trip(database, secret, peterson, caller_phone):
    """Counted on the wire: SearchMemories is one statement that sets the tenant itself
    (migration 0011), no BEGIN or COMMIT exchange; what it finds is unchanged."""
    md = peterson.metadata()
    request = mem.SearchMemoriesRequest(
        user_id=caller_phone, query="what car does he drive", include_shared=True
    )
    async with (
        pg_proxy(database.app_url) as proxy,
        running_server(proxy.url, secret, rate_limit_per_second=0) as server,
        grpc.aio.insecure_channel(server.address) as channel,
    ):
        stub = memory_service_pb2_grpc.MemoryServiceStub(channel)
        vehicle = await _store(stub, peterson, caller_phone, "vehicle", struct(value="Tesla"))
        await _store(stub, peterson, caller_phone, "dog", struct(value="German shepherd"))
        await stub.SearchMemories(request, metadata=md)  # warm up (prepares the statement)
        proxy.reset_counts()
        response = await stub.SearchMemories(request, metadata=md)
        round_trips = proxy.round_trips
    assert response.results[0].memory.id == vehicle.id
    assert round_trips == 1


def test_semantic_search_setting(monkeypatch):
    from alice_server import embedding_model
    from alice_server.config import ConfigError, Settings

    with pytest.raises(ConfigError, match="ALICE_SEMANTIC_SEARCH"):
        Settings.from_env({"ALICE_SEMANTIC_SEARCH": "maybe"})
    assert embedding_model.embedder_for("off") is None
    assert embedding_model.embedder_for("auto") is not None
    # Without the package: `auto` serves keywords only, `on` refuses to start.
    monkeypatch.setattr(embedding_model, "model_available", lambda: False)
    embedding_model.load_embedder.cache_clear()
    try:
        assert embedding_model.embedder_for("auto") is None
        with pytest.raises(ConfigError, match=r"ALICE_SEMANTIC_SEARCH=on, but .*wordllama"):
            embedding_model.embedder_for("on")
    finally:
        embedding_model.load_embedder.cache_clear()


async def test_a_search_uses_at_most_32_distinct_query_words(memories, peterson, caller_phone):
    """Issue 7: an expensive search is bounded. Words after the query's 32nd distinct
    word are ignored (documented in the proto), so a memory matching only such a
    word is not found by keywords, while one matching an earlier word is."""
    early = await _store(memories, peterson, caller_phone, "pet", struct(value="zebrafish"))
    late = await _store(memories, peterson, caller_phone, "car", struct(value="xylophone"))
    filler = [f"filler{i}" for i in range(31)]
    query = " ".join(["zebrafish", *filler, "filler0 Filler1", "xylophone"])
    found = {
        r.memory.id
        for r in await _search(
            memories, peterson, caller_phone, query, mode=mem.SEARCH_MODE_KEYWORD
        )
    }
    assert early.id in found
    assert late.id not in found
    # Within the bound, the same word is searched.
    found = {
        r.memory.id
        for r in await _search(
            memories,
            peterson,
            caller_phone,
            " ".join(["zebrafish", *filler[:30], "xylophone"]),
            mode=mem.SEARCH_MODE_KEYWORD,
        )
    }
    assert {early.id, late.id} <= found
