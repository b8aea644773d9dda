"""Evidence in sentences, and groups by name: what the report and the console show a person
instead of the analytics' field names (`messages=1 examples=[…]`, `pattern=^A\\S*`) or a
bare group id, in Chinese or English.

One function per kind of signal (and one for group names), shared by `report.html` and
the console, so both say the same thing. The raw evidence stays available (the console
puts it one click away), these sentences are for reading.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any


def _q(text: object, lang: str) -> str:
    value = str(text or "")
    return f"“{value}”" if lang != "en" else f'"{value}"'


def _time(value: object) -> str:
    text = str(value or "")
    return text[:16].replace("T", " ")


def signal_sentence(signal: Mapping[str, Any], lang: str = "zh") -> str:
    """One suspect signal (report: {kind, label, evidence}; live bot: {kind, …fields})."""
    kind = str(signal.get("kind") or "")
    ev: Mapping[str, Any] = signal.get("evidence") or signal
    en = lang == "en"
    if kind == "join_burst":
        if "joins_in_burst" in ev:
            start, end = _time(ev.get("burst_start")), _time(ev.get("burst_end"))[11:]
            n, silent = ev.get("joins_in_burst"), ev.get("silent_in_burst")
            return (f"joined in a burst ({n} joins between {start} and {end}; {silent} of them "
                    "never said anything), and never spoke" if en else
                    f"{start}–{end} 有 {n} 人集中入群，其中 {silent} 人从未发言，此账号是其中之一")
        n, seconds = ev.get("joins"), ev.get("seconds")
        return (f"joined with {n} others within {seconds} seconds" if en else
                f"与其他账号在 {seconds} 秒内集中入群（共 {n} 人）")
    if kind == "nickname":
        return (f"the nickname {_q(ev.get('name'), lang)} matches one of the plan's "
                "suspect-nickname patterns" if en else
                f"昵称{_q(ev.get('name'), lang)}符合计划里的可疑昵称规则")
    if kind == "ads":
        examples = [str(e) for e in ev.get("examples") or []][:2]
        shown = "；".join(_q(e, lang) for e in examples) if not en else "; ".join(
            _q(e, lang) for e in examples)
        n = ev.get("messages")
        return (f"{n} message(s) with links, QR codes or add-me talk, e.g. {shown}" if en else
                f"发过 {n} 条带链接、二维码或加好友的消息，例如{shown}")
    if kind == "same_text":
        text = _q(ev.get("text"), lang)
        return (f"sent {text} on the same day as {ev.get('accounts')} accounts; "
                f"{ev.get('messages')} of their {ev.get('of_messages')} messages" if en
                else f"与 {ev.get('accounts')} 个账号同一天发了相同的内容{text}，"
                f"占其 {ev.get('of_messages')} 条发言中的 {ev.get('messages')} 条")
    if kind == "red_packet_first":
        return (f"grabbed {ev.get('first_grabs')} of {ev.get('red_packets')} red packets first"
                if en else
                f"{ev.get('red_packets')} 个红包里有 {ev.get('first_grabs')} 个是第一个抢到")
    label = signal.get("label")
    return str(label or kind)


# The health score's components (analytics/health.py), named and explained for a person.
COMPONENTS: dict[str, tuple[str, str, str, str]] = {
    # Named for what each measures (issue 11 walk 3): "activity 100" beside "87 % below the
    # peak" read as a contradiction; it is the message volume now against the plan's floor,
    # and the drop from the peak is its own part, 对比高峰.
    "activity": ("消息量", "近14天日均消息，达到计划下限的 2 倍即满分", "message volume",
                 "messages a day over the last 14 days; twice the plan's floor scores full"),
    "participation": ("参与度", "近30天活跃率对比计划下限的 3 倍", "participation",
                      "the 30-day active ratio against three times the plan's floor"),
    "trend": ("走势", "近4周对比之前4周", "trend", "the last 4 weeks against the 4 before"),
    "momentum": ("对比高峰", "近4周消息对比最好的4周", "against the peak",
                 "the last 4 weeks' messages against the best 4 weeks ever"),
    "newcomers": ("新人参与", "1–8 周前入群的人里发过言的比例", "newcomers",
                  "the share of those who joined 1–8 weeks ago who spoke"),
    "diversity": ("发言分散度", "前 5 名之外的人写的消息占比", "diversity",
                  "the share of messages not written by the top five"),
}


def component_label(key: str, lang: str = "zh") -> str:
    names = COMPONENTS.get(key)
    if names is None:
        return key
    return names[2] if lang == "en" else names[0]


def component_help(key: str, lang: str = "zh") -> str:
    names = COMPONENTS.get(key)
    if names is None:
        return ""
    return names[3] if lang == "en" else names[1]


# The platforms' own names (stored codes are lower case; QQ runs through OneBot 11).
PLATFORM_NAMES: dict[str, tuple[str, str]] = {
    "matrix": ("Matrix", "Matrix"), "telegram": ("Telegram", "Telegram"),
    "onebot": ("QQ", "QQ"), "qq": ("QQ", "QQ"), "wechat": ("微信", "WeChat"),
}


def platform_name(platform: str | None, lang: str = "zh") -> str:
    code = platform or ""
    names = PLATFORM_NAMES.get(code.lower())
    return code if names is None else names[1 if lang == "en" else 0]


def looks_like_room_id(name: str) -> bool:
    """A Matrix room id (`!abc:localhost`) or alias standing in for a room's name."""
    return re.fullmatch(r"[!#][^\s:]+:\S+", name) is not None


def group_title(group: Mapping[str, Any], lang: str = "zh") -> str:
    """A group's name; one the platform gave no name (or only its room id) is
    "未命名的 Matrix 群 #3" (its id belongs in the small print, not the title)."""
    name = str(group.get("name") or "").strip()
    if name and name != group.get("external_id") and not looks_like_room_id(name):
        return name
    where = platform_name(str(group.get("platform") or ""), lang)
    if lang == "en":
        return " ".join(w for w in ("Unnamed", where, f"group #{group.get('id')}") if w)
    return f"未命名的{' ' + where + ' ' if where else ''}群 #{group.get('id')}"


def group_names(groups: Sequence[Mapping[str, Any]], lang: str = "zh") -> dict[int, str]:
    """What the console and the report call each of a community's groups (issue 11): its
    name, and where two groups share a name, the name with its platform and number (the
    console's group id, `/c/…/g/3`) — "Python 营（Matrix #3）" — so the report's group
    table and scope list, the console's overview, group page and calendar targets tell
    them apart the same way. Never a raw room id (`group_title`).

    A group that is only imported history (`imported`: an export, no bot runs it) says so
    — "Python 营（导入的历史 · Telegram 导出）" — instead of reading as a live group of that
    platform (walk finding 24)."""
    titles = {int(g["id"]): group_title(g, lang) for g in groups}
    counts: dict[str, int] = {}
    for g in groups:
        if not g.get("imported"):
            counts[titles[int(g["id"])]] = counts.get(titles[int(g["id"])], 0) + 1
    names: dict[int, str] = {}
    for g in groups:
        gid, title = int(g["id"]), titles[int(g["id"])]
        where = platform_name(g.get("platform"), lang)
        if g.get("imported"):
            names[gid] = (f"{title} (imported history · {where} export)" if lang == "en"
                          else f"{title}（导入的历史 · {where} 导出）")
        elif counts[title] > 1:
            opening, closing = (" (", ")") if lang == "en" else ("（", "）")
            names[gid] = f"{title}{opening}{where} #{gid}{closing}"
        else:
            names[gid] = title
    return names


def dying_reason(dying: Mapping[str, Any] | None, lang: str) -> str:
    """The dying warning's reason (the report words it in Chinese); in English rebuilt from
    its numbers where the report gives them (the console, the command line)."""
    d = dying or {}
    reason = str(d.get("reason") or "")
    if lang != "en":
        return reason
    if d.get("young"):
        return "less than 14 days of history: too early to judge the trend"
    if d.get("silent_days"):
        return "no messages in the last 7 days: the group has gone quiet"
    if d.get("below_floor_per_day") is not None:
        return (f"{d['below_floor_per_day']:g} messages a day over the last two weeks, below "
                "the plan's floor")
    if d.get("weekly_change") is None:
        return "activity is steady" if not d.get("warning") else reason
    parts = []
    drop = d.get("down_from_peak") or 0
    if drop >= 0.5:
        parts.append(f"the last 4 weeks had {drop:.0%} fewer messages than the peak")
    weeks = d.get("trend_weeks") or 8
    if d.get("projected_below_floor"):
        parts.append(f"at this group's trend over the last {weeks} weeks "
                     f"({d['weekly_change']:+.0%} a week), below the plan's floor around "
                     f"{d['projected_below_floor']}")
    else:
        parts.append(f"about {d['weekly_change']:+.0%} a week over {weeks} weeks")
    return "; ".join(parts)
