"""T1 live tiers through the real pipeline, schedule and database (SQLite and PostgreSQL),
on a simulated clock: promotion at once and praised, no demotion within the grace period,
demotion after it and never announced, an operator's lock holds, the history is kept."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, text

from qunyun.bot.wiring import build_scheduler
from qunyun.effects import Effect, Send
from qunyun.services import growth as growth_service
from tests.factories import user
from tests.policies.test_bot_policies import ADMIN, Bot, camp_plan

DAY = 86_400


def camp(engine: Engine, **changes: object) -> Bot:
    return Camp(engine, camp_plan(
        tiers__window_days=7, tiers__active_min_messages=3, tiers__active_min_days=2,
        tiers__spreader_min_invites=1, growth__grace_days=14, elimination__onboarding_incomplete=False,
        **changes))


class Camp(Bot):
    def tick(self, seconds: float) -> list[Effect]:
        """A round of the schedule on the test's clock (the plan's entries synced then too)."""
        self.now = self.at(seconds)
        schedule = build_scheduler(self.engine, community_id=self.cid, plan=self.plan,
                                   resolution_s=1, now=self.now)
        out: list[Effect] = []
        for timer in schedule(self.now):
            out += self(timer)
        return out


def sends(effects: list[Effect]) -> list[str]:
    return [e.text for e in effects if isinstance(e, Send) and e.policy == "growth"]


def tiers_of(bot: Bot) -> dict[str, str]:
    with bot.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT m.display_name, t.tier FROM growth_tiers t JOIN members m "
            "ON m.id = t.member_id")).all()
    return {str(name): str(tier) for name, tier in rows}


def history(bot: Bot, name: str) -> list[dict[str, object]]:
    with bot.engine.connect() as conn:
        member_id = conn.execute(text("SELECT id FROM members WHERE display_name = :n"),
                                 {"n": name}).scalar_one()
        return growth_service.history(conn, member_id=member_id)


@pytest.fixture
def bot(engine: Engine) -> Bot:
    return camp(engine)


def test_promotion_at_once_grace_then_quiet_demotion(bot: Bot) -> None:
    star, quiet, lurker = user(1, "阿星"), user(2, "小静"), user(3, "潜水")
    bot.join(ADMIN, 0)
    for who in (star, quiet, lurker):
        bot.join(who, 10)
    bot.say(star, "大家好，我是阿星", 60)
    bot.say(quiet, "大家好", 120)
    bot.tick(1 * DAY)  # the schedule's first round stores the daily entry
    assert sends(bot.tick(2 * DAY)) == []  # first tiers: nobody is praised for them
    assert tiers_of(bot)["阿星"] == "participant" and tiers_of(bot)["潜水"] == "onlooker"

    for n in range(4):
        bot.say(star, f"今天的学习笔记第 {n} 篇，分享给大家", 2 * DAY + 3600 + n * 60)
    bot.say(star, "第二天继续分享", 3 * DAY - 3600 * 12)  # 「打卡」 would be a check-in, no 发言
    praise = sends(bot.tick(3 * DAY))
    assert tiers_of(bot)["阿星"] == "opinion_leader"
    assert len(praise) == 1 and "@阿星" in praise[0] and "「意见领袖」" in praise[0]
    assert "发言" in praise[0]  # the numbers behind it, in words

    # Silent after that: by day 11 the window is empty, but the grace period holds the tier.
    assert sends(bot.tick(11 * DAY)) == []
    assert tiers_of(bot)["阿星"] == "opinion_leader"
    # Day 18: grace over, below even the relaxed bar: demoted, and nothing is said.
    assert sends(bot.tick(18 * DAY)) == []
    assert tiers_of(bot)["阿星"] == "onlooker"
    moves = [(h["direction"], h["after"]) for h in history(bot, "阿星")]
    assert moves == [("demotion", "onlooker"), ("promotion", "opinion_leader"),
                     ("first", "participant")]
    assert "低于「意见领袖」标准的 90%" in str(history(bot, "阿星")[0]["reason"])

    # Each move is an event in the log with the numbers behind it.
    with bot.engine.connect() as conn:
        logged = [json.loads(p) if isinstance(p, str) else p for (p,) in conn.execute(text(
            "SELECT payload FROM events WHERE kind = 'tier' ORDER BY ts_ms, id")).all()]
    star_moves = [p for p in logged if p["direction"] != "first" or p["after"] == "participant"]
    assert any(p["direction"] == "promotion" and p["after"] == "opinion_leader"
               and p["window_messages"] == "6" for p in star_moves)


def test_a_spreader_is_praised_but_a_locked_member_does_not_move(bot: Bot) -> None:
    inviter, locked, friend, other = user(1, "拉新王"), user(2, "锁定"), user(3, "朋友"), user(4, "新人")
    bot.join(ADMIN, 0)
    bot.join(inviter, 10)
    bot.join(locked, 10)
    bot.say(inviter, "我来啦", 60)
    bot.tick(1 * DAY)
    bot.tick(2 * DAY)
    with bot.engine.begin() as conn:
        member_id = conn.execute(text("SELECT id FROM members WHERE display_name = '锁定'")
                                 ).scalar_one()
        growth_service.lock(conn, community_id=bot.cid, member_id=member_id,
                            tier="participant", operator="lin",
                            now_ms=int(bot.now.timestamp() * 1000) + 1)
    bot.join(friend, 2 * DAY + 60, inviter=inviter)
    bot.join(other, 2 * DAY + 120, inviter=locked)
    praise = sends(bot.tick(3 * DAY))
    assert len(praise) == 1 and "@拉新王" in praise[0] and "「传播者」" in praise[0]
    assert "邀请了 1 人入群" in praise[0]
    assert tiers_of(bot)["锁定"] == "participant"  # locked: the invite moves nothing
    assert history(bot, "锁定")[0]["direction_name"] == "运营锁定"


def test_praise_can_be_switched_off(engine: Engine) -> None:
    bot = camp(engine, growth__praise_promotions=False)
    inviter, friend = user(1, "拉新王"), user(3, "朋友")
    bot.join(inviter, 10)
    bot.tick(1 * DAY)
    bot.tick(2 * DAY)
    bot.join(friend, 2 * DAY + 60, inviter=inviter)
    assert sends(bot.tick(3 * DAY)) == []
    assert tiers_of(bot)["拉新王"] == "spreader"


def test_level_command_shows_level_and_held_tier(bot: Bot) -> None:
    star = user(1, "阿星")
    bot.join(star, 10)
    before = [e for e in bot.say(star, "!等级", 60) if e.kind == "reply"]
    assert len(before) == 1 and "尚未评定" in before[0].text  # type: ignore[attr-defined]
    bot.say(star, "大家好，我是阿星", 120)
    bot.tick(1 * DAY)
    bot.tick(2 * DAY)
    after = [e for e in bot.say(star, "！等级", 2 * DAY + 60) if e.kind == "reply"]
    assert len(after) == 1 and "成长层级：「参与者」" in after[0].text  # type: ignore[attr-defined]
    assert "等级「" in after[0].text  # type: ignore[attr-defined]
