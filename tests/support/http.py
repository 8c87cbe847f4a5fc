"""Plain HTTP for the endpoints the tests start (metrics, Prometheus)."""

from __future__ import annotations

import urllib.request


def http_get(url: str) -> str:
    """The body of a GET of a local URL, as text."""
    with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310 - a local test URL
        return str(reply.read().decode())
