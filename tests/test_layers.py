"""The module layout keeps its rules (docs/ARCHITECTURE.md), read from the source with
`ast`: no import loop, a pure domain, services without drivers, units of work that
do not hand out their connection, one place that sets the tenant, and tests that
share helpers through tests/support/ only."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from alice_server.storage.unit_of_work import AdminUnitOfWork, StatementUnit, TenantUnitOfWork

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "alice_server"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[str]:
    """Every module an import anywhere in `path` names (top level, functions,
    TYPE_CHECKING blocks alike), with relative imports resolved."""
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path.parent)
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def test_no_module_of_alice_server_imports_itself_back():
    modules = _modules()
    graph = {
        name: {m for m in _imports(path) if m in modules} - {name} for name, path in modules.items()
    }
    loops: list[list[str]] = []
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            loops.append([*trail[trail.index(name) :], name])
            return
        if name in done:
            return
        for imported in sorted(graph[name]):
            visit(imported, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    assert loops == []


def test_the_domain_imports_neither_storage_nor_grpc_nor_model_loaders():
    forbidden = ("grpc", "asyncpg", "sqlalchemy", "alembic", "redis", "wordllama", "google")
    for path in (PACKAGE / "domain").rglob("*.py"):
        for module in _imports(path):
            top = module.split(".")[0]
            assert top not in forbidden, (path, module)
            if top == "alice_server":
                assert module.startswith("alice_server.domain"), (path, module)


def test_services_use_no_driver_and_no_grpc():
    for path in (PACKAGE / "services").rglob("*.py"):
        for module in _imports(path):
            top = module.split(".")[0]
            assert top not in ("grpc", "asyncpg", "sqlalchemy"), (path, module)
            assert not module.startswith("alice_server.servicers"), (path, module)


def test_no_unit_of_work_hands_out_its_connection():
    for unit in (TenantUnitOfWork, AdminUnitOfWork, StatementUnit):
        public = [name for name in unit.__slots__ if not name.startswith("_")]
        assert not [name for name in public if "connection" in name or name == "database"], unit


def _code_strings(path: Path) -> Iterator[str]:
    """The string constants of `path`'s code (docstrings left out)."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node.value


def test_only_the_unit_of_work_sets_the_tenant():
    found = [
        str(path.relative_to(ROOT))
        for path in sorted(PACKAGE.rglob("*.py"))
        if any("alice.customer_id" in text for text in _code_strings(path))
    ]
    assert found == ["alice_server/storage/unit_of_work.py"]


def test_no_test_imports_from_another_test_module():
    offenders = []
    for path in (ROOT / "tests").rglob("*.py"):
        for module in _imports(path):
            if re.match(r"tests\.(test_\w+|conftest)(\.|$)", module):
                offenders.append(f"{path.relative_to(ROOT)}: {module}")
    assert offenders == [], "shared helpers belong in tests/support/"
