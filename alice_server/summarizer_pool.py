"""The summariser's worker processes, shared fairly between tenants.

ProcessCall's summariser is CPU-bound, so it runs in worker processes
(ALICE_SUMMARIZER_PROCESSES). A plain process pool serves first come, first
served: eight large calls of one tenant made another's small call wait 13 s.
`FairSummarizerPool` puts a scheduler in front of the pool:

* one queue per tenant, served round robin: a tenant with one call waiting is
  next after at most one call of every other waiting tenant;
* at most `floor(processes x share)` (at least 1) of a tenant's calls run at once
  and at most `floor(queue_size x share)` wait (ALICE_SUMMARIZER_TENANT_SHARE),
  so one tenant cannot fill the workers or the queue;
* the queue is bounded (ALICE_SUMMARIZER_QUEUE_SIZE): past it a call is refused
  at once with RESOURCE_EXHAUSTED and a retry delay instead of waiting;
* abandoned work is dropped: when the RPC's deadline passes or its client
  cancels, the waiting call is removed from its queue and never runs.

The workers run at a lower CPU priority (niceness +SUMMARIZER_NICENESS): a
summary is written after the call has ended, while a call start is waited on
by a caller on the line, so under CPU contention the kernel runs the gRPC
workers first (docs/PERFORMANCE.md: the noisy-neighbour flood).

The workers die with the server even when it is killed with SIGKILL: each
asks the kernel for SIGKILL when its parent dies (PR_SET_PDEATHSIG; elsewhere
a thread watches the parent), and the multiprocessing resource tracker exits
when the last process holding its pipe is gone. When the server stops, the
summaries still running after the grace period are abandoned and the workers
killed (`shutdown(wait=False)`): a server under a backlog of long calls still
exits at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import multiprocessing
import os
import signal
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from alice_server.auth import current_customer_id
from alice_server.die_with_parent import die_with_parent
from alice_server.domain.errors import SummarizerBusy
from alice_server.domain.summarizer import warm_up
from alice_server.heap import freeze_startup_heap

logger = logging.getLogger("alice.summarizer")

# Added to the summariser workers' niceness (0 = the server's own priority).
SUMMARIZER_NICENESS = 10


def _worker_started(parent_pid: int) -> None:
    """Worker initializer: end with the server (even a SIGKILLed one), yield the CPU
    to the gRPC workers, load the summariser's tables (then exempt them from the
    garbage collector's full passes: alice_server/heap.py)."""
    die_with_parent(parent_pid, signal.SIGKILL)
    if hasattr(os, "nice"):
        os.nice(SUMMARIZER_NICENESS)
    warm_up()
    freeze_startup_heap()


@dataclass(eq=False)
class _Job:
    key: int
    future: Future[Any]
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    queued_at: float = field(default_factory=time.monotonic)


class FairSummarizerPool(Executor):
    """A process pool whose queue is split by tenant and served round robin.

    `submit` is called from the event loop thread (through
    `loop.run_in_executor`); the tenant is the one of the RPC being served.
    All scheduling state is touched on that loop's thread only.
    """

    def __init__(self, processes: int, queue_size: int, tenant_share: float) -> None:
        self.processes = processes
        self.queue_size = queue_size
        self.tenant_running = max(1, math.floor(processes * tenant_share))
        self.tenant_queued = max(1, math.floor(queue_size * tenant_share))
        self._pool = ProcessPoolExecutor(
            processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_started,
            initargs=(os.getpid(),),
        )
        self._queues: OrderedDict[int, deque[_Job]] = OrderedDict()
        self._queued = 0
        self._running: dict[int, int] = {}
        self._in_flight = 0
        self._seconds_per_call = 0.05  # a moving average, for retry delays
        self._loop: asyncio.AbstractEventLoop | None = None
        self.dropped = 0  # calls abandoned before they ran

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self._loop = asyncio.get_running_loop()
        key = current_customer_id() or 0
        waiting = self._queues.get(key)
        mine = len(waiting) if waiting is not None else 0
        if self._queued >= self.queue_size:
            raise self._busy(
                f"the call summariser is busy ({self._queued} calls waiting)", self._queued
            )
        if mine >= self.tenant_queued:
            raise self._busy(
                f"this customer already has {mine} calls waiting for the summariser, its "
                "share of the queue",
                mine,
            )
        job = _Job(key, Future(), fn, args, kwargs)
        if waiting is None:
            waiting = self._queues[key] = deque()
        waiting.append(job)
        self._queued += 1
        job.future.add_done_callback(lambda f: self._abandoned(job) if f.cancelled() else None)
        self._dispatch()
        return job.future

    def _busy(self, what: str, ahead: int) -> SummarizerBusy:
        retry = max(0.1, self._seconds_per_call * (ahead / self.processes + 1))
        return SummarizerBusy(f"{what}; retry in {retry:.1f} s", retry_after=retry)

    def _abandoned(self, job: _Job) -> None:
        """A waiting call was cancelled (deadline passed or client gone): drop it."""
        waiting = self._queues.get(job.key)
        if waiting is not None and job in waiting:
            waiting.remove(job)
            self._queued -= 1
            self.dropped += 1
            if not waiting:
                del self._queues[job.key]

    def _dispatch(self) -> None:
        while self._in_flight < self.processes:
            job = self._next_job()
            if job is None:
                return
            if not job.future.set_running_or_notify_cancel():
                continue
            self._in_flight += 1
            self._running[job.key] = self._running.get(job.key, 0) + 1
            started = time.monotonic()
            try:
                inner = self._pool.submit(job.fn, *job.args, **job.kwargs)
            except BaseException as exc:  # noqa: BLE001 - a broken pool fails this call only
                job.future.set_exception(exc)
                self._release(job.key, started)
                continue
            inner.add_done_callback(functools.partial(self._done, job, started))

    def _next_job(self) -> _Job | None:
        """The first waiting call of the next tenant (in turn) below its running share."""
        for key in list(self._queues):
            if self._running.get(key, 0) >= self.tenant_running:
                continue
            waiting = self._queues[key]
            job = waiting.popleft()
            self._queued -= 1
            del self._queues[key]
            if waiting:  # to the back of the line
                self._queues[key] = waiting
            return job
        return None

    def _done(self, job: _Job, started: float, inner: Future[Any]) -> None:
        # In the pool's management thread: hand the outcome over, then schedule on the loop.
        exc = inner.exception()
        if exc is not None:
            job.future.set_exception(exc)
        else:
            job.future.set_result(inner.result())
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._release, job.key, started)

    def _release(self, key: int, started: float) -> None:
        self._seconds_per_call = 0.8 * self._seconds_per_call + 0.2 * (time.monotonic() - started)
        self._in_flight -= 1
        left = self._running.get(key, 1) - 1
        if left:
            self._running[key] = left
        else:
            self._running.pop(key, None)
        self._dispatch()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """`wait=False` abandons the summaries still running (the server calls it
        after the grace period: their RPCs are over) and kills the worker
        processes, so that nothing waits for them at the interpreter's exit:
        multiprocessing joins its children, the executor joins its manager
        thread, which joins the feeder thread of a call queue whose pipe may be
        full of large transcripts nobody reads any more."""
        if cancel_futures:
            for waiting in list(self._queues.values()):
                for job in list(waiting):
                    job.future.cancel()
        if not wait:
            call_queue = getattr(self._pool, "_call_queue", None)
            if call_queue is not None:
                call_queue.cancel_join_thread()
            for process in list((getattr(self._pool, "_processes", None) or {}).values()):
                with contextlib.suppress(OSError, ValueError):
                    process.kill()
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    def worker_pids(self) -> list[int]:
        return list(getattr(self._pool, "_processes", {}) or {})
