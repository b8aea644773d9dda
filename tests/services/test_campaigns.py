"""A1 campaigns on a simulated clock: the bundled python-camp plan's 7-day newcomer camp
runs per member from their join date, its tasks award points once (T3), a member who
left gets no more camp days; the daily, weekly and monthly posts keep their rhythm."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from qunyun.effects import Reply, Send
from qunyun.events import MemberJoined, MemberLeft, MessagePosted
from qunyun.plan.load import load_plan
from qunyun.plan.model import Plan
from tests.conftest import EXAMPLES
from tests.factories import GROUP, user
from tests.services.test_schedule import START, Bot

SHANGHAI = ZoneInfo("Asia/Shanghai")


def slot_at(post: Send) -> datetime:
    """The local time of the slot a post was for (the bot may fire it up to a step later)."""
    return datetime.fromtimestamp(int(post.evidence["slot_ms"]) / 1000, tz=SHANGHAI)


def camp(engine: Engine) -> Bot:
    """The bundled plan's calendar and campaigns; its daily tier pass, weekly report,
    volunteer pass and elimination sweeps are off (each builds figures in a child process: a quarter of them
    took minutes, and other tests cover them)."""
    loaded = load_plan(EXAMPLES / "python-camp.yaml")
    assert loaded.plan is not None
    data = loaded.plan.model_dump()
    data["growth"]["enabled"] = False
    data["reports"]["weekly"] = False
    data["elimination"]["enabled"] = False
    data["volunteers"] = None
    return Bot(engine, Plan.model_validate(data))


def say(bot: Bot, n: int, who: int, body: str) -> list[Reply]:
    out = bot.pipeline.process(MessagePosted(source="t", source_event_id=f"say{n}", group=GROUP,
                                             at=bot.now, actor=user(who, f"学员{who}"),
                                             text=body)).effects
    return [p.effect for p in out if isinstance(p.effect, Reply)]


def test_the_newcomer_camp_runs_from_each_members_join_date(engine: Engine) -> None:
    bot = camp(engine)
    bot.now = START + timedelta(hours=15)  # joins at 15:00: day 1 is tomorrow at 09:00
    bot.pipeline.process(MemberJoined(source="t", source_event_id="j1", group=GROUP,
                                      at=bot.now, member=user(1, "学员1")))
    assert "还没开始" in say(bot, 1, 1, "!完成 自我介绍")[0].text
    bot.run_until(START + timedelta(days=1, hours=9, minutes=1))
    day1 = [s for _, s in bot.sent if s.policy == "campaigns"]
    assert len(day1) == 1 and day1[0].text.startswith("@学员1 欢迎加入 7 日营")
    assert day1[0].mentions == (user(1, "学员1"),)
    assert "!完成 自我介绍" in day1[0].text
    assert "+10 分" in say(bot, 2, 1, "!完成 自我介绍")[0].text
    assert "已经完成过了" in say(bot, 3, 1, "!完成 自我介绍")[0].text
    bot.run_until(START + timedelta(days=9), step=timedelta(minutes=30))
    camp_days = [(slot_at(s), s) for _, s in bot.sent if s.policy == "campaigns"]
    assert [at.day for at, _ in camp_days] == [2, 3, 4, 5, 6, 7, 8]
    assert [at.strftime("%H:%M") for at, _ in camp_days] == ["09:00"] * 6 + ["20:00"]
    assert "结营" in camp_days[-1][1].text
    with engine.connect() as conn:
        points = conn.execute(text("SELECT sum(points) FROM bot_points "
                                   "WHERE action LIKE 'task:%'")).scalar_one()
    assert points == 10


def test_a_member_who_left_gets_no_more_camp_days(engine: Engine) -> None:
    bot = camp(engine)
    bot.now = START + timedelta(hours=7)
    bot.pipeline.process(MemberJoined(source="t", source_event_id="j1", group=GROUP,
                                      at=bot.now, member=user(1, "学员1")))
    bot.run_until(START + timedelta(days=1, hours=10), step=timedelta(minutes=30))
    bot.pipeline.process(MemberLeft(source="t", source_event_id="l1", group=GROUP,
                                    at=bot.now, member=user(1, "学员1")))
    bot.run_until(START + timedelta(days=8), step=timedelta(hours=1))
    camp_days = [s for _, s in bot.sent if s.policy == "campaigns"]
    assert len(camp_days) == 2
    with engine.connect() as conn:
        skipped = conn.execute(text("SELECT count(*) FROM schedule_slots s JOIN "
                                    "schedule_entries e ON e.id = s.entry_id WHERE "
                                    "e.kind = 'campaign' AND s.status = 'skipped'")).scalar_one()
    assert skipped == 5


def test_the_bundled_rhythm_over_a_quarter(engine: Engine) -> None:
    bot = camp(engine)
    bot.join_group()
    bot.run_until(START + timedelta(days=92), step=timedelta(hours=1))
    posts = [(slot_at(s), s) for _, s in bot.sent if s.policy == "calendar"]
    morning = [at for at, s in posts if s.evidence["post"] == "morning"]
    topics = [at for at, s in posts if s.evidence["post"] == "weekly-topic"]
    monthly = [at for at, s in posts if s.evidence["post"] == "monthly-review"]
    assert len(morning) == 92
    assert {at.strftime("%a %H:%M") for at in topics} == {"Tue 20:00", "Thu 20:00"}
    assert len(topics) == 26
    assert [at.strftime("%m-%d %a") for at in monthly] == ["03-02 Mon", "04-06 Mon", "05-04 Mon"]
    topic = next(s for _, s in posts if s.evidence["post"] == "weekly-topic")
    assert "链接：https://pycamp.example.cn/topics" in topic.text
    assert "!完成 话题夜发言" in topic.text and "{" not in topic.text
    assert isinstance(topic, Send)


def test_a_recurring_posts_task_counts_once_per_occurrence(engine: Engine) -> None:
    bot = camp(engine)
    bot.join_group()
    bot.run_until(START + timedelta(days=2, hours=20, minutes=1), step=timedelta(hours=1))
    assert "+10 分" in say(bot, 1, 1, "!完成 话题夜发言")[0].text  # Tuesday 3 March
    assert "已经完成过了" in say(bot, 2, 1, "!完成 话题夜发言")[0].text
    bot.run_until(START + timedelta(days=4, hours=20, minutes=1), step=timedelta(hours=1))
    assert "+10 分" in say(bot, 3, 1, "!完成 话题夜发言")[0].text  # Thursday's is new


def test_the_topic_night_names_the_plans_next_event_until_it_has_run(engine: Engine) -> None:
    """`{next_event}` is filled from the plan's events (A5): the topic nights before the
    Pandas night on 21 March name it with its local time; the ones after name the series'
    next occurrence, 18 April (the third Saturday of the month)."""
    bot = camp(engine)
    bot.join_group()
    bot.run_until(START + timedelta(days=28), step=timedelta(hours=1))
    topics = [(slot_at(s), s.text) for _, s in bot.sent
              if s.policy == "calendar" and s.evidence["post"] == "weekly-topic"]
    before = [t for at, t in topics if at.date().isoformat() < "2026-03-21"]
    after = [t for at, t in topics if at.date().isoformat() > "2026-03-21"]
    assert before and after
    assert all("下一场活动：「Pandas 实战夜（线上）」3 月 21 日 19:30" in t for t in before)
    assert all("下一场活动：「Pandas 实战夜（线上）」4 月 18 日 19:30" in t for t in after)


def test_the_morning_post_names_yesterdays_newcomers_and_check_in_stars(engine: Engine) -> None:
    """`{newcomers}` (joined in the last day) and `{top_checkins}` (yesterday's streaks)
    filled from what members did; the day after, with nothing new, the words for none."""
    bot = camp(engine)
    bot.join_group()  # 甲 joins at midnight, 1 March (and writes as 学员1 at noon)
    bot.run_until(START + timedelta(hours=12), step=timedelta(hours=1))
    say(bot, 1, 1, "打卡 今天学了两小时")
    bot.run_until(START + timedelta(days=2, hours=12), step=timedelta(hours=1))
    mornings = [s.text for _, s in bot.sent if s.policy == "calendar"
                and s.evidence["post"] == "morning"]
    assert len(mornings) == 3
    assert "欢迎新同学：甲" in mornings[0] and "昨天的打卡之星：暂无打卡" in mornings[0]
    assert "昨天的打卡之星：学员1（连续1天）" in mornings[1]  # its name when it checked in
    assert "欢迎新同学：暂无新成员" in mornings[1]
    assert "昨天的打卡之星：暂无打卡" in mornings[2]


def test_a_one_off_posts_task_awards_points_once(engine: Engine) -> None:
    """T3 tasks, one-off: "post this week's homework" on one date, `!完成` pays once."""
    loaded = load_plan(EXAMPLES / "python-camp.yaml")
    assert loaded.plan is not None
    data = loaded.plan.model_dump()
    data["growth"]["enabled"] = False
    data["reports"]["weekly"] = False
    data["elimination"]["enabled"] = False
    data["calendar"]["posts"] = [{
        "id": "homework-w1", "text": "本周作业：把第一周的练习贴出来", "at": "09:00",
        "date": "2026-03-02", "task": {"name": "第一周作业", "points": 15}}]
    bot = Bot(engine, Plan.model_validate(data))
    bot.join_group()
    bot.run_until(START + timedelta(days=1, hours=9, minutes=1), step=timedelta(hours=1))
    posts = [s for _, s in bot.sent if s.evidence.get("post") == "homework-w1"]
    assert len(posts) == 1 and "!完成 第一周作业" in posts[0].text
    assert "+15 分" in say(bot, 11, 1, "!完成 第一周作业")[0].text
    assert "已经完成过了" in say(bot, 12, 1, "!完成 第一周作业")[0].text
    assert "+15 分" in say(bot, 13, 2, "!完成 第一周作业")[0].text  # another member
    bot.run_until(START + timedelta(days=9, hours=9, minutes=1), step=timedelta(hours=6))
    assert len([s for _, s in bot.sent if s.evidence.get("post") == "homework-w1"]) == 1
