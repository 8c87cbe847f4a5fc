"""Alice's data directory (ALICE_DATA_DIR): where it is by default, and made private.

It holds the embedded database (`pgdata/`) and the signing secret (`jwt_secret`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def default_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """`$XDG_DATA_HOME/alice`, or `~/.local/share/alice`."""
    environ = os.environ if env is None else env
    base = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "alice"


def private_directory(directory: Path) -> Path:
    """Create `directory` (mode 0700) if missing; return its resolved path."""
    directory = directory.expanduser()
    if not directory.is_dir():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory.chmod(0o700)
    return directory.resolve()
