"""H4 weekly reports as a use case: the week's numbers with every area's section (E1/E2
removals and revivals, A5 events, H3 what drove activity), shared by the CLI
(`qunyun report --weekly`) and the bot's Monday report."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from qunyun.analytics import drivers
from qunyun.analytics.weekly import build_weekly
from qunyun.domain import cron
from qunyun.plan.model import Plan
from qunyun.services import activities, analytics_child
from qunyun.services.schedule import EntrySpec, JobKind

WEEKLY = "report.weekly"  # schedule kind: one entry, the plan's reports.weekly_cron


def weekly_entries(plan: Plan) -> list[EntrySpec]:
    if not plan.reports.weekly:
        return []
    try:
        rule = cron.to_rule(plan.reports.weekly_cron)
    except cron.CronError:
        return []  # `plan check` reports it
    # An hour late at most, like a calendar post: a Monday report on Tuesday is noise.
    return [EntrySpec(kind=WEEKLY, key="weekly", title="周报", rule=rule,
                      catch_up_minutes=60)]


WEEKLY_JOB = JobKind(WEEKLY, from_plan=weekly_entries)


REPORTS_DIR_ENV = "QUNYUN_REPORTS_DIR"


def reports_dir(plan: Plan, engine: Engine) -> Path:
    """Where the bot writes weekly reports: the plan's `reports.out_dir`, else
    $QUNYUN_REPORTS_DIR, else `qunyun-reports/` beside the SQLite database file (the data
    directory the app already uses), or in the working directory on PostgreSQL."""
    import os

    if plan.reports.out_dir:
        return Path(plan.reports.out_dir).expanduser()
    if env := os.environ.get(REPORTS_DIR_ENV):
        return Path(env).expanduser()
    database = engine.url.database
    if engine.url.get_backend_name() == "sqlite" and database and database != ":memory:":
        return Path(database).expanduser().resolve().parent / "qunyun-reports"
    return Path("qunyun-reports").resolve()


def weekly_numbers(engine: Engine, *, community_id: int, plan: Plan | None,
                   as_of: datetime | None = None, tz: str | None = None,
                   community_name: str | None = None) -> dict[str, Any]:
    w = build_weekly(engine, community_id=community_id, plan=plan, as_of=as_of, tz=tz,
                     community_name=community_name or (plan.community.name if plan else None))
    zone = tz or (plan.bot.timezone if plan is not None else "Asia/Shanghai")
    end = datetime.fromisoformat(w["as_of"])
    until = int(end.timestamp() * 1000) + 1
    since = until - 7 * 86_400_000
    with engine.connect() as conn:
        w["events"] = [{"name": e["name"], "starts": activities.local_text(e["starts_ms"], zone),
                        "expected": e["expected"], "registered": e["registered"],
                        "waitlisted": e["waitlisted"], "checked_in": e["checked_in"],
                        "walk_ins": e["walk_ins"], "rating": e["rating"]}
                       for e in activities.in_window(conn, community_id=community_id,
                                                     since_ms=since, until_ms=until)]
        w["top_content"] = drivers.top_content(conn, community_id=community_id,
                                               since_ms=since, until_ms=until, tz=zone)
    return w


def weekly_report(engine: Engine, *, community_id: int, plan: Plan, week_end: datetime,
                  out_dir: Path | None, pdf: bool
                  ) -> tuple[dict[str, Any], dict[str, Path], str | None]:
    """The Monday report: numbers for the week ending at `week_end`, written to `out_dir`
    as weekly.json/.html (and .pdf; no files without `out_dir`: a dry run); returns
    (numbers, paths, why the PDF is missing).

    It runs in an analytics child process (`services.analytics_child` says why): the
    bot's pipeline has the database open.
    """
    url = engine.url.render_as_string(hide_password=False)
    return analytics_child.run(_weekly_in_child, url, community_id,
                               plan.model_dump(mode="json"), week_end,
                               str(out_dir) if out_dir else None, pdf)


def _weekly_in_child(url: str, community_id: int, plan_data: dict[str, Any],
                     week_end: datetime, out_dir: str | None, pdf: bool
                     ) -> tuple[dict[str, Any], dict[str, Path], str | None]:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from qunyun.report.pdf import PdfUnavailable, html_to_pdf
    from qunyun.report.weekly import write_weekly

    engine = create_engine(url, poolclass=NullPool)
    try:
        plan = Plan.model_validate(plan_data)
        w = weekly_numbers(engine, community_id=community_id, plan=plan, as_of=week_end)
    finally:
        engine.dispose()
    if out_dir is None:
        return w, {}, None
    out = Path(out_dir)
    paths = write_weekly(w, out, pdf=False)
    problem = None
    if pdf:
        try:
            paths["pdf"] = html_to_pdf(paths["html"], out / "weekly.pdf")
        except PdfUnavailable as exc:
            problem = str(exc)
    return w, paths, problem
