"""AIP-158 pagination: page sizes and opaque, tamper-proof page tokens.

A token holds the keyset position after the last item of a page, the name of
the list and a fingerprint of the tenant and filters it was issued for, signed
with an HMAC. A token that was altered, issued by another server secret, for
another list, tenant or filter is refused with INVALID_ARGUMENT.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from alice_server.domain.errors import InvalidArgument

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
_MAC_BYTES = 16


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument("page_size must not be negative")
    if requested == 0:
        return DEFAULT_PAGE_SIZE
    return min(requested, MAX_PAGE_SIZE)


class PageTokens:
    """Encodes and checks page tokens with a key derived from the server secret."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), b"alice page tokens v1", hashlib.sha256).digest()

    def encode(self, kind: str, scope: Sequence[Any], position: Sequence[Any]) -> str:
        body = json.dumps(
            {"k": kind, "s": self._fingerprint(scope), "p": list(position)},
            separators=(",", ":"),
        ).encode()
        token = body + hmac.new(self._key, body, hashlib.sha256).digest()[:_MAC_BYTES]
        return base64.urlsafe_b64encode(token).decode().rstrip("=")

    def decode(self, token: str, kind: str, scope: Sequence[Any]) -> list[Any] | None:
        """The position in `token`, or None for an empty token (the first page)."""
        if not token:
            return None
        invalid = _invalid_token()
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, TypeError):
            raise invalid from None
        body, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        expected = hmac.new(self._key, body, hashlib.sha256).digest()[:_MAC_BYTES]
        if len(raw) <= _MAC_BYTES or not hmac.compare_digest(mac, expected):
            raise invalid
        payload = json.loads(body)
        if payload.get("k") != kind or payload.get("s") != self._fingerprint(scope):
            raise invalid
        position = payload.get("p")
        if not isinstance(position, list):
            raise invalid
        return position

    def _fingerprint(self, scope: Sequence[Any]) -> str:
        data = json.dumps(list(scope), separators=(",", ":"), default=str).encode()
        return hmac.new(self._key, data, hashlib.sha256).hexdigest()[:16]

    def request(
        self,
        *,
        kind: str,
        scope: Sequence[Any],
        requested_size: int,
        page_token: str,
        key_types: Sequence[type],
    ) -> PageRequest:
        """What a repository needs to read one page: its size and the keyset position
        (typed as `key_types`, e.g. (datetime, UUID)) after which it starts."""
        size = page_size(requested_size)
        position = self.decode(page_token, kind, scope)
        after = None
        if position is not None:
            if len(position) != len(key_types):
                raise _invalid_token()
            after = tuple(_parse(t, v) for t, v in zip(key_types, position, strict=True))
        return PageRequest(kind, tuple(scope), size, after)

    def finish(
        self, request: PageRequest, rows: Sequence[T], key: Callable[[T], Sequence[Any]]
    ) -> tuple[list[T], str]:
        """`rows` as read with `limit=request.fetch` (one more than the page): the page,
        and the token of the next one ('' at the end)."""
        if len(rows) <= request.size:
            return list(rows), ""
        page = list(rows[: request.size])
        last = [_dump(value) for value in key(page[-1])]
        return page, self.encode(request.kind, request.scope, last)


@dataclass(frozen=True, slots=True)
class PageRequest:
    """One page to read, newest first: `fetch` rows after the keyset position `after`."""

    kind: str
    scope: tuple[Any, ...]
    size: int
    after: tuple[Any, ...] | None

    @property
    def fetch(self) -> int:
        """Rows to read: one more than the page, to know whether another page follows."""
        return self.size + 1


def _invalid_token() -> InvalidArgument:
    return InvalidArgument(
        "page_token is not valid for this request: pass the next_page_token of the "
        "previous response unchanged, with the same filters"
    )


def _dump(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _parse(kind: type, value: Any) -> Any:
    """A position value back as its column's Python type; anything else is invalid."""
    try:
        if kind is dt.datetime:
            parsed = dt.datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError("naive timestamp")
            return parsed
        if kind is uuid.UUID:
            return uuid.UUID(value)
    except (TypeError, ValueError):
        raise _invalid_token() from None
    if type(value) is not kind:
        raise _invalid_token()
    return value
