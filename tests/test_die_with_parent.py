"""A child that called die_with_parent ends when its parent is killed with SIGKILL, by
the signal it asked for: through the kernel (Linux) and through the watcher thread
(elsewhere, or when the kernel refuses)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# The parent starts the child, prints its pid, and waits to be killed.
PARENT = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], str(os.getpid()), *sys.argv[2:]])
print(child.pid, flush=True)
time.sleep(600)
"""
# The child records the signal that ends it, then says it is armed.
CHILD = """
import os, signal, sys, time
from pathlib import Path
from alice_server.die_with_parent import die_with_parent, watch_parent

parent, how, sig, record = int(sys.argv[1]), sys.argv[2], signal.Signals[sys.argv[3]], sys.argv[4]

def ended(number, frame):
    Path(record).write_text(signal.Signals(number).name)
    os._exit(0)

if sig != signal.SIGKILL:
    signal.signal(sig, ended)
if how == "kernel":
    die_with_parent(parent, sig)
else:
    watch_parent(parent, sig, interval=0.05)
print("armed", flush=True)
time.sleep(600)
"""


def _gone(pid: int) -> bool:
    """No such process, or a zombie nobody reaps (PID 1 of a container may not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, IndexError):
        return True
    return state == "Z"


def _kill_parent_and_wait(how: str, sig: signal.Signals, record: Path) -> int:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, CHILD, how, sig.name, str(record)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    child = 0
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert parent.stdout.readline().strip() == "armed"  # the child's, on the same pipe
        parent.kill()
        parent.wait(10)
        deadline = time.monotonic() + 30  # generous: the machine may be loaded
        while not _gone(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(child), f"the child {child} outlived its parent"
        return child
    finally:
        if parent.poll() is None:
            parent.kill()
        if child and not _gone(child):
            os.kill(child, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_the_kernel_sends_the_asked_signal_when_the_parent_is_killed(tmp_path):
    record = tmp_path / "signal"
    _kill_parent_and_wait("kernel", signal.SIGTERM, record)
    assert record.read_text() == "SIGTERM"  # graceful: the child's handler ran


def test_the_watcher_sends_the_asked_signal_when_the_parent_is_killed(tmp_path):
    record = tmp_path / "signal"
    _kill_parent_and_wait("watcher", signal.SIGTERM, record)
    assert record.read_text() == "SIGTERM"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_a_child_asking_for_sigkill_ends_without_running_anything(tmp_path):
    record = tmp_path / "signal"
    _kill_parent_and_wait("kernel", signal.SIGKILL, record)
    assert not record.exists()  # the summariser's workers: no handler can delay it
