"""The running bot follows the community's stored plan (issue 11, design.md: "the database
holds the running plan").

A plan saved in the console (or imported by `qunyun up` from a changed file) is picked up
within `interval` seconds: the watcher compares the stored text's hash with the one the
bot runs, and when it changed and the new plan is ready to launch (`plan check` has no
errors), hands it to `apply`, which rebuilds the policies in place. A plan that is not
ready is refused and the bot keeps the one it has. Both are audited with actor `bot`, so
the console can say which version the bot runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from sqlalchemy import Engine

from qunyun import activity
from qunyun.plan.check import check_loaded, is_ready
from qunyun.plan.load import parse_plan
from qunyun.plan.model import Plan
from qunyun.services import plans as plan_service
from qunyun.storage.engine import writing

log = logging.getLogger("qunyun.bot")


class PlanReload:
    def __init__(self, engine: Engine, *, community_id: int, running_text: str | None,
                 apply: Callable[[Plan], None], interval: float = 2.0) -> None:
        self.engine = engine
        self.community_id = community_id
        self.apply = apply
        self.interval = interval
        self.seen = plan_service.sha256_of(running_text) if running_text is not None else None

    def started(self) -> None:
        """Audit the version the bot starts with (the console shows it)."""
        if self.seen is not None:
            with writing(self.engine) as conn:
                plan_service.record_bot_plan(conn, community_id=self.community_id,
                                             action="plan:running", sha256=self.seen,
                                             reason="机器人启动，按此版本计划运行")

    def check(self) -> bool:
        """One look at the stored plan; True when a new plan was applied."""
        with self.engine.connect() as conn:
            text = plan_service.stored_text(conn, community_id=self.community_id)
        if text is None:
            return False
        digest = plan_service.sha256_of(text)
        if digest == self.seen:
            return False
        self.seen = digest  # a refused text is reported once, not every round
        loaded = parse_plan(text)
        findings = check_loaded(loaded)
        errors = sum(1 for f in findings if f.severity == "error")
        if loaded.plan is None or not is_ready(findings):
            with writing(self.engine) as conn:
                plan_service.record_bot_plan(
                    conn, community_id=self.community_id, action="plan:refused",
                    sha256=digest, status="failed",
                    reason=f"新保存的计划还有 {errors} 个问题，机器人继续使用之前的计划")
            log.warning("stored plan %s not ready (%d errors); keeping the running plan",
                        digest[:12], errors)
            activity.note(f"新保存的计划还有 {errors} 个问题，机器人继续用之前的计划")
            return False
        started = time.perf_counter()
        self.apply(loaded.plan)
        with writing(self.engine) as conn:
            plan_service.record_bot_plan(conn, community_id=self.community_id,
                                         action="plan:reloaded", sha256=digest,
                                         reason="机器人已载入新保存的计划")
        activity.note("已载入新保存的计划")
        log.info("plan %s applied in %.0f ms", digest[:12],
                 (time.perf_counter() - started) * 1000)
        return True

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                self.check()
            except Exception:  # a bad read must not stop the bot; try again next round
                log.exception("checking the stored plan failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval)
