"""The offline HTML report: one file, ECharts inlined, every member-provided text escaped.

Nicknames and messages are hostile input. Tables are rendered by Jinja2 with autoescape;
chart data travels in a `<script type="application/json">` block with `<`, `>` and `&`
escaped as JSON unicode escapes, so no text can close the block or start a tag; charts
read it with JSON.parse and ECharts draws text on a canvas, never as HTML.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from qunyun.analytics.tiers import TIER_NAMES, TIERS
from qunyun.domain.zones import zone_name
from qunyun.report.words import (
    component_help,
    component_label,
    group_names,
    platform_name,
    signal_sentence,
)

MEMBER_ROWS = 300


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=PackageLoader("qunyun.report", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True))


@lru_cache(maxsize=1)
def _echarts() -> str:
    return (resources.files("qunyun") / "web" / "static" / "vendor" / "echarts.min.js").read_text(
        encoding="utf-8")


def warm() -> None:
    """Load and compile the report's template ahead of the first `render_html`."""
    _environment().get_template("report.html.j2")
    _echarts()


def json_for_script(data: Any) -> Markup:
    text = orjson.dumps(data).decode()
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _chart_data(report: dict[str, Any], names: dict[int, str]) -> dict[str, Any]:
    keys = ("id", "name", "daily", "weekly", "heatmap", "cohorts", "tiers", "health")
    scopes = [{k: report["community"].get(k) for k in keys} | {"label": "全社群"}]
    for g in report["groups"]:
        scopes.append({k: g.get(k) for k in keys} | {"label": names[int(g["id"])]})
    return {"scopes": scopes, "tier_names": TIER_NAMES, "tiers": TIERS,
            "top_inviters": report["invites"]["top_inviters"][:15]}


def _local(iso: str | None, zone: str | None) -> str:
    """The report's generation time (stored in UTC) on the community's clock, as its data
    time is shown: one zone on the page."""
    if not iso:
        return "—"
    at = datetime.fromisoformat(iso)
    try:
        tz = ZoneInfo(zone or "Asia/Shanghai")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("Asia/Shanghai")
    return f"{at.astimezone(tz):%Y-%m-%d %H:%M}"


def render_html(report: dict[str, Any]) -> str:
    members = sorted(report["members"], key=lambda m: (-m["messages"], m["id"]))
    names = group_names(report["groups"])  # as the console names them
    return _environment().get_template("report.html.j2").render(
        r=report,
        c=report["community"],
        members=members[:MEMBER_ROWS],
        member_total=len(members),
        tier_names=TIER_NAMES,
        group_names=names,
        sentence=signal_sentence,
        platform_name=platform_name,
        generated_local=_local(report.get("generated_at"), report.get("timezone")),
        # 「北京时间」, not the tz id (issue 11 walk 33); report.json keeps the id.
        zone_words=zone_name(report.get("timezone")),
        component_label=component_label,
        component_help=component_help,
        chart_data=json_for_script(_chart_data(report, names)),
        echarts=Markup(_echarts().replace("</script", "<\\/script")),
    )
