"""Overview pages: the communities an operator sees, a community's groups with health
(H1/H2), and a group's charts — the same numbers as `report.json`.

Page shells render from small indexed queries. The report part (`…/panel`) is in the page
itself when its report is built already, so the charts draw as the page shows; only while
the first report is being built is it an HTMX fragment fetched after the page, so a build
never holds up the page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from markupsafe import Markup

from qunyun.bot import accounts as account_service
from qunyun.report.words import group_names, group_title
from qunyun.storage.community import communities as community_repo
from qunyun.storage.console import overview as console_overview
from qunyun.storage.work import queues as queue_repo
from qunyun.web.deps import Ctx, NotFound, community_for, signed_in
from qunyun.web.ids import DbId
from qunyun.web.render import page

router = APIRouter()
log = logging.getLogger(__name__)
FAVICON = Path(__file__).resolve().parents[1] / "static" / "favicon.svg"


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    """Browsers ask for /favicon.ico on every page; answer with the console's icon."""
    return FileResponse(FAVICON, media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/")
def index(request: Request) -> Response:
    ctx = signed_in(request)
    assert ctx.operator is not None
    scope = None if ctx.operator.all_communities else set(ctx.operator.communities)
    with ctx.engine.connect() as conn:
        rows = console_overview.communities_with_counts(conn, ids=scope)
        # I1: which bot accounts are connected and when each last synced.
        names = {int(r["id"]): r for r in rows}
        bots = [dict(a, community=names[a["community_id"]]) for a in account_service.statuses(conn)
                if a["community_id"] in names]
    # Health from the report already built (never built here: the index must stay fast):
    # the same one the community's panels show (`ReportCache.latest` serves the cached
    # report and rebuilds in the background), so both pages agree (issue 11 #25); each
    # row says when its data ends.
    for row in rows:
        report = request.app.state.reports.peek(int(row["id"])) or {}
        row["scope"] = report.get("community")
        row["as_of"] = report.get("as_of")
        # When it was built and whether a newer one is coming (the cache's watcher
        # rebuilds it within seconds of new events; the page reloads its rows meanwhile).
        row["status"] = request.app.state.reports.status(int(row["id"]))
    return page(ctx, "index.html", communities=rows, accounts=bots,
                stamp=_stamp(request, [int(r["id"]) for r in rows]))


def _stamp(request: Request, ids: list[int]) -> str:
    """What a page's reports look like now (never queries): each community's build time
    and whether a newer report is on the way."""
    reports = request.app.state.reports
    return ",".join(f"{cid}:{(s := reports.status(cid))['built_ms'] or 0}:{int(s['updating'])}"
                    for cid in sorted(ids))


def _stamp_answer(seen: str, now: str) -> Response:
    """An open page asks every few seconds (`hx-trigger="every 3s"`, nothing swapped); when
    its reports changed — a newer one is on the way, or it is built — the answer tells the
    page (`report-changed`), which fetches the new numbers: the page follows the live bot
    without a reload (issue 11 walk finding 21)."""
    headers = {"HX-Trigger": "report-changed"} if seen != now else {}
    return Response(status_code=200, headers=headers)


@router.get("/report-stamp", include_in_schema=False)
def index_stamp(request: Request, seen: str = "") -> Response:
    ctx = signed_in(request)
    assert ctx.operator is not None
    scope = None if ctx.operator.all_communities else set(ctx.operator.communities)
    with ctx.engine.connect() as conn:
        ids = [int(str(c["id"])) for c in community_repo.list_communities(conn)
               if scope is None or int(str(c["id"])) in scope]
    return _stamp_answer(seen, _stamp(request, ids))


@router.get("/c/{slug}/report-stamp", include_in_schema=False)
def community_stamp(request: Request, slug: str, seen: str = "") -> Response:
    _ctx, found = community_for(request, slug)
    return _stamp_answer(seen, _stamp(request, [int(found["id"])]))


@router.get("/c/{slug}")
def community(request: Request, slug: str) -> Response:
    ctx, found = community_for(request, slug)
    cid = int(found["id"])
    with ctx.engine.connect() as conn:
        groups = console_overview.groups_with_counts(conn, community_id=cid)
        open_counts = queue_repo.count_open(conn, community_id=cid)
    return page(ctx, "community.html", community=found, groups=groups, open_counts=open_counts,
                group_names=group_names(groups, ctx.lang),
                analytics=request.app.state.reports.available,
                panel=_built_panel(request, cid, lambda: _community_panel(request, ctx, found))
                if groups else None)


def _built_panel(request: Request, community_id: int, render: Callable[[], Response]
                 ) -> Markup | None:
    """The report panel to put in the page itself, when the community's report is built
    already (`latest` then never builds: it serves the cached report and rebuilds in the
    background). Fetched as a second request after the page, the charts were blank for a
    second or more while the bot kept the process busy (issue 11)."""
    if request.app.state.reports.peek(community_id) is None:
        return None
    try:
        response = render()
    except NotFound:  # a group newer than the report: the fragment says so
        return None
    if response.status_code != 200:
        return None
    return Markup(bytes(response.body).decode("utf-8"))


class ReportFailed(Exception):
    pass


def _report(request: Request, community_id: int) -> dict[str, Any] | None:
    try:
        report: dict[str, Any] | None = request.app.state.reports.latest(community_id)
    except Exception as exc:  # the analytics failing must not take the page down with it
        log.exception("report for community %s failed", community_id)
        raise ReportFailed(str(exc)[:300]) from exc
    return report


def _panel_report(request: Request, ctx: Ctx, found: dict[str, Any]
                  ) -> dict[str, Any] | Response:
    """The community's report for a panel, or the panel to show instead (analytics not
    installed, the report still building, or its build failed)."""
    try:
        report = _report(request, int(found["id"]))
    except ReportFailed as exc:
        return page(ctx, "panel_missing.html", failed=str(exc))
    if report is None:
        return page(ctx, "panel_missing.html", failed=None)
    return report


def _trend(section: dict[str, Any]) -> dict[str, Any]:
    daily = section.get("daily") or []
    return {"dates": [d.get("date") for d in daily],
            "messages": [d.get("messages", 0) for d in daily],
            "active": [d.get("active", 0) for d in daily],
            "joins": [d.get("joins", 0) for d in daily],
            "leaves": [d.get("leaves", 0) for d in daily]}


def _cached(request: Request, key: tuple[Any, ...], report: dict[str, Any],
            render: Callable[[], Response]) -> Response:
    """A report panel rendered once per report and language: panels hold only the report's
    numbers (no operator, no CSRF token), and the report changes only when rebuilt."""
    cache: dict[tuple[Any, ...], tuple[dict[str, Any], bytes, int]] = \
        request.app.state.panel_html
    hit = cache.get(key)
    if hit is not None and hit[0] is report:
        return HTMLResponse(hit[1], status_code=hit[2])
    response = render()
    cache[key] = (report, bytes(response.body), response.status_code)
    return response


@router.get("/c/{slug}/panel")
def community_panel(request: Request, slug: str) -> Response:
    ctx, found = community_for(request, slug)
    return _community_panel(request, ctx, found)


def _community_panel(request: Request, ctx: Ctx, found: dict[str, Any]) -> Response:
    report = _panel_report(request, ctx, found)
    if isinstance(report, Response):
        return report
    whole = report.get("community") or {}
    status = request.app.state.reports.status(int(found["id"]))
    return _cached(request, ("community", int(found["id"]), ctx.lang, status["updating"]),
                   report, lambda: page(
        ctx, "community_panel.html", community=found, report=report, whole=whole,
        groups=report.get("groups") or [], trend=_trend(whole) if whole else None,
        group_names=group_names(report.get("groups") or [], ctx.lang), status=status,
        stamp=_stamp(request, [int(found["id"])])))


@router.get("/c/{slug}/summary")
def community_summary(request: Request, slug: str) -> Response:
    """The index's rows of one community (HTMX): waits for the report like the panels do."""
    ctx, found = community_for(request, slug)
    failed: str | None = None
    report: dict[str, Any] | None = None
    try:
        report = _report(request, int(found["id"]))
    except ReportFailed as exc:
        failed = str(exc)
    with ctx.engine.connect() as conn:
        row = console_overview.communities_with_counts(conn, ids={int(found["id"])})[0]
    row.update(scope=(report or {}).get("community"), as_of=(report or {}).get("as_of"),
               status=request.app.state.reports.status(int(found["id"])))
    return page(ctx, "summary_cells.html", community=row, failed=failed)


@router.get("/c/{slug}/g/{group_id}")
def group(request: Request, slug: str, group_id: DbId) -> Response:
    ctx, found = community_for(request, slug)
    with ctx.engine.connect() as conn:
        row = console_overview.group_of(conn, community_id=int(found["id"]), group_id=group_id)
        if row is None:
            raise NotFound
        names = group_names(console_overview.groups_with_counts(
            conn, community_id=int(found["id"])), ctx.lang)
        mutes = console_overview.group_mutes(conn, group_id=int(row["id"]))
    return page(ctx, "group.html", community=found, group=row, mutes=mutes,
                group_name=names.get(int(row["id"])) or group_title(row, ctx.lang),
                panel=_built_panel(request, int(found["id"]),
                                   lambda: _group_panel(request, ctx, found, group_id)))


@router.get("/c/{slug}/g/{group_id}/panel")
def group_panel(request: Request, slug: str, group_id: DbId) -> Response:
    ctx, found = community_for(request, slug)
    return _group_panel(request, ctx, found, group_id)


def _group_panel(request: Request, ctx: Ctx, found: dict[str, Any], group_id: int) -> Response:
    report = _panel_report(request, ctx, found)
    if isinstance(report, Response):
        return report
    section = next((g for g in report.get("groups") or [] if g.get("id") == group_id), None)
    if section is None:
        raise NotFound
    charts = {
        "trend": _trend(section),
        "heatmap": section.get("heatmap") or [],
        "cohorts": section.get("cohorts") or [],
        "tiers": section.get("tiers") or {},
    }
    status = request.app.state.reports.status(int(found["id"]))
    return _cached(request, ("group", int(found["id"]), group_id, ctx.lang, status["updating"]),
                   report,
                   lambda: page(ctx, "group_panel.html", community=found, report=report,
                                g=section, charts=charts, status=status,
                                stamp=_stamp(request, [int(found["id"])]),
                                tier_days=(report.get("tier_thresholds") or {}).get(
                                    "window_days", 30)))
