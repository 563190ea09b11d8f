"""The answer threads: answers someone asked for first, passive replies only with a thread to spare.

Bolt runs every listener on one executor, first come first served. Pasted logs arrive in bursts
during an incident, and each passive reply waits on chat.postMessage (about one message per
second per channel, longer under rate limits), so a burst of pastes used to hold every answer
thread while a /smscode, a button or a mention queued behind them.

`AnswerPool` is that executor, with two queues over the same few threads:

- explicit work (Bolt's listeners: commands, buttons, the shortcut, mentions) always goes first;
- passive work (replies to pasted logs) runs only when no explicit work waits, and on at most
  all threads but one, so a thread is always free for the next explicit answer. Its backlog is
  bounded: when it is full, or when a reply has waited too long, the reply is dropped and logged.
  Nobody asked for it, and a late reply in a busy channel is worse than none.

The threads stay few (the GIL: every busy answer thread slows the request threads that
acknowledge Slack; see bench/bench_load.py), so passive replies get no threads of their own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

# Passive replies waiting or running at once; more are dropped.
PASSIVE_MAX_PENDING = 16
# A passive reply that waited longer than this in the backlog is dropped instead of posted late.
PASSIVE_MAX_WAIT = 30.0
# Drops are a WARNING at most this often (with a count); the rest are INFO. A burst of pastes
# must not turn into a burst of warnings.
DROP_NOTICE_EVERY = 60.0

log = logging.getLogger("smscode.slack")

_Explicit = tuple["Future[Any]", Callable[..., Any], tuple[Any, ...], dict[str, Any]]
_Passive = tuple[float, Callable[[], None], str]

# How concurrent.futures.ThreadPoolExecutor finishes queued work at interpreter exit (its worker
# threads are not daemons, and this hook runs before Python joins them). Private, hence getattr.
_register_atexit: Callable[[Callable[[], None]], None] | None = getattr(threading, "_register_atexit", None)


class AnswerPool(Executor):
    """A fixed set of threads with an explicit queue (first) and a bounded passive queue (spare threads)."""

    def __init__(
        self,
        *,
        workers: int = 2,
        max_passive_pending: int = PASSIVE_MAX_PENDING,
        max_wait: float = PASSIVE_MAX_WAIT,
    ) -> None:
        self.max_wait = max_wait
        self.max_passive_pending = max_passive_pending
        self.passive_cap = max(1, workers - 1)  # passive replies never take the last thread
        self.dropped = 0  # passive replies dropped so far (full backlog, waited too long, shutting down)
        self._cond = threading.Condition()
        self._explicit: deque[_Explicit] = deque()
        self._passive: deque[_Passive] = deque()
        self._passive_running = 0
        self._closed = False
        self._noticed_at: float | None = None
        self._noticed_count = 0
        self._workers = workers
        self._threads: list[threading.Thread] = []

    # ----- the Executor interface (Bolt's listener_executor): explicit work

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._cond:
            if self._closed:
                raise RuntimeError("cannot schedule new work after shutdown")
            self._start_threads()
            self._explicit.append((future, fn, args, kwargs))
            self._cond.notify()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop taking work; with `wait`, return once everything queued so far is done."""
        with self._cond:
            self._closed = True
            if cancel_futures:
                while self._explicit:
                    self._explicit.popleft()[0].cancel()
            self._cond.notify_all()
        if wait:
            for thread in list(self._threads):
                if thread is not threading.current_thread():
                    thread.join()

    # ----- passive work

    def submit_passive(self, work: Callable[[], None], where: str) -> bool:
        """Queue a passive reply; False (and a log line) when the backlog is full or the pool is closed."""
        with self._cond:
            if self._closed:
                reason = "shutting down"
            elif len(self._passive) + self._passive_running >= self.max_passive_pending:
                reason = "backlog full"
            else:
                self._start_threads()
                self._passive.append((time.monotonic(), work, where))
                self._cond.notify()
                return True
        self._drop(f"{reason} ({where})")
        return False

    # ----- the threads

    def _start_threads(self) -> None:
        """Start the threads on first use (holds the lock), as ThreadPoolExecutor does.

        Not at construction: gunicorn builds the app in its master process (preload_app) and
        forks the worker that serves requests, and threads do not survive a fork.
        """
        if self._threads:
            return
        daemon = _register_atexit is None
        self._threads = [
            threading.Thread(target=self._work, name=f"smscode-answer-{i}", daemon=daemon)
            for i in range(self._workers)
        ]
        for thread in self._threads:
            thread.start()
        if _register_atexit is not None:
            _register_atexit(self._at_exit)

    def _next(self) -> tuple[_Explicit | None, _Passive | None] | None:
        """The next job (explicit first), waiting for one; None once closed and drained. Holds the lock."""
        while True:
            if self._explicit:
                return self._explicit.popleft(), None
            if self._passive and self._passive_running < self.passive_cap:
                self._passive_running += 1
                return None, self._passive.popleft()
            if self._closed and not self._passive:
                return None
            self._cond.wait()

    def _work(self) -> None:
        while True:
            with self._cond:
                job = self._next()
            if job is None:
                return
            explicit, passive = job
            if explicit is not None:
                self._run_explicit(explicit)
            elif passive is not None:
                self._run_passive(passive)

    @staticmethod
    def _run_explicit(job: _Explicit) -> None:
        future, fn, args, kwargs = job
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = fn(*args, **kwargs)
        except BaseException as error:  # as ThreadPoolExecutor: the future carries it to whoever waits
            future.set_exception(error)
        else:
            future.set_result(result)

    def _run_passive(self, job: _Passive) -> None:
        queued, work, where = job
        try:
            waited = time.monotonic() - queued
            if waited > self.max_wait:
                self._drop(f"waited {waited:.0f} s ({where})")
            else:
                work()  # errors_to_handler: failures go to the app's error handler, not here
        except Exception:
            log.exception("passive reply failed outside the error handler (%s)", where)
        finally:
            with self._cond:
                self._passive_running -= 1
                self._cond.notify()

    def _at_exit(self) -> None:
        """At interpreter exit: finish the explicit answers queued so far, drop passive ones."""
        with self._cond:
            while self._passive:
                self._passive.popleft()
                self.dropped += 1
        self.shutdown(wait=True)

    def _drop(self, why: str) -> None:
        now = time.monotonic()
        with self._cond:
            self.dropped += 1
            notice = self._noticed_at is None or now - self._noticed_at >= DROP_NOTICE_EVERY
            if notice:
                since, self._noticed_at, self._noticed_count = (
                    self.dropped - self._noticed_count,
                    now,
                    self.dropped,
                )
        if notice:
            log.warning("passive reply dropped: %s; %d dropped since the last notice", why, since)
        else:
            log.info("passive reply dropped: %s", why)
