"""Child processes that never outlive the process that started them.

The server's workers (ALICE_WORKERS, alice_server.workers) and the summariser's
worker processes (alice_server.summarizer_pool) call `die_with_parent` first
thing: when their parent ends, even by SIGKILL, they get `sig` (SIGTERM lets a
server worker stop gracefully; the summariser's take SIGKILL).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading

PR_SET_PDEATHSIG = 1  # linux/prctl.h
WATCH_INTERVAL_SECONDS = 0.5


def die_with_parent(parent_pid: int, sig: signal.Signals = signal.SIGTERM) -> None:
    """Have `sig` sent to this process when `parent_pid`, its parent, ends.

    Linux: the kernel sends it (prctl PR_SET_PDEATHSIG; it fires when the
    *thread* that started this process ends, so start children from the main
    thread). Elsewhere, or if prctl fails, a daemon thread watches the parent.
    If the parent is gone already, exit at once.
    """
    armed = sys.platform.startswith("linux") and _ask_the_kernel(sig)
    if os.getppid() != parent_pid:  # it died before the request took effect
        os._exit(1)
    if not armed:
        watch_parent(parent_pid, sig)


def watch_parent(
    parent_pid: int, sig: signal.Signals, interval: float = WATCH_INTERVAL_SECONDS
) -> None:
    """A daemon thread that sends `sig` to this process once its parent is gone."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            threading.Event().wait(interval)
        os.kill(os.getpid(), sig)

    threading.Thread(target=watch, name="alice-parent-watch", daemon=True).start()


def _ask_the_kernel(sig: signal.Signals) -> bool:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0)
    return False
