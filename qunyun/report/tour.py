"""The tour's one-line reasons behind the report's headline numbers (issue 11 #3, #4).

`qunyun demo` prints a health score, tier counts and the elimination candidates of a
20,000-message history; a newcomer reading 「副意见领袖 0 人」 beside 「意见领袖 12 人」, a
score of 65 beside the stage 热寂, or 218 candidates (half the community) cannot tell a real
finding from an artefact. Each line here says, from the report's own numbers, why.
"""

from __future__ import annotations

from typing import Any

from qunyun.report.words import component_label

_COUNT_WORDS = {1: "一", 2: "两", 3: "三", 4: "四", 5: "五", 6: "六"}


def health_line(report: dict[str, Any]) -> str | None:
    """Why a middling score can sit beside a dying stage: the score weighs six parts, the
    stage follows the trend."""
    health = report["community"].get("health") or {}
    parts = health.get("components") or {}
    if health.get("score") is None or not parts:
        return None
    shown = "、".join(f"{component_label(k)} {'—' if v is None else f'{v * 100:.0f}'}"
                     for k, v in parts.items())
    counted = sum(1 for v in parts.values() if v is not None)
    line = f"  健康分是{_COUNT_WORDS.get(counted, str(counted))}项的加权（满分各 100：{shown}"
    if counted < len(parts):
        line += "；「—」没有可算的数据，不计入"
    line += "）"
    if (health.get("dying") or {}).get("warning"):
        line += "；阶段和 ⚠ 看的是走势：消息量还够不等于群在变好"
    return line + "。"


def tier_line(report: dict[str, Any]) -> str:
    """What the two leader tiers are, and what a zero means."""
    cfg = report.get("tier_thresholds") or {}
    days = cfg.get("window_days", 30)
    core, regular = cfg.get("opinion_leader_share", 0.8), cfg.get("co_opinion_leader_share", 0.95)
    bar = (f"近{days}天 ≥{cfg.get('active_min_messages', 20)} 条且 "
           f"≥{cfg.get('active_min_days', 4)} 天")
    counts = {t["tier"]: t["count"] for t in report.get("todo") or []}
    line = (f"  分层看近 {days} 天的发言：意见领袖是合写前 {core:.0%} 消息的人，副意见领袖是其后到 "
            f"{regular:.0%} 的那一层，两者都要达到活跃标准（{bar}）")
    if counts.get("co_opinion_leader") == 0:
        line += "；副意见领袖 0 人：那一层的人发言都没到活跃标准"
    return line + "。"


def elimination_line(report: dict[str, Any]) -> str | None:
    """Why so many candidates: each rule's share, and that nobody is removed unconfirmed."""
    section = report.get("elimination") or {}
    members = section.get("members") or []
    criteria = section.get("criteria") or {}
    if not members or not criteria:
        return None
    total = report["community"].get("member_count") or 0
    silent = [m for m in members if m.get("rule") != "onboarding"]
    never = sum(1 for m in silent if "从未发言" in str(m.get("reason", "")))
    parts = []
    if silent:
        parts.append(f"{len(silent)} 人已 {criteria.get('silent_days')} 天以上没发言"
                     + (f"（其中 {never} 人入群后从未发言）" if never else ""))
    onboarding = len(members) - len(silent)
    if onboarding:
        parts.append(f"{onboarding} 人入群 {criteria.get('onboarding_hours') or 24:g} 小时内"
                     "未完成新人任务")
    share = f"，占现有成员 {len(members) / total:.0%}" if total else ""
    confirm = ("计划允许自动移除" if criteria.get("auto_remove")
               else "移除前都要运营者在工作队列逐个确认")
    return f"  淘汰候选 {len(members)} 人{share}：{'；'.join(parts)}。{confirm}。"
