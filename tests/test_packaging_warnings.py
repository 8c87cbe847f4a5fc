"""The alice-server wheel's package list covers every directory Python could
import (alice_server's and alice_console's), so setuptools prints no "Package
would be ignored" warning (it did for alice_server/llm/prompts/ at the first
`./dev serve`)."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any
from unittest import mock

from setuptools import find_namespace_packages

ROOT = Path(__file__).resolve().parents[1]


def _declared_packages() -> set[str]:
    captured: dict[str, Any] = {}
    with mock.patch("setuptools.setup", lambda **kwargs: captured.update(kwargs)):
        runpy.run_path(str(ROOT / "setup.py"), run_name="__main__")
    return set(captured["packages"])


def test_every_importable_directory_of_the_wheel_is_a_declared_package():
    importable = {
        name
        for name in find_namespace_packages(
            where=str(ROOT), include=["alice_server*", "alice_console*"]
        )
        if "__pycache__" not in name
    }
    # Data files only, still importable.
    assert {"alice_server.llm.prompts", "alice_console.templates"} <= importable
    missing = importable - _declared_packages()
    assert not missing, f"setuptools would warn about (and not ship) {sorted(missing)}"
