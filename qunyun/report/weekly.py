"""H4 the weekly report as a message for the admin room, and as one printable HTML page.

The page draws its chart as inline SVG (no script), so what Chromium prints to PDF is
exactly what the HTML shows, with nothing left to load or animate. Every member-provided
text (names, event titles, post texts) is escaped by Jinja2's autoescape.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape

from qunyun.analytics.tiers import TIER_NAMES, TIERS
from qunyun.report.write import atomic_write

WEEKDAYS = "一二三四五六日"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=PackageLoader("qunyun.report", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True))


def _change(w: dict[str, Any]) -> str:
    pct = w.get("messages_change_pct")
    if pct is None:
        return ""
    return f"（比上周{'增加' if pct >= 0 else '减少'} {abs(pct):g}%）"


def summary_text(w: dict[str, Any]) -> str:
    """The admin room's weekly message: the week in a few lines, in Chinese."""
    life = w.get("lifecycle") or {}
    lines = [
        f"【周报】{w.get('community') or '社群'}（{w.get('from')} 至 {w.get('to')}）",
        f"消息 {w['messages']:,} 条{_change(w)}，近7天活跃成员 {w['active_members']:,} 人 / "
        f"当前成员 {w['member_count']:,} 人，入群 {w['joins']} 次，退群 {w['leaves']} 次",
        f"健康分 {w.get('health_score')}（{w.get('stage_name') or '—'}）",
    ]
    if w.get("dying"):
        lines.append(f"⚠ {w.get('dying_reason')}")
    lines.append(f"淘汰提醒 {life.get('noticed', 0)} 人，淘汰移出 {life.get('removed', 0)} 人，"
                 f"违规移出 {life.get('removed_for_rules', 0)} 人，"
                 f"复活 {life.get('revived', 0)} 人；待审淘汰候选 {w.get('candidates', 0)} 人")
    for e in (w.get("events") or [])[:3]:
        lines.append(f"活动「{e['name']}」：报名 {e['registered']}，签到 {e['checked_in']}"
                     f"（预期 {e.get('expected') or '—'}），评分 {e.get('rating') or '—'}")
    top = w.get("top_content") or []
    if top:
        best = top[0]
        lines.append(f"本周最带动活跃：{best['label']}（之后 {best['hours']} 小时 "
                     f"{best['messages']} 条消息，平时同时段 {best['baseline']:g} 条）")
    return "\n".join(lines)


def _bars(daily: list[dict[str, Any]]) -> dict[str, Any]:
    """Bar geometry for the week's messages per day (SVG, 0–100 units high)."""
    top = max((d["messages"] for d in daily), default=0) or 1
    bars = []
    for i, d in enumerate(daily):
        h = round(d["messages"] * 100 / top, 1)
        bars.append({"x": 10 + i * 60, "h": h, "y": 120 - h, "n": d["messages"],
                     "label": d["date"][5:], "active": d["active"]})
    return {"bars": bars, "width": 10 + len(daily) * 60}


def render_weekly_html(w: dict[str, Any]) -> str:
    tiers = [(TIER_NAMES[t], (w.get("tiers") or {}).get(t, 0)) for t in TIERS]
    return _environment().get_template("weekly.html.j2").render(
        w=w, chart=_bars(w.get("daily") or []), tiers=tiers, summary=summary_text(w))


def write_weekly(w: dict[str, Any], out: Path, *, pdf: bool) -> dict[str, Path]:
    """weekly.json and weekly.html in `out`, and weekly.pdf printed from the HTML."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "weekly.json", "html": out / "weekly.html"}
    atomic_write(paths["json"], orjson.dumps(w, option=orjson.OPT_INDENT_2))
    atomic_write(paths["html"], render_weekly_html(w).encode("utf-8"))
    if pdf:
        from qunyun.report.pdf import html_to_pdf

        paths["pdf"] = html_to_pdf(paths["html"], out / "weekly.pdf")
    return paths
