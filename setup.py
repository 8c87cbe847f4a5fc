"""Package discovery for the alice-server wheel (everything else is in pyproject.toml).

Every package under alice_server/ is found, so a new subpackage cannot be left
out of the wheel; migrations/ ships as alice_server._migrations and the demo
data file (data/demo/) as alice_server._demo; alice_console (the web console,
its templates and static files) ships in the same wheel. alice_server/llm/prompts/
and alice_console/templates/ and static/ hold data files only, yet Python
could import them, so they are named here too:
setuptools warns about (and may stop shipping) an importable directory left
out of `packages` (tests/test_packaging_warnings.py). chad_client is not here:
the chad-client distribution owns it (alice-server depends on it).
"""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["alice_server", "alice_server.*", "alice_console"]),
        "alice_server.llm.prompts",
        "alice_console.templates",
        "alice_console.static",
        "alice_server._migrations",
        "alice_server._migrations.versions",
        "alice_server._demo",
    ]
)
