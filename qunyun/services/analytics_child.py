"""The long-lived child processes that run the analytics for a process holding SQLite open.

The analytics read SQLite through ADBC, a second copy of SQLite in the process: when its
connection closes it drops the process's POSIX file locks and can delete the WAL under the
process's own open connections ("disk I/O error", "database disk image is malformed").
Across processes SQLite's locking is sound, so the console's report, the bot's daily tier
pass and its Monday report run their analytics in a child.

Starting a child costs a second or more (a fresh interpreter importing Polars and the
analytics), which a daily pass once paid every time, and `qunyun rehearse` ninety times for
a quarter. So the children are started once and reused: up to two (a second starts only
while the first is busy, so a long console report does not hold up the bot's daily pass),
each ignoring Ctrl-C (the parent stops them) and exiting when its parent is gone, however
the parent ended. A child that died (killed, out of memory) is replaced once.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_CHILDREN = 2

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _quiet_child() -> None:
    # Ctrl-C reaches the whole process group; the parent stops its children itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch() -> None:
        # However the parent ends (even SIGKILL), its children do not outlive it.
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="qunyun-parent-watch", daemon=True).start()


def _children() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=MAX_CHILDREN,
                                        mp_context=get_context("spawn"),
                                        initializer=_quiet_child)
        return _pool


def _forget(broken: ProcessPoolExecutor) -> None:
    global _pool
    with _pool_lock:
        if _pool is broken:
            _pool = None


def run(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in a child (`fn` and its arguments must pickle: a module-level function
    with plain data); its exception is raised here."""
    pool = _children()
    try:
        return pool.submit(fn, *args).result()
    except BrokenProcessPool:
        log.warning("an analytics child process died; starting a new one")
        _forget(pool)
        return _children().submit(fn, *args).result()


def shutdown() -> None:
    """Stop the children (they are started again on the next `run`)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


atexit.register(shutdown)
