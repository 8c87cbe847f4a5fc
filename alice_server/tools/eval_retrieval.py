"""Retrieval quality on the evaluation set, measured through a real Alice.

    python -m alice_server.tools.eval_retrieval [--data data/eval/retrieval.jsonl]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres] [--show-misses] [--check]

Creates a throw-away database (on the superuser URL given, else
ALICE_TEST_DATABASE_URL, else an embedded PostgreSQL 16 in a temporary
directory), starts the real server on a free port, stores the set's memories
through StoreMemory as one tenant, asks every question through SearchMemories
in the three modes (keyword, semantic, hybrid) and prints recall@1, recall@3
and MRR side by side, and the exact-identifier questions that hybrid ranks
lower than keyword search does. `--check` exits 1 when the targets of
docs/RETRIEVAL.md are missed. Everything it created is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "data" / "eval" / "retrieval.jsonl"
MODES = ("keyword", "semantic", "hybrid")
TARGET_RECALL_AT_3 = 0.9
TARGET_RECALL_AT_1 = 0.75


@dataclass(frozen=True, slots=True)
class EvalMemory:
    id: str
    caller: str  # '' for a shared memory
    type: str
    key: str
    value: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EvalQuestion:
    caller: str
    question: str
    expected: str
    identifier: bool


@dataclass(frozen=True, slots=True)
class EvalSet:
    memories: list[EvalMemory]
    questions: list[EvalQuestion]


def load_eval_set(path: Path = DEFAULT_DATA) -> EvalSet:
    memories: list[EvalMemory] = []
    questions: list[EvalQuestion] = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        record = json.loads(line)
        kind = record.pop("kind")
        if kind == "memory":
            memories.append(EvalMemory(**record))
        elif kind == "question":
            questions.append(EvalQuestion(**record))
        else:
            raise ValueError(f"{path}:{number}: unknown kind {kind!r}")
    ids = {m.id for m in memories}
    if len(ids) != len(memories):
        raise ValueError(f"{path}: memory ids are not unique")
    for q in questions:
        if q.expected not in ids:
            raise ValueError(f"{path}: question {q.question!r} expects unknown {q.expected!r}")
    return EvalSet(memories, questions)


@dataclass
class ModeResult:
    ranks: list[int] = field(default_factory=list)  # 0 = not returned

    def recall_at(self, k: int) -> float:
        return sum(1 for r in self.ranks if 0 < r <= k) / len(self.ranks)

    @property
    def mrr(self) -> float:
        return sum(1 / r for r in self.ranks if r) / len(self.ranks)


@dataclass
class EvalReport:
    data: EvalSet
    results: dict[str, ModeResult]

    def identifier_losses(self) -> list[EvalQuestion]:
        """Identifier questions keyword search ranks first and hybrid does not."""
        keyword, hybrid = self.results["keyword"].ranks, self.results["hybrid"].ranks
        return [
            q
            for q, k, h in zip(self.data.questions, keyword, hybrid, strict=True)
            if q.identifier and k == 1 and h != 1
        ]

    def targets_met(self) -> bool:
        hybrid = self.results["hybrid"]
        return (
            hybrid.recall_at(3) >= TARGET_RECALL_AT_3
            and hybrid.recall_at(1) >= TARGET_RECALL_AT_1
            and not self.identifier_losses()
        )

    def table(self) -> str:
        identifiers = [i for i, q in enumerate(self.data.questions) if q.identifier]
        lines = [
            f"{len(self.data.memories)} memories, {len(self.data.questions)} questions "
            f"({len(identifiers)} exact-identifier)",
            f"{'mode':10} {'recall@1':>9} {'recall@3':>9} {'MRR':>6} {'identifier@1':>13}",
        ]
        for mode in MODES:
            r = self.results[mode]
            ids_first = sum(1 for i in identifiers if r.ranks[i] == 1)
            lines.append(
                f"{mode:10} {r.recall_at(1):9.3f} {r.recall_at(3):9.3f} {r.mrr:6.3f} "
                f"{ids_first:>6}/{len(identifiers)}"
            )
        lost = self.identifier_losses()
        lines.append(f"identifier questions lost by hybrid vs keyword: {len(lost)}")
        lines.extend(f"  lost: {q.question!r}" for q in lost)
        return "\n".join(lines)

    def misses(self) -> str:
        lines = []
        for i, q in enumerate(self.data.questions):
            ranks = {mode: self.results[mode].ranks[i] for mode in MODES}
            if ranks["hybrid"] != 1:
                shown = " ".join(f"{m}={r or '-'}" for m, r in ranks.items())
                lines.append(f"  {q.question!r} -> {q.expected}: {shown}")
        return "\n".join(["not first in hybrid:", *lines])


async def evaluate(address: str, token: str, data: EvalSet) -> EvalReport:
    """Store the set as one tenant through `address` and ask every question in each mode."""
    import grpc
    from google.protobuf import struct_pb2

    from chad_client.v1 import memory_service_pb2 as pb
    from chad_client.v1 import memory_service_pb2_grpc as pb_grpc
    from chad_client.v1 import resources_pb2 as res

    metadata = (("authorization", f"Bearer {token}"),)
    modes = {
        "keyword": pb.SEARCH_MODE_KEYWORD,
        "semantic": pb.SEARCH_MODE_SEMANTIC,
        "hybrid": pb.SEARCH_MODE_HYBRID,
    }
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.MemoryServiceStub(channel)  # type: ignore[no-untyped-call]
        uuid_to_eval: dict[str, str] = {}
        for memory in data.memories:
            value = struct_pb2.Struct()
            value.update(memory.value)
            stored = await stub.StoreMemory(
                pb.StoreMemoryRequest(
                    user_id=memory.caller,
                    scope=res.SCOPE_SHARED if not memory.caller else res.SCOPE_USER,
                    type=memory.type,
                    key=memory.key,
                    value=value,
                    source="eval",
                ),
                metadata=metadata,
                timeout=10,
            )
            uuid_to_eval[stored.memory.id] = memory.id
        results = {mode: ModeResult() for mode in MODES}
        for question in data.questions:
            for mode in MODES:
                response = await stub.SearchMemories(
                    pb.SearchMemoriesRequest(
                        user_id=question.caller,
                        query=question.question,
                        include_shared=True,
                        limit=10,
                        mode=modes[mode],
                    ),
                    metadata=metadata,
                    timeout=10,
                )
                found = [uuid_to_eval[r.memory.id] for r in response.results]
                rank = found.index(question.expected) + 1 if question.expected in found else 0
                results[mode].ranks.append(rank)
    return EvalReport(data, results)


@asynccontextmanager
async def _superuser_url(given: str | None) -> AsyncIterator[str]:
    if given:
        yield given
        return
    from alice_server.embedded import EmbeddedPostgres

    directory = Path(tempfile.mkdtemp(prefix="alice-eval-", dir="/tmp"))
    cluster = await asyncio.to_thread(EmbeddedPostgres.start, directory, delete_on_stop=True)
    try:
        yield cluster.url("postgres")
    finally:
        await asyncio.to_thread(cluster.stop)
        shutil.rmtree(directory, ignore_errors=True)


async def run(data: EvalSet, superuser_url: str | None) -> EvalReport:
    import asyncpg

    from alice_server.auth import mint_token
    from alice_server.testing import running_server, temporary_database

    secret = secrets.token_urlsafe(48)
    async with (
        _superuser_url(superuser_url) as url,
        temporary_database(url) as db,
        running_server(db.app_url, secret, rate_limit_per_second=0) as alice,
    ):
        owner = await asyncpg.connect(db.owner_url)
        try:
            customer_id = int(
                await owner.fetchval(
                    "INSERT INTO customers (business_name) VALUES ('Retrieval evaluation') "
                    "RETURNING id"
                )
            )
        finally:
            await owner.close()
        token = mint_token(secret, customer_id, scope="memory:read:write")
        return await evaluate(alice.address, token, data)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m alice_server.tools.eval_retrieval",
        description="Recall@1, recall@3 and MRR of keyword, semantic and hybrid SearchMemories.",
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="evaluation set (JSONL)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("ALICE_TEST_DATABASE_URL"),
        help="a superuser URL to create the throw-away database on (default: "
        "ALICE_TEST_DATABASE_URL, else an embedded PostgreSQL)",
    )
    parser.add_argument("--show-misses", action="store_true", help="list questions not ranked 1st")
    parser.add_argument("--check", action="store_true", help="exit 1 if the targets are missed")
    args = parser.parse_args(argv)
    report = asyncio.run(run(load_eval_set(args.data), args.database_url))
    print(report.table())
    if args.show_misses:
        print(report.misses())
    met = report.targets_met()
    print(
        f"targets (hybrid recall@3 >= {TARGET_RECALL_AT_3}, recall@1 >= {TARGET_RECALL_AT_1}, "
        f"no identifier lost): {'met' if met else 'MISSED'}"
    )
    return 0 if met or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
