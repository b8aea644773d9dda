"""O1/O2 with R3: a member who comes back is not a newcomer (issue 11). Back after an upheld
appeal, or in the group before the bot and rejoining: a short 「欢迎回来」 at once, no
group welcome, no questionnaire, no reminders; their points are as they were. A newcomer
who left before finishing and comes back is still a newcomer."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from qunyun.effects import DirectMessage, Effect, Send
from qunyun.events import GroupRef, MemberLeft, MessagePosted, UserRef
from qunyun.services import appeals
from qunyun.services.importing import import_events
from qunyun.storage.work import queues as queue_repo
from tests.factories import GROUP, user
from tests.policies.test_bot_policies import Bot, camp_plan

DM = GroupRef("matrix", "!dm-u7:localhost", None, "direct")
DAY = 86_400


@pytest.fixture
def bot(engine: Engine) -> Bot:
    return Bot(engine, camp_plan())


def left(bot: Bot, who: UserRef, seconds: float) -> list[Effect]:
    """The platform's notice that `who` is out of the group (after the bot's kick)."""
    bot.n += 1
    return bot(
        MemberLeft(
            source="t", source_event_id=f"l{bot.n}", group=GROUP, at=bot.at(seconds), member=who
        )
    )


def posts_to(effects: list[Effect], who: UserRef) -> list[str]:
    return [e.text for e in effects if isinstance(e, Send)
            and who.user_id in {m.user_id for m in e.mentions}]


def told(effects: list[Effect], who: UserRef) -> list[str]:
    """What `who` reads from the bot: group posts naming them and DMs to them."""
    return posts_to(effects, who) + [e.text for e in effects
                                     if isinstance(e, DirectMessage) and e.member.user_id == who.user_id]


def points(bot: Bot, who: UserRef) -> int:
    return int(
        bot.scalar(
            "SELECT coalesce(sum(points), 0) FROM bot_points WHERE member_id = "
            f"(SELECT member_id FROM identities WHERE external_id = '{who.user_id}')"
        )
    )


def test_back_after_an_upheld_appeal_is_welcomed_back_not_onboarded(bot: Bot) -> None:
    member = user(7, "小王-杭州-财务")
    bot.join(member, 0)
    bot.tick(15)  # the newcomer welcome
    bot.say(member, "大家好，我是小王，在杭州做财务，想用 Python 做报表", 30)
    earned = points(bot, member)
    assert earned > 0
    for n, advert in enumerate(
        ("福利 https://spam.example.com/x", "加微信领资料 vx123", "代購正品，價格優惠，私聊我")
    ):
        effects = bot.say(member, advert, 60 + n)
    assert any(e.kind == "kick" for e in effects)
    left(bot, member, 70)

    bot.n += 1
    bot(
        MessagePosted(
            source="t",
            source_event_id=f"dm{bot.n}",
            group=DM,
            at=bot.at(120),
            actor=member,
            text="!申诉 第一条是课程资料的链接",
        )
    )
    with bot.engine.begin() as conn:
        (item,) = queue_repo.list_items(conn, community_id=bot.cid, queue="appeal")
        decision = appeals.decide(
            conn,
            community_id=bot.cid,
            item_id=int(item["id"]),
            operator="lin",
            approve=True,
            reason="确实是课程资料",
        )
    assert decision.reinvited  # the bot invites her back

    back = bot.join(member, 300)
    assert posts_to(back, member) == [
        "欢迎回来，@小王！你的积分和记录都还在，直接参与就好。"
    ]
    assert not [e for e in back if isinstance(e, DirectMessage)]  # no questionnaire
    later = bot.tick(320) + bot.tick(DAY + 400)  # the batch window, then past the deadline
    # No group welcome, no reminder, no deadline notice (a season's close may name her).
    assert not [t for t in posts_to(later, member) if "新人" in t or "欢迎加入" in t]
    assert points(bot, member) == earned  # nothing reset


def test_a_member_from_before_the_bot_who_rejoins_is_welcomed_back(
    bot: Bot, engine: Engine
) -> None:
    old_hand = user(3, "老学员")
    import_events(
        engine,
        community_id=bot.cid,
        events=[
            MessagePosted(
                source="import:telegram:-1001",
                source_event_id=f"h{i}",
                group=GROUP,
                at=bot.at(-86_400 + i),
                actor=old_hand,
                text="以前的讨论",
            )
            for i in range(3)
        ],
    )
    left(bot, old_hand, 10)
    back = bot.join(old_hand, 20)
    assert [t for t in posts_to(back, old_hand) if t.startswith("欢迎回来")]
    assert not [e for e in back if isinstance(e, DirectMessage)]
    assert posts_to(bot.tick(40), old_hand) == []  # not in the newcomers' welcome


def test_a_newcomer_who_left_before_finishing_is_still_a_newcomer(bot: Bot) -> None:
    newcomer = user(5, "新同学")
    bot.join(newcomer, 0)
    left(bot, newcomer, 5)
    again = bot.join(newcomer, 60)
    assert not [t for t in posts_to(again, newcomer) if t.startswith("欢迎回来")]
    welcome = [t for t in posts_to(bot.tick(75), newcomer)]
    assert welcome and "24 小时内" in welcome[0]


def test_a_member_who_finished_the_steps_here_before_is_welcomed_back(engine: Engine) -> None:
    bot = Bot(engine, camp_plan(onboarding__form=[]))
    member = user(6, "小李-上海-产品")
    bot.join(member, 0)
    done = bot.say(member, "大家好，我是小李，在上海做产品，想学 Python 做数据分析", 30)
    assert any("新人任务全部完成" in t for t in told(done, member))
    left(bot, member, 60)
    back = bot.join(member, 120)
    assert [t for t in posts_to(back, member) if t.startswith("欢迎回来")]
    assert not [t for t in posts_to(bot.tick(140), member) if "欢迎加入" in t]
