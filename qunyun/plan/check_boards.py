"""`plan check` findings for T3 seasons and decay: what is missing or contradictory."""

from __future__ import annotations

import re
from collections.abc import Iterator

from qunyun.plan.findings import Finding
from qunyun.plan.model import Plan

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_KNOWN = {"n", "year"}


def check_boards(plan: Plan) -> Iterator[Finding]:
    s = plan.seasons
    if s is not None:
        lengths = [k for k in ("every_weeks", "every_months") if getattr(s, k)]
        if s.starts and (s.start or lengths):
            yield Finding("T3", "seasons", "赛季请二选一：要么写 starts（每季的开始日期），要么写 "
                          "start 加 every_weeks 或 every_months",
                          "seasons: give either starts, or start with every_weeks/every_months")
        elif not s.starts and s.start is None:
            yield Finding("T3", "seasons", "赛季缺少开始日期：写 start（第一季开始那天）加 "
                          "every_weeks 或 every_months，或者用 starts 列出每季的开始日期",
                          "seasons: no start date (start with a length, or starts)")
        elif not s.starts and not lengths:
            yield Finding("T3", "seasons", "赛季缺少长度：写 every_weeks（每季几周）或 "
                          "every_months（每季几个月）",
                          "seasons: no length (every_weeks or every_months)")
        elif len(lengths) > 1:
            yield Finding("T3", "seasons", "every_weeks 和 every_months 只能写一个",
                          "seasons: give every_weeks or every_months, not both")
        if len(set(s.starts)) != len(s.starts):
            yield Finding("T3", "seasons.starts", "赛季开始日期有重复",
                          "seasons.starts: a date is listed twice")
        unknown = [p for p in _PLACEHOLDER.findall(s.name) if p not in _KNOWN]
        if unknown:
            yield Finding("T3", "seasons.name",
                          f"赛季名「{s.name}」里的 {{{unknown[0]}}} 无法填写，只能用 {{n}}（第几季）"
                          "和 {year}（年份）",
                          f"seasons.name: {{{unknown[0]}}} is not known (use {{n}} or {{year}})")
        if s.start is not None and s.every_weeks and s.start.weekday() != 0:
            yield Finding("T3", "seasons.start", "按周划分的赛季建议从周一开始（周榜也从周一算起）",
                          "seasons.start: weekly seasons read best starting on a Monday",
                          severity="advice")
        # Season announcements have their own daily entry (seasons.announce_at), so they
        # no longer need the growth pass; announcing nothing at all is worth saying.
        if not s.announce_top and not s.announce_start:
            yield Finding("T3", "seasons", "赛季的开始和结束都不在群里公布（announce_top 为 0，"
                          "announce_start 为 false）：群友只能自己发 !排行 赛季 查看",
                          "seasons: neither a season's start nor its results are announced",
                          severity="advice")
    if plan.points.include_admins:
        # The one switch for staff (`services.staff`): said aloud, it reaches further than
        # its name suggests.
        yield Finding("T3", "points.include_admins",
                      "管理员也参与成长体系：积分、排行榜、成长分层（报告的分层图和待办）、徽章和"
                      "核心用户都会算上管理员（bot.admins 和群管理员）；志愿者候选和淘汰始终不含管理员",
                      "points.include_admins: admins take part in the growth system — points, "
                      "boards, tiers (the report's chart and to-do list), badges and core users; "
                      "volunteer candidates and elimination still leave them out",
                      severity="advice")
    d = plan.points.decay
    if d.enabled and not plan.growth.enabled:
        yield Finding("T3", "points.decay", "积分衰减由每日成长评定执行，但 growth.enabled 是 "
                      "false：不会衰减", "points.decay: decay runs in the daily growth pass, "
                      "which is off", severity="advice")
    if d.enabled and d.after_days < 7:
        yield Finding("T3", "points.decay.after_days",
                      f"{d.after_days} 天没有积分就开始衰减太快了，成员请几天假就会掉分；建议至少 14 天",
                      f"points.decay.after_days: {d.after_days} days is very quick; "
                      "14 or more is advised", severity="advice")
