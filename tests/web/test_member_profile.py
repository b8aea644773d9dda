"""Member 360 as an operator reads it (issue 11, O2/O3): each attribute says where it came
from — a questionnaire answer under its question, a part of the nickname under its name —
what the member wrote to the bot in the DM is not 发言 in the group, and the nickname
history reads 旧名 → 新名."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from qunyun.events import GroupRef, MemberJoined, MessagePosted, NicknameChanged
from qunyun.plan.load import parse_plan
from qunyun.services import onboarding as onboarding_service
from qunyun.services.ingest import EventRecorder
from tests.conftest import EXAMPLES
from tests.factories import T0, user
from tests.web.seed import Seeded

Make = Callable[..., TestClient]
GROUP = GroupRef("matrix", "!qa:localhost", "Python 训练营 · 答疑群")
DM = GroupRef("matrix", "!dm-wang:localhost", None, "direct")


def _text_of(html: str, element_id: str) -> str:
    block = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:ul|dl)>', html, flags=re.S)
    assert block, element_id
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block.group(1))).strip()


def _member_who_renamed_and_answered(engine: Engine, seeded: Seeded) -> int:
    """小王 joins, renames to the plan's format (name-city-job), answers the three
    questions in the DM (a different city than the nickname's)."""
    plan = parse_plan((EXAMPLES / "python-camp.yaml").read_text(encoding="utf-8")).plan
    assert plan is not None
    wang = user(7, "小王")
    renamed = user(7, "小王-杭州-财务")
    at = T0 + timedelta(days=1)
    with engine.begin() as conn:
        recorder = EventRecorder(community_id=seeded.community_id)
        recorder.record_many(conn, [
            MemberJoined(source="t", source_event_id="w-join", group=GROUP, at=at, member=wang),
            NicknameChanged(source="t", source_event_id="w-nick", group=GROUP,
                            at=at + timedelta(minutes=2), member=renamed, old="小王",
                            new="小王-杭州-财务"),
            *[MessagePosted(source="t", source_event_id=f"w-dm{i}", group=DM,
                            at=at + timedelta(minutes=5 + i), actor=renamed, text=answer)
              for i, answer in enumerate(("会一点", "5", "上海"))],
        ])
        member_id = recorder.member_id(conn, renamed)
        onboarding_service.apply_nickname(conn, member_id=member_id, nickname="小王-杭州-财务",
                                          onboarding=plan.onboarding)
        start_ms = int((at + timedelta(minutes=3)).timestamp() * 1000)
        onboarding_service.form_start(conn, community_id=seeded.community_id,
                                      member_id=member_id, at_ms=start_ms,
                                      onboarding=plan.onboarding)
        for i, answer in enumerate(("会一点", "5", "上海")):
            onboarding_service.form_answer(conn, member_id=member_id, answer=answer,
                                           at_ms=start_ms + 60_000 * (i + 1),
                                           onboarding=plan.onboarding)
    return member_id


def test_attributes_say_whether_the_member_answered_or_the_nickname_said_it(
        make_client: Make, engine: Engine, seeded: Seeded) -> None:
    member_id = _member_who_renamed_and_answered(engine, seeded)
    html = make_client("owner").get(f"/c/{seeded.slug}/members/{member_id}").text

    attributes = _text_of(html, "member-attributes")
    assert "你的 Python 基础？（零基础 / 会一点 / 能写脚本） 会一点 问卷回答" in attributes
    assert "你在哪个城市？（线下活动按城市组织） 上海 问卷回答" in attributes
    # The nickname's parts are not shown as answers to a question.
    assert "职业 财务 来自昵称" in attributes and "称呼 小王 来自昵称" in attributes
    assert "财务 问卷回答" not in attributes

    assert _text_of(html, "member-nicknames").startswith("小王 首次记录")
    assert "小王 → 小王-杭州-财务" in _text_of(html, "member-nicknames")

    recent = re.search(r"最近动态.*?</table>", html, flags=re.S)
    assert recent, "recent events"
    rows = re.findall(r'<tr><td>[^<]*</td><td class="event-kind">([^<]*)</td><td>([^<]*)</td></tr>',
                      recent.group(0))
    assert ("私聊机器人", "上海") in rows
    assert not [text for kind, text in rows if kind == "发言" and text in ("会一点", "5", "上海")]
