"""A separate lane for passive replies, so answers someone asked for never wait behind them.

Bolt runs every listener on one executor, first come first served. Pasted logs arrive in bursts
during an incident, and each passive reply waits on chat.postMessage (about one message per
second per channel, longer under rate limits), so a burst of pastes used to hold the few answer
threads while a /smscode, a button or a mention queued behind them. Passive replies therefore run
on their own small executor with a bounded backlog: when it is full, or when a reply has waited
too long, the reply is dropped and logged. Nobody asked for it, and a late reply in a busy
channel is worse than none.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

# One thread: passive work shares the GIL with the request threads that acknowledge Slack, and
# Slack takes about one message per second per channel anyway.
PASSIVE_THREADS = 1
# Replies waiting or running at once; more are dropped.
PASSIVE_MAX_PENDING = 16
# A passive reply that waited longer than this in the backlog is dropped instead of posted late.
PASSIVE_MAX_WAIT = 30.0
# Drops are a WARNING at most this often (with a count); the rest are INFO. A burst of pastes
# must not turn into a burst of warnings.
DROP_NOTICE_EVERY = 60.0

log = logging.getLogger("smscode.slack")


class PassiveLane:
    """A small executor with a bounded backlog; `submit` never blocks the caller."""

    def __init__(
        self,
        *,
        workers: int = PASSIVE_THREADS,
        max_pending: int = PASSIVE_MAX_PENDING,
        max_wait: float = PASSIVE_MAX_WAIT,
    ) -> None:
        self.max_wait = max_wait
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="smscode-passive")
        self._slots = threading.BoundedSemaphore(max_pending)
        self._lock = threading.Lock()
        self.dropped = 0  # replies dropped so far (full backlog or waited too long), for logs and tests
        self._noticed_at: float | None = None
        self._noticed_count = 0

    def submit(self, work: Callable[[], None], where: str) -> bool:
        """Queue `work`; False (and a warning) when the backlog is full or the lane is shut down."""
        if not self._slots.acquire(blocking=False):
            self._drop(f"backlog full ({where})")
            return False
        queued = time.monotonic()

        def run() -> None:
            try:
                waited = time.monotonic() - queued
                if waited > self.max_wait:
                    self._drop(f"waited {waited:.0f} s ({where})")
                    return
                work()
            finally:
                self._slots.release()

        try:
            self._executor.submit(run)
        except RuntimeError:  # shut down: the process is stopping
            self._slots.release()
            self._drop(f"shutting down ({where})")
            return False
        return True

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop taking work; with `wait`, return once the queued replies are done."""
        self._executor.shutdown(wait=wait)

    def _drop(self, why: str) -> None:
        now = time.monotonic()
        with self._lock:
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
