"""The JWT signing secret of the embedded set-up, kept in the data directory.

Without JWT_SECRET_KEY (and without DATABASE_URL) Alice generates a secret once
and keeps it in `<ALICE_DATA_DIR>/jwt_secret`, mode 0600; `alice-server` and
`alice-admin mint-token` read the same file. The minimum length is the
client's (`chad_client.tokens.MIN_SECRET_BYTES`): a token the client mints
from it is one the server accepts.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import tempfile
from pathlib import Path

from alice_server.data_dir import private_directory
from chad_client.tokens import MIN_SECRET_BYTES


def load_or_create_secret(data_dir: Path, *, name: str = "jwt_secret", nbytes: int = 48) -> str:
    """Return the secret stored in data_dir/name, creating it once.

    The file is created with mode 0600 and appears atomically with its content (written
    to a private temporary file, then hard-linked into place, which fails if the name
    exists), so two processes starting at once agree on one secret.

    Raises PermissionError (naming `chmod 600 <path>`) if the file is readable or writable
    by group or others, and ValueError if it is empty or shorter than 32 bytes. No message
    contains the secret.
    """
    directory = private_directory(data_dir)
    path = directory / name
    if not path.exists():
        _create_secret_file(path, _new_secret(nbytes))
    return _read_secret(path)


def _new_secret(nbytes: int) -> str:
    secret = secrets.token_urlsafe(nbytes)
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"nbytes={nbytes} gives a secret shorter than {MIN_SECRET_BYTES} bytes")
    return secret


def _create_secret_file(path: Path, secret: str) -> None:
    """Create path holding secret, mode 0600, unless it exists already (then keep that)."""
    fd, staging = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(secret + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(staging, path)
        except FileExistsError:
            pass  # another process won the race: everyone uses its secret
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
                raise
            _create_exclusive(path, secret)  # file system without hard links
    finally:
        os.unlink(staging)


def _create_exclusive(path: Path, secret: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(secret + "\n")
        file.flush()
        os.fsync(file.fileno())


def _read_secret(path: Path) -> str:
    with path.open("rb") as file:
        mode = os.fstat(file.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise ValueError(f"{path} is not a regular file")
        if mode & 0o077:
            raise PermissionError(
                f"{path} is accessible by group or others (mode {stat.S_IMODE(mode):04o}): "
                f"run `chmod 600 {path}` (and consider replacing the secret)"
            )
        raw = file.read()
    try:
        secret = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not UTF-8 text") from None
    if not secret:
        raise ValueError(f"{path} is empty: delete it to have a new secret generated")
    size = len(secret.encode("utf-8"))
    if size < MIN_SECRET_BYTES:
        raise ValueError(
            f"the secret in {path} is too short: {size} bytes, at least {MIN_SECRET_BYTES} "
            "are needed; delete the file to have a new secret generated"
        )
    return secret
