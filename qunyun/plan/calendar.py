"""The plan's `calendar:` section (A1): timed posts and campaign SOPs.

Kept beside `model.py` (which includes it as `Plan.calendar`) because it is one feature's
vocabulary. Times are local wall-clock times in the plan's `bot.timezone`; rules are read
by `qunyun.domain.recurrence` (plan check reports a rule that does not read).
"""

from __future__ import annotations

import datetime as dt
import string
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from qunyun.domain import recurrence

_ID = r"^[A-Za-z0-9_-]{1,60}$"
VARIABLES = ("group", "date", "newcomers", "top_checkins", "next_event", "member")
DEFAULT_START = dt.date(2026, 1, 1)


class Strict(BaseModel):  # the same as model.Strict (model.py imports this module)
    model_config = ConfigDict(extra="forbid", frozen=True)


class CalendarTask(Strict):
    """A task the post asks for; a member who answers `!完成 <name>` earns the points (T3)."""

    name: str = Field(min_length=1, max_length=40)
    points: int = Field(default=10, ge=0, le=10_000)


class CalendarPost(Strict):
    id: str = Field(pattern=_ID)
    title: str | None = None
    text: str = Field(min_length=1)  # variables: {group} {date} {newcomers} {top_checkins} {next_event}
    image: str | None = None  # a URL or mxc:// address, posted as a link line
    link: str | None = None
    at: str = "08:00"
    every: str | None = None  # day · week · month · "N days"; None: one-off on `date`
    weekdays: list[str] = []  # mon…sun or 周一…周日 (not `on:`: YAML reads that as true)
    nth: int | None = None  # with every: month and one weekday: 1 = first, -1 = last
    start: dt.date | None = None  # first day of the rule (default: 2026-01-01)
    date: dt.date | None = None  # the day of a one-off post
    until: dt.date | None = None
    rrule: str | None = None  # advanced: RFC 5545 text with a local DTSTART, replaces the above
    group: str | None = None  # a group's name or id; default every group of the community
    paused: bool = False
    skip: list[dt.date] = []  # single occurrences not to post
    task: CalendarTask | None = None


class CampaignDay(Strict):
    day: int = Field(ge=1, le=366)
    at: str = "09:00"
    text: str = Field(min_length=1)
    image: str | None = None
    link: str | None = None
    task: CalendarTask | None = None


class Campaign(Strict):
    """A campaign SOP: days relative to a start date or to each member's join date."""

    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1)
    relative_to: Literal["join", "start"] = "join"
    start: dt.date | None = None  # required when relative_to is start
    days: list[CampaignDay] = Field(min_length=1)
    paused: bool = False


class Calendar(Strict):
    # After downtime a missed slot is still posted (late) within this window, else skipped.
    catch_up_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    posts: list[CalendarPost] = []
    campaigns: list[Campaign] = []


def post_rule(post: CalendarPost) -> str:
    """The stored recurrence rule of a plan post (raises `recurrence.RuleError`)."""
    if post.rrule:
        return post.rrule.strip()
    if post.every is None:
        if post.date is None:
            raise recurrence.RuleError("a one-off post needs date (or every for a recurring one)",
                                      "一次性的帖子要写 date（重复的写 every）")
        return recurrence.rule_text(at=post.at, start=post.date)
    return recurrence.rule_text(at=post.at, start=post.start or DEFAULT_START,
                                every=post.every, on=post.weekdays, nth=post.nth, until=post.until)


def unknown_variables(text: str) -> list[str]:
    """Variables in a text that `render` does not know (plan check reports them)."""
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError:
        return ["{"]
    return [n for n in names if n not in VARIABLES]
