"""Settings are declared once (alice_server/config.py): each field names its variable,
parser and default, `Settings.from_env` reads exactly those, and the documented
settings table (docs/settings.md, which README.md links to) states the same defaults."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import pytest

from alice_server.config import ConfigError, Settings, cores, default_data_dir

ROOT = Path(__file__).resolve().parents[1]
SETTING = re.compile(r"(ALICE_[A-Z0-9_]+|JWT_[A-Z0-9_]+|DATABASE_URL)")


def _readme_defaults() -> dict[str, str]:
    """Variable -> its default cell, from the settings tables of docs/settings.md
    (rows `| `VARIABLE` | default | meaning |`)."""
    cells: dict[str, str] = {}
    for page in [ROOT / "docs" / "settings.md"]:
        for line in page.read_text().splitlines():
            if not line.startswith("| `"):
                continue
            columns = line.split("|")
            names = re.findall(r"`([A-Z0-9_]+)`", columns[1])
            if names and all(SETTING.fullmatch(name) for name in names):
                for name in names:
                    cells.setdefault(name, columns[2].strip())
    return cells


def _as_readme_writes_it(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def test_every_declared_setting_has_its_default_in_the_readme():
    documented = _readme_defaults()
    for spec in Settings.declared():
        assert spec.env in documented, f"{spec.env} is not in the documented settings"
        cell = documented[spec.env]
        if callable(spec.default):
            continue  # computed: checked below
        if spec.default is None:  # unset (JWT_SECRET_KEY: generated for the embedded database)
            assert cell.startswith(("unset", "embedded:")), (spec.env, cell)
        else:
            first = re.search(r"`([^`]*)`", cell)
            assert first is not None, (spec.env, cell)
            assert first.group(1) == _as_readme_writes_it(spec.default), (spec.env, cell)


def test_the_computed_defaults_are_the_cores_and_the_xdg_data_directory(tmp_path):
    documented = _readme_defaults()
    assert documented["ALICE_WORKERS"] == "number of cores"
    assert "XDG_DATA_HOME" in documented["ALICE_DATA_DIR"]
    settings = Settings.from_env({"XDG_DATA_HOME": str(tmp_path)})
    assert settings.workers == cores() == Settings().workers
    assert (
        settings.data_dir
        == tmp_path / "alice"
        == default_data_dir({"XDG_DATA_HOME": str(tmp_path)})
    )


def test_from_env_reads_each_declared_variable_and_nothing_is_declared_twice():
    names = [spec.env for spec in Settings.declared()]
    assert len(names) == len(set(names))
    assert len(names) == len(dataclasses.fields(Settings))
    # Every field takes its value from its own variable.
    env = {
        "ALICE_DB_POOL_SIZE": "7",
        "ALICE_RATE_LIMIT_PER_SECOND": "2.5",
        "ALICE_REFLECTION": "off",
        "ALICE_LOG_LEVEL": "warning",
        "ALICE_LOG_FORMAT": "JSON",
        "ALICE_DATA_DIR": "~/somewhere",
        "ALICE_WORKERS": "3",
        "ALICE_LISTEN_ADDRESS": "  0.0.0.0:1234  ",
    }
    settings = Settings.from_env(env)
    assert (settings.db_pool_size, settings.rate_limit_per_second) == (7, 2.5)
    assert (settings.reflection, settings.log_level, settings.log_format) == (
        False,
        "WARNING",
        "json",
    )
    assert settings.data_dir == Path(os.path.expanduser("~/somewhere"))
    assert (settings.workers, settings.listen_address) == (3, "0.0.0.0:1234")
    # Blank is unset.
    assert Settings.from_env({"ALICE_DB_POOL_SIZE": "  "}).db_pool_size == 10


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ALICE_DB_POOL_SIZE": "many"}, "ALICE_DB_POOL_SIZE must be an integer, got 'many'"),
        ({"ALICE_DB_POOL_SIZE": "0"}, "ALICE_DB_POOL_SIZE must be at least 1, got 0"),
        ({"ALICE_HEALTH_CHECK_SECONDS": "nan"}, "ALICE_HEALTH_CHECK_SECONDS must be at least"),
        ({"ALICE_REFLECTION": "maybe"}, "ALICE_REFLECTION must be true or false"),
        ({"ALICE_WORKERS": "0"}, "ALICE_WORKERS must be at least 1"),
        ({"JWT_SECRET_KEY": "short"}, "JWT_SECRET_KEY is too short"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(env, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        Settings.from_env(env)


def test_secrets_stay_out_of_the_settings_repr():
    secret = "s" * 48
    settings = Settings.from_env({"JWT_SECRET_KEY": secret, "ALICE_LLM_API_KEY": "sk-hidden"})
    assert settings.jwt_secret == secret
    assert secret not in repr(settings) and "sk-hidden" not in repr(settings)
