"""H4 the weekly report in the bot: on the plan's `reports.weekly_cron` slot (Mondays 09:00
by default), a summary message to the admin room and the PDF of the week's report.

The week is the seven local days before the slot's day (Monday to Sunday for a Monday
slot). Files go to `<reports dir>/<community>/<last day of the week>/` (`reports_dir`: the
plan's `reports.out_dir`, $QUNYUN_REPORTS_DIR, or beside the SQLite database). In a dry run
(`qunyun rehearse`) nothing is built or written: one line says when it would be sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from qunyun.effects import Alert, Effect, SendFile
from qunyun.events import Event, TimerFired
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import Setup
from qunyun.report.weekly import summary_text
from qunyun.services import reports as report_service
from qunyun.services.schedule import tick_of

WEEKLY_TIMER = report_service.WEEKLY


def week_end(slot: datetime, tz: str) -> datetime:
    """The last moment before the slot's local day began."""
    local = slot.astimezone(ZoneInfo(tz))
    return local.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(milliseconds=1)


class WeeklyReport:
    name = "weekly_report"
    handles = (TimerFired,)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if not isinstance(event, TimerFired) or event.timer != WEEKLY_TIMER:
            return None
        plan = self.setup.plan
        tick = tick_of(event)
        if tick is None:
            return None
        end = week_end(tick.slot_at, self.setup.tz)
        out = (report_service.reports_dir(plan, ctx.conn.engine) / plan.community.slug
               / end.date().isoformat())
        if ctx.dry_run:
            # A rehearsal or dry run says when the report would go out; building it (a
            # child process and a browser) every simulated Monday would cost seconds each.
            return Verdict.act(Alert(
                group=event.group, policy=self.name, reason="H4 weekly",
                evidence={"week_end": end.isoformat(), "key": tick.key},
                text=f"【周报】{plan.community.name}（截至 {end.date()}，预演中不生成）"))
        numbers, paths, problem = report_service.weekly_report(
            ctx.conn.engine, community_id=ctx.community_id, plan=plan, week_end=end,
            out_dir=out, pdf=plan.reports.weekly_pdf)
        text = summary_text(numbers)
        if problem:
            text += f"\n（PDF 未生成：{problem}）"
        effects: list[Effect] = [Alert(group=event.group, policy=self.name, reason="H4 weekly",
                                       text=text, evidence={"week_end": end.isoformat()})]
        if "pdf" in paths:
            effects.append(SendFile(group=event.group, policy=self.name, reason="H4 weekly",
                                    path=str(paths["pdf"].resolve()),
                                    filename=f"周报-{plan.community.slug}-{end.date()}.pdf",
                                    evidence={"week_end": end.isoformat()}))
        return Verdict.act(*effects)
