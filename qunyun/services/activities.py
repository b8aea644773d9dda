"""A5 events as use cases: the plan's events as rows, what is due (announce, remind a day
and an hour before, ask for feedback at the end, summarise), registration with capacity
and a waiting list, check-in on the day, feedback 1–5, and the results.

Recurring events (plan `repeat:`) run occurrence by occurrence: `Plan.event_occurrences`
gives each occurrence as an event of its own (key `<series>-YYYYMMDD`), stored, announced
(`announce_days_before` ahead, not a year of dates at once), reminded, registered for,
checked in and summarised on its own. `!报名 <series>` means the series' next occurrence.

Registration: within capacity a member is registered, beyond it wait-listed; when a
registered member cancels, the first on the waiting list moves up (and is told). A member
who checks in without registering is counted as a walk-in: attendance against registered
and against expected both stay honest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from qunyun.domain import event_series, recurrence
from qunyun.domain.zones import offset_words
from qunyun.plan.model import Activity, Plan
from qunyun.services.schedule import EntrySpec, JobKind, Probe
from qunyun.storage.activities import repo

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


def _ms(at: datetime, tz: str) -> int:
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(tz))
    return int(at.timestamp() * 1000)


def _days_before_ms(at: datetime, tz: str, days: int) -> int:
    """The same clock time `days` local days before `at`: a day-before reminder for a
    19:30 event is at 19:30 the evening before, across a daylight-saving change too (not
    24 hours before, which is 18:30 or 20:30 then)."""
    zone = ZoneInfo(tz)
    wall = at.astimezone(zone).replace(tzinfo=None) if at.tzinfo is not None else at
    return int((wall - timedelta(days=days)).replace(tzinfo=zone).timestamp() * 1000)


def local_text(ms: int, tz: str) -> str:
    at = datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(ZoneInfo(tz))
    return f"{at.month} 月 {at.day} 日 {at:%H:%M}"


def when_text(ms: int, tz: str, lang: str) -> str:
    """The console's date of an event, with the year (past events go back months) and the
    zone's offset at that instant ("… 19:30 UTC+8"), as every console time carries."""
    at = datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(ZoneInfo(tz))
    offset = offset_words(at)
    if lang == "en":
        return f"{at:%Y-%m-%d %H:%M} {offset}"
    return f"{at.year} 年 {at.month} 月 {at.day} 日 {at:%H:%M} {offset}"


def _detail(a: Activity) -> dict[str, Any]:
    return {"goal": a.goal, "audience": a.audience, "place": a.place,
            "online_link": a.online_link, "agenda": list(a.agenda),
            "roles": [r.model_dump() for r in a.roles],
            "budget": [{"item": b.item, "amount": str(b.amount)} for b in a.budget],
            "checkin_opens_minutes": a.checkin_opens_minutes,
            "summary_after_hours": a.summary_after_hours,
            # An occurrence of a series: its rule in words, for the announcement.
            "series": (event_series.describe(a.repeat.series())
                       if a.repeat is not None and a.series_key is not None else None)}


def starts_ms(a: Activity, tz: str) -> int:
    return _ms(a.starts, tz)


def ends_ms(a: Activity, tz: str) -> int:
    return _ms(a.starts, tz) + a.duration_minutes * 60_000


def announce_ms(a: Activity, tz: str) -> int | None:
    """When an occurrence of a series is announced (its series' `announce_days_before`
    ahead); None for a one-off event, announced as soon as the bot has it."""
    if a.repeat is None or a.series_key is None:
        return None
    return _days_before_ms(a.starts, tz, a.repeat.announce_days_before)


def _live(a: Activity, tz: str, now_ms: int) -> bool:
    """An event the bot keeps a row for now: a one-off event always; an occurrence from its
    announcement until its summary is past catching up (a week after it is due)."""
    opens = announce_ms(a, tz)
    if opens is None:
        return True
    summary = ends_ms(a, tz) + int(a.summary_after_hours * HOUR_MS)
    return opens <= now_ms < summary + 7 * DAY_MS


def _store(conn: Connection, *, community_id: int, a: Activity, tz: str, now_ms: int) -> None:
    repo.upsert(conn, community_id=community_id, key=a.key, name=a.name,
                starts_ms=starts_ms(a, tz), ends_ms=ends_ms(a, tz), capacity=a.capacity,
                expected=a.expected_attendance, detail=_detail(a), now_ms=now_ms)


def occurrence_keys(plan: Plan) -> list[str]:
    return [a.key for a in plan.event_occurrences()]


def sync(conn: Connection, *, community_id: int, plan: Plan, now_ms: int) -> list[dict[str, Any]]:
    """Store the plan's events that are live now (idempotent): every one-off event, and the
    occurrences of a series from their announcement on. Returns the stored rows of the
    plan's events, soonest first."""
    tz = plan.bot.timezone
    for a in plan.event_occurrences():
        if _live(a, tz, now_ms):
            _store(conn, community_id=community_id, a=a, tz=tz, now_ms=now_ms)
    return repo.of_community(conn, community_id=community_id, keys=occurrence_keys(plan))


def next_event(events: Sequence[Activity], *, at_ms: int, tz: str) -> str | None:
    """A1's `{next_event}`: the soonest of the plan's events starting after `at_ms`, as
    members read it (「Pandas 实战夜」3 月 21 日 19:30). From the plan itself, so a post
    names an event before the bot has stored or announced it. `events`: the plan's
    `event_occurrences()` (each occurrence of a series on its own date)."""
    ahead = sorted((starts, a.name) for a in events if (starts := _ms(a.starts, tz)) > at_ms)
    return f"「{ahead[0][1]}」{local_text(ahead[0][0], tz)}" if ahead else None


Step = Literal["announced_ms", "reminded_day_ms", "reminded_hour_ms", "ended_ms", "summary_ms"]
STEP = "activity.step"  # schedule kind: one one-off entry per event and step
ANNOUNCE = "activity.announce"  # probe: an event of the plan not announced yet


def _step_times(a: Activity, tz: str) -> list[tuple[Step, int, int]]:
    """(step, when in ms, catch-up minutes) of one event's timeline."""
    starts = _ms(a.starts, tz)
    ends = starts + a.duration_minutes * 60_000
    return [("reminded_day_ms", _days_before_ms(a.starts, tz, 1), 23 * 60),
            ("reminded_hour_ms", starts - HOUR_MS, 60),
            ("ended_ms", ends, 24 * 60),
            ("summary_ms", ends + int(a.summary_after_hours * HOUR_MS), 7 * 24 * 60)]


def step_entries(plan: Plan) -> list[EntrySpec]:
    """Each event's reminders, feedback request and summary as one-off schedule entries;
    an occurrence of a series also gets its announcement (a one-off event is announced by
    the ANNOUNCE probe as soon as the bot has it)."""
    tz = plan.bot.timezone
    zone = ZoneInfo(tz)
    out = []
    for a in plan.event_occurrences():
        times = _step_times(a, tz)
        if (opens := announce_ms(a, tz)) is not None:
            times.insert(0, ("announced_ms", opens, 24 * 60))
        day = f" {a.starts:%m-%d}" if a.series_key is not None else ""
        for step, at_ms, catch_up in times:
            local = datetime.fromtimestamp(at_ms / 1000, tz=UTC).astimezone(zone)
            out.append(EntrySpec(
                kind=STEP, key=f"{a.key}:{step.removesuffix('_ms')}",
                title=f"{a.name}{day} · {STEP_NAMES[step]}", catch_up_minutes=catch_up,
                rule=recurrence.rule_text(at=f"{local:%H:%M}", start=local.date()),
                payload={"event": a.key, "step": step}))
    return out


STEP_NAMES = {"announced_ms": "公告", "reminded_day_ms": "提前一天提醒",
              "reminded_hour_ms": "提前一小时提醒", "ended_ms": "邀请反馈",
              "summary_ms": "活动总结"}
STEP_JOB = JobKind(STEP, from_plan=step_entries)


def announce_due(conn: Connection, *, community_id: int, plan: Plan, now_ms: int) -> bool:
    """An event of the plan that is not over and is due to be announced (a one-off event
    at once, an occurrence of a series from its announcement time) has not been announced
    (or stored) yet."""
    candidates = announcement_opened(plan, now_ms)
    if not candidates:
        return False
    rows = {r["key"]: r for r in repo.of_community(conn, community_id=community_id,
                                                   keys=sorted(candidates))}
    return any(rows.get(k) is None or rows[k]["announced_ms"] is None for k in candidates)


def announcement_opened(plan: Plan, now_ms: int) -> set[str]:
    """The keys of the plan's events whose announcement time has come (a one-off event's
    always; an occurrence's `announce_days_before` ahead of it) and that are not over."""
    tz = plan.bot.timezone
    return {a.key for a in plan.event_occurrences()
            if (announce_ms(a, tz) or 0) <= now_ms < ends_ms(a, tz)}


def announce_probe(plan: Plan) -> Probe:
    def due(conn: Connection, community_id: int, now_ms: int) -> list[int | None]:
        return [None] if announce_due(conn, community_id=community_id, plan=plan,
                                      now_ms=now_ms) else []
    return Probe(ANNOUNCE, due)


def step_wanted(row: dict[str, Any], step: Step, now_ms: int) -> bool:
    """Whether a step still makes sense now: not done, the event not rescheduled past it,
    and no day reminder when the announcement itself went out within that day."""
    if row[step] is not None:
        return False
    starts = int(row["starts_ms"])
    if step == "announced_ms":
        return now_ms < int(row["ends_ms"])
    if step == "reminded_day_ms":
        # (23 hours: the evening before is 23 or 25 hours ahead across a DST change)
        return (row["announced_ms"] or now_ms) < starts - 23 * HOUR_MS and now_ms < starts
    if step == "reminded_hour_ms":
        return now_ms < starts
    return now_ms >= int(row["ends_ms"])


def mark(conn: Connection, *, activity_id: int, step: Step, now_ms: int) -> bool:
    return repo.mark(conn, activity_id=activity_id, step=step, now_ms=now_ms)


def choose(conn: Connection, *, community_id: int, plan: Plan, now_ms: int,
           key: str | None) -> dict[str, Any] | None:
    """The event a command means: by key — an event's or an occurrence's
    (`pandas-night-20260418`), or a series' for its next occurrence not yet over — else
    the next stored one not yet over (or the one on now). An occurrence named by key is
    stored on the spot: one can register before its announcement."""
    tz = plan.bot.timezone
    if key:
        wanted = key.strip().lower()
        occurrences = plan.event_occurrences()
        chosen = next((a for a in occurrences if a.key == wanted), None)
        if chosen is None and plan.event_series(wanted) is not None:
            chosen = next((a for a in occurrences if a.series_key == wanted
                           and ends_ms(a, tz) > now_ms), None)
        if chosen is None:
            return None
        _store(conn, community_id=community_id, a=chosen, tz=tz, now_ms=now_ms)
        return next(iter(repo.of_community(conn, community_id=community_id,
                                           keys=[chosen.key])), None)
    rows = repo.of_community(conn, community_id=community_id, keys=occurrence_keys(plan))
    upcoming = [r for r in rows if int(r["ends_ms"]) > now_ms]
    return upcoming[0] if upcoming else None


@dataclass(frozen=True, slots=True)
class Registration:
    kind: Literal["registered", "waitlisted", "already", "over"]
    position: int = 0  # on the waiting list


def register(conn: Connection, *, activity: dict[str, Any], member_id: int,
             now_ms: int) -> Registration:
    aid = int(activity["id"])
    if now_ms >= int(activity["ends_ms"]):
        return Registration("over")
    current = repo.signup(conn, activity_id=aid, member_id=member_id)
    if current is not None and current["status"] in ("registered", "waitlisted", "walk_in"):
        return Registration("already")
    capacity = activity["capacity"]
    if capacity is not None and repo.count(conn, activity_id=aid,
                                           status="registered") >= capacity:
        repo.save_signup(conn, activity_id=aid, member_id=member_id, status="waitlisted",
                         now_ms=now_ms)
        return Registration("waitlisted",
                            repo.count(conn, activity_id=aid, status="waitlisted"))
    repo.save_signup(conn, activity_id=aid, member_id=member_id, status="registered",
                     now_ms=now_ms)
    return Registration("registered")


def cancel(conn: Connection, *, activity: dict[str, Any], member_id: int,
           now_ms: int) -> tuple[bool, int | None]:
    """(was registered or waiting, the member who moved up from the waiting list)."""
    aid = int(activity["id"])
    current = repo.signup(conn, activity_id=aid, member_id=member_id)
    if current is None or current["status"] not in ("registered", "waitlisted"):
        return False, None
    repo.save_signup(conn, activity_id=aid, member_id=member_id, status="cancelled",
                     now_ms=now_ms)
    if current["status"] != "registered":
        return True, None
    promoted = repo.first_waiting(conn, activity_id=aid)
    if promoted is not None:
        repo.save_signup(conn, activity_id=aid, member_id=promoted, status="registered",
                         now_ms=now_ms)
    return True, promoted


def checkin_open(activity: dict[str, Any], now_ms: int) -> bool:
    opens = int((activity["detail"] or {}).get("checkin_opens_minutes", 60)) * 60_000
    return int(activity["starts_ms"]) - opens <= now_ms < int(activity["ends_ms"])


def check_in(conn: Connection, *, activity: dict[str, Any], member_id: int,
             now_ms: int) -> Literal["ok", "walk_in", "already", "closed"]:
    aid = int(activity["id"])
    if not checkin_open(activity, now_ms):
        return "closed"
    current = repo.signup(conn, activity_id=aid, member_id=member_id)
    if current is not None and current["checked_in_ms"] is not None:
        return "already"
    kind: Literal["ok", "walk_in"] = "ok"
    if current is None or current["status"] != "registered":
        repo.save_signup(conn, activity_id=aid, member_id=member_id, status="walk_in",
                         now_ms=now_ms)
        kind = "walk_in"
    repo.check_in(conn, activity_id=aid, member_id=member_id, now_ms=now_ms)
    return kind


class FeedbackError(ValueError):
    """Feedback that cannot be taken (said in Chinese to the member)."""


def feedback(conn: Connection, *, activity: dict[str, Any], member_id: int, args: str,
             now_ms: int) -> int:
    """`!反馈 4 内容很实用`: a 1–5 rating and an optional text, from those who came."""
    head, _, text = args.strip().partition(" ")
    if not head.isdigit() or not 1 <= int(head) <= 5:
        raise FeedbackError("请这样反馈：!反馈 1-5 的评分 你的建议，例如 !反馈 5 很有收获")
    aid = int(activity["id"])
    current = repo.signup(conn, activity_id=aid, member_id=member_id)
    if current is None or current["checked_in_ms"] is None:
        raise FeedbackError("签到参加过的成员才能反馈哦")
    repo.feedback(conn, activity_id=aid, member_id=member_id, rating=int(head),
                  text=text.strip()[:500], now_ms=now_ms)
    return int(head)


def results(conn: Connection, *, activity: dict[str, Any]) -> dict[str, Any]:
    r = repo.results(conn, activity_id=int(activity["id"]))
    expected = activity["expected"]
    r["expected"] = expected
    r["turnout"] = (round(r["checked_in"] * 100 / (r["registered"] + r["walk_ins"]), 1)
                    if (r["registered"] + r["walk_ins"]) else None)
    r["of_expected"] = round(r["checked_in"] * 100 / expected, 1) if expected else None
    return r


def registered_members(conn: Connection, *, activity_id: int) -> list[int]:
    return repo.members(conn, activity_id=activity_id, status="registered")


def in_window(conn: Connection, *, community_id: int, since_ms: int,
              until_ms: int) -> list[dict[str, Any]]:
    """Events that started in a window, with results (weekly report, console)."""
    out = []
    for row in repo.of_community(conn, community_id=community_id):
        if since_ms <= int(row["starts_ms"]) < until_ms:
            out.append({**row, **results(conn, activity=row)})
    return out


def for_console(conn: Connection, *, community_id: int, plan: Plan | None,
                lang: str = "zh") -> list[dict[str, Any]]:
    """Every event of the community with its results, soonest first: the stored ones (the
    bot stores the plan's events when it starts) and the plan's events not stored yet, with
    nothing recorded (issue 11: the page listed no events while the plan had one, because
    only a running bot had stored it). Each occurrence of a series is a row of its own,
    `series` saying its rule (None for a one-off event). `stored` is False for a plan's
    occurrence no bot stored: one whose day has passed was not held through the bot
    (before the community's bot or plan; walk13 #66), not an event nobody came to.
    Read-only."""
    rows = [{**r, "stored": True} for r in all_with_results(conn, community_id=community_id)]
    if plan is not None:
        stored = {str(r["key"]) for r in rows}
        tz = plan.bot.timezone
        for a in plan.event_occurrences():
            if a.key in stored:
                continue
            rows.append({"key": a.key, "name": a.name, "starts_ms": starts_ms(a, tz),
                         "ends_ms": ends_ms(a, tz),
                         "capacity": a.capacity, "expected": a.expected_attendance,
                         "registered": 0, "waitlisted": 0, "checked_in": 0, "walk_ins": 0,
                         "rating": None, "feedback": [], "turnout": None, "of_expected": None,
                         "stored": False})
        series = {a.key: a.repeat for a in plan.events if a.repeat is not None}
        for r in rows:
            key = str(r["key"])
            dated = len(key) > 9 and key[-9] == "-" and key[-8:].isdigit()
            rule = series.get(key[:-9]) if dated else None
            r["series"] = (event_series.describe(rule.series(), lang) if rule is not None
                           else None)
    return sorted(rows, key=lambda r: int(r["starts_ms"]))


def all_with_results(conn: Connection, *, community_id: int) -> list[dict[str, Any]]:
    return [{**row, **results(conn, activity=row)}
            for row in repo.of_community(conn, community_id=community_id)]


def latest_attended(conn: Connection, *, community_id: int, plan: Plan,
                    member_id: int) -> dict[str, Any] | None:
    """The latest of the plan's events the member checked in at (what `!反馈` is about)."""
    rows = repo.of_community(conn, community_id=community_id, keys=occurrence_keys(plan))
    for row in sorted(rows, key=lambda r: -int(r["starts_ms"])):
        mine = repo.signup(conn, activity_id=int(row["id"]), member_id=member_id)
        if mine is not None and mine["checked_in_ms"] is not None:
            return row
    return None
