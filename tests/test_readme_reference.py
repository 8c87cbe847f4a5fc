"""README.md as a reference: every setting the code reads is in the settings
tables (docs/settings.md, linked from the README), and its Layout names every
top-level file and directory of the repository."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from alice_server.config import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
SETTINGS = ROOT / "docs" / "settings.md"
SETTING = re.compile(r"^(ALICE_[A-Z0-9_]+|JWT_[A-Z0-9_]+|DATABASE_URL)$")
# Named in the source as quoted strings: os.environ reads outside config.py, constants.
QUOTED = re.compile(r"""["'](ALICE_[A-Z0-9_]+|JWT_[A-Z0-9_]+|DATABASE_URL)["']""")


def _section(title: str) -> str:
    body = README.split(f"\n## {title}\n", 1)[1]
    return body.split("\n## ", 1)[0]


def _documented_settings() -> set[str]:
    """The first column of every table of docs/settings.md."""
    names: set[str] = set()
    for line in SETTINGS.read_text().splitlines():
        if line.startswith("| `"):
            first = line.split("|")[1]
            names.update(re.findall(r"`([A-Z0-9_]+)`", first))
    return names


class _Recording(Mapping[str, str]):
    """An empty environment that remembers every name looked up in it."""

    def __init__(self) -> None:
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        raise KeyError(key)

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.read.add(key)
        return default

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.read.add(key)
        return False

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def test_every_setting_config_reads_is_documented_in_the_readme():
    environment = _Recording()
    Settings.from_env(environment)
    read = {name for name in environment.read if SETTING.match(name)}
    assert len(read) >= 30, sorted(environment.read)  # the recording saw the reads
    missing = read - _documented_settings()
    assert not missing, f"settings read by config.py but not in docs/settings.md: {missing}"


def test_every_setting_named_anywhere_in_alice_server_is_documented():
    named = {
        name
        for path in (ROOT / "alice_server").rglob("*.py")
        for name in QUOTED.findall(path.read_text())
    }
    assert "ALICE_EMBEDDED_BACKEND" in named  # read by embedded.py, not config.py
    missing = named - _documented_settings()
    assert not missing, f"settings named in alice_server but not in docs/settings.md: {missing}"


def _layout_block() -> str:
    return _section("Layout").split("```", 2)[1]


def _tracked_top_level() -> set[str]:
    try:
        listed = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return {line.split("/", 1)[0] for line in listed.splitlines() if line} - {".gitignore"}


def test_the_readme_layout_names_every_top_level_file_and_directory():
    block = _layout_block()
    entries = _tracked_top_level()
    assert {"deploy", "Dockerfile", "compose.yaml", "data", "docs", "MIGRATION.md"} <= entries
    missing = {
        name
        for name in entries
        if not re.search(rf"(^|[\s,]){re.escape(name)}(/|[\s,]|$)", block, re.MULTILINE)
    }
    assert not missing, f"README's Layout does not name: {sorted(missing)}"
    # The run-time prompt and the packages a newcomer looks for are named too.
    for part in ("llm/", "admin/", "tools/", "domain/summarizer/", "call_analysis.v2.txt"):
        assert part in block, part


def test_the_readme_links_the_reference_pages_it_moved_to_docs():
    for page in ("docs/settings.md", "docs/errors.md", "docs/operations.md"):
        assert (ROOT / page).is_file() and f"]({page})" in README, page
    # Every relative link of the README and of those pages leads to a file, and
    # every #anchor to a heading of its page.
    pages = (ROOT / "README.md", SETTINGS, ROOT / "docs/errors.md", ROOT / "docs/operations.md")
    for source in pages:
        for target, anchor in re.findall(r"\]\(([^)#:]*)(?:#([^)]*))?\)", source.read_text()):
            page = source.parent / target if target else source
            assert page.exists(), f"{source.name} links to missing {target}"
            if anchor and page.suffix == ".md":
                assert anchor in _anchors(page), f"{source.name} links to {target}#{anchor}"


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors of a Markdown page's headings."""
    headings = re.findall(r"^#{1,6} +(.+?)\s*$", page.read_text(), re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}
