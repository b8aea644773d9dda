"""The calendar page's rows (A1): schedule entries and slots as an operator reads them.

A join-relative campaign (the 7-day newcomer camp) is stored as one entry per member and
day; listed one by one they flood the page, so they are folded here — the entry list has
one row per campaign with how many members are in it (each member's next day one click
away), and a day of the grid has one item per campaign and time with the number of
members and their statuses. Every row names the groups it posts to and says 已暂停
instead of a next time when paused. Times are the community's local time; `zone_label`
says which. Pure: the route reads the database and hands the rows to the template.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from qunyun.domain.zones import offset_words
from qunyun.plan.model import Plan

# Chinese names of the zones a Chinese-speaking community is likely to run in; any other
# zone is named by its IANA name. The offset is always given.
ZONE_NAMES_ZH = {"Asia/Shanghai": "北京时间", "Asia/Chongqing": "北京时间",
                 "Asia/Harbin": "北京时间", "Asia/Urumqi": "乌鲁木齐时间",
                 "Asia/Hong_Kong": "香港时间", "Asia/Macau": "澳门时间",
                 "Asia/Taipei": "台北时间", "Asia/Singapore": "新加坡时间",
                 "Asia/Kuala_Lumpur": "吉隆坡时间", "Asia/Tokyo": "东京时间", "UTC": "协调世界时"}
_DAY_SUFFIX = re.compile(r"\s*第\s*\d+\s*天$")


def zone_label(tz: str, lang: str, at: dt.datetime | None = None) -> str:
    """「北京时间（UTC+8）」/ "Asia/Shanghai (UTC+8)": the zone the page's times are in."""
    utc = offset_words((at or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(tz)))
    if lang == "en":
        return f"{tz} ({utc})"
    return f"{ZONE_NAMES_ZH.get(tz, tz)}（{utc}）"


def local_text(ms: int | None, tz: str) -> str:
    if ms is None:
        return ""
    return dt.datetime.fromtimestamp(ms / 1000, tz=ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


@dataclass
class MemberRow:
    """One member's place in a join-relative campaign: their next day."""

    name: str
    group: str
    day: int
    entry: Mapping[str, Any]  # the entry of that next day (preview, pause)
    next_ms: int | None
    paused: bool
    entry_ids: list[int] = field(default_factory=list)  # every remaining day of theirs


@dataclass
class EntryRow:
    title: str
    kind: str
    origin: str
    group: str  # the groups it posts to, by name
    entry: Mapping[str, Any] | None  # None for a folded campaign
    rule: str | None  # a stored rule (the template says it in words)
    next_ms: int | None
    paused: bool
    campaign_days: int = 0  # a folded campaign: how many days each member gets
    members: list[MemberRow] = field(default_factory=list)


def _member_of(entry: Mapping[str, Any]) -> int | None:
    payload = entry.get("payload") or {}
    member = payload.get("member")
    return int(member) if member is not None and str(member).isdigit() else None


def campaign_name(plan: Plan | None, entry: Mapping[str, Any]) -> str:
    campaign_id = (entry.get("payload") or {}).get("campaign")
    if plan is not None:
        for c in plan.calendar.campaigns:
            if c.id == campaign_id:
                return c.name
    return _DAY_SUFFIX.sub("", str(entry.get("title") or ""))


def _day_of(entry: Mapping[str, Any]) -> int:
    day = (entry.get("payload") or {}).get("day")
    return int(day) if day is not None and str(day).isdigit() else 0


def target_label(entry: Mapping[str, Any], group_names: Mapping[int, str],
                 posts_to: str | None, admin_room: str | None, all_groups: str,
                 sep: str = "、", audience: Mapping[int, str] | None = None) -> str:
    """Which group(s) an entry posts to, by name: its own group (a member's campaign
    day), the named one, or every group but the admin room (`all_groups`: the words
    with a `{names}` slot, 「全部群（{names}）」; `audience`: the groups "every group" means,
    an imported history left out)."""
    if entry.get("group_id") is not None and _member_of(entry) is not None:
        return group_names.get(int(entry["group_id"]), "")
    if posts_to:
        return posts_to
    every = group_names if audience is None else audience
    names = [n for n in every.values() if not admin_room or n != admin_room]
    return all_groups.format(names=sep.join(names)) if names else \
        all_groups.partition("{")[0].rstrip(" （(")


def entry_rows(entries: Sequence[Mapping[str, Any]], *, plan: Plan | None,
               member_names: Mapping[int, str | None], group_names: Mapping[int, str],
               posts_to: Mapping[int, str | None], all_groups: str,
               unknown_member: str, sep: str = "、",
               audience: Mapping[int, str] | None = None) -> list[EntryRow]:
    """The entry list: each entry as a row, a join-relative campaign folded into one row
    whose members each show their next day (a paused member's too)."""
    admin_room = plan.bot.admin_room if plan is not None else None
    rows: list[EntryRow] = []
    camps: dict[str, EntryRow] = {}
    by_member: dict[tuple[str, int], list[Mapping[str, Any]]] = {}
    for e in entries:
        member = _member_of(e)
        if member is None:
            rows.append(EntryRow(
                title=str(e["title"]), kind=str(e["kind"]), origin=str(e["origin"]),
                group=target_label(e, group_names, posts_to.get(int(e["id"])), admin_room,
                                   all_groups, sep, audience),
                entry=e, rule=str(e["rule"]), next_ms=None if e["paused"] else e["next_ms"],
                paused=bool(e["paused"])))
            continue
        campaign = str((e.get("payload") or {}).get("campaign") or e["title"])
        by_member.setdefault((campaign, member), []).append(e)
        if campaign not in camps:
            days = next((len(c.days) for c in (plan.calendar.campaigns if plan else [])
                         if c.id == campaign), 0)
            camps[campaign] = EntryRow(title=campaign_name(plan, e), kind=str(e["kind"]),
                                       origin=str(e["origin"]), group="", entry=None,
                                       rule=None, next_ms=None, paused=False,
                                       campaign_days=days)
    for (campaign, member), member_days in by_member.items():
        ahead = sorted((d for d in member_days if d["next_ms"] is not None),
                       key=lambda d: (int(d["next_ms"]), _day_of(d)))
        if not ahead:
            continue
        active = [d for d in ahead if not d["paused"]]
        first = (active or ahead)[0]
        name = member_names.get(member) or unknown_member
        camps[campaign].members.append(MemberRow(
            name=name, group=group_names.get(int(first["group_id"] or 0), ""),
            day=_day_of(first), entry=first, next_ms=None if not active else first["next_ms"],
            paused=not active, entry_ids=[int(d["id"]) for d in ahead]))
    for row in camps.values():
        row.members.sort(key=lambda m: (m.paused, m.next_ms or 0, m.name))
        row.group = sep.join(dict.fromkeys(m.group for m in row.members if m.group))
        times = [m.next_ms for m in row.members if m.next_ms is not None]
        row.next_ms = min(times) if times else None
        row.paused = bool(row.members) and not times
    return rows + [r for r in camps.values() if r.members]


@dataclass
class GridItem:
    time: str
    title: str
    status: str
    slot_ms: int
    future: bool
    entry: Mapping[str, Any] | None  # None for a folded campaign item
    members: list[dict[str, Any]] = field(default_factory=list)  # folded: one per member
    counts: dict[str, int] = field(default_factory=dict)  # folded: members per status


def grid_items(items: Sequence[Mapping[str, Any]], *, plan: Plan | None,
               member_names: Mapping[int, str | None], unknown_member: str
               ) -> list[GridItem]:
    """One day's slots: members' campaign days at the same time folded into one item."""
    out: list[GridItem] = []
    folded: dict[tuple[str, str], GridItem] = {}
    for o in items:
        e = o["entry"]
        member = _member_of(e)
        if member is None:
            out.append(GridItem(time=o["time"], title=str(e["title"]), status=o["status"],
                                slot_ms=o["slot_ms"], future=o["future"], entry=e))
            continue
        key = (str((e.get("payload") or {}).get("campaign") or ""), o["time"])
        item = folded.get(key)
        if item is None:
            item = folded[key] = GridItem(time=o["time"], title=campaign_name(plan, e),
                                          status="", slot_ms=o["slot_ms"], future=o["future"],
                                          entry=None)
            out.append(item)
        item.members.append({**o, "name": member_names.get(member) or unknown_member,
                             "day": _day_of(e)})
        item.counts[o["status"]] = item.counts.get(o["status"], 0) + 1
    for item in folded.values():
        item.members.sort(key=lambda m: (m["day"], m["name"]))
    return out
