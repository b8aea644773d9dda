"""T1 in the console: the member 360 page shows the held tier and its history; an operator
locks and unlocks it (audited) and can recompute every member's tier now."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.web.conftest import csrf_of
from tests.web.seed import Seeded
from tests.web.test_pages import _ok

Make = Callable[..., TestClient]


def test_lock_unlock_and_recompute_from_the_member_page(make_client: Make, seeded: Seeded,
                                                        engine: Engine) -> None:
    mid = seeded.script_member_id
    client = make_client("vol")
    page = _ok(client, f"/c/python-camp/members/{mid}")
    assert "机器人认定的等级" in page and "尚未评定" in page
    token = csrf_of(client, f"/c/python-camp/members/{mid}")
    done = client.post(f"/c/python-camp/members/{mid}/tier",
                       data={"csrf": token, "tier": "active"}, follow_redirects=False)
    assert done.status_code == 303
    page = _ok(client, f"/c/python-camp/members/{mid}")
    assert "已锁定" in page and "运营锁定" in page and "将等级锁定为「活跃者」" in page
    client.post(f"/c/python-camp/members/{mid}/tier", data={"csrf": token, "tier": ""})
    page = _ok(client, f"/c/python-camp/members/{mid}")
    assert "解除锁定" in page and "已锁定 ·" not in page
    bad = client.post(f"/c/python-camp/members/{mid}/tier", data={"csrf": token, "tier": "boss"})
    assert bad.status_code == 404
    again = client.post("/c/python-camp/tiers/recompute",
                        data={"csrf": token, "back": f"/c/python-camp/members/{mid}"},
                        follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"].startswith(f"/c/python-camp/members/{mid}")
    with engine.connect() as conn:
        audited = conn.execute(text("SELECT COUNT(*) FROM audit_log WHERE action LIKE :a"),
                               {"a": "growth.%"}).scalar_one()
    assert audited >= 2


def test_the_member_page_shows_badges(make_client: Make, seeded: Seeded, engine: Engine) -> None:
    client = make_client("vol")
    mid = seeded.script_member_id
    assert "member-badges" in _ok(client, f"/c/python-camp/members/{mid}")
    with engine.begin() as conn:
        cid = conn.execute(text("SELECT community_id FROM members WHERE id = :m"),
                           {"m": mid}).scalar_one()
        conn.execute(text("INSERT INTO growth_badges (community_id, member_id, badge, name, "
                          "rule, awarded_ms) VALUES (:c, :m, 'streak-7', '七日打卡', "
                          "'checkin_streak >= 7', 1700000000000)"), {"c": cid, "m": mid})
    page = _ok(client, f"/c/python-camp/members/{mid}")
    assert "七日打卡" in page and "徽章" in page
    # Explained by the plan's description, not the rule's code (issue 11).
    badges = page.split('id="member-badges"')[1].split("</ul>")[0]
    assert "连续打卡 7 天" in badges and "checkin_streak" not in badges
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO growth_badges (community_id, member_id, badge, name, "
                          "rule, awarded_ms) VALUES (:c, :m, 'old-one', '老徽章', "
                          "'messages(days=30) >= 100', 1700000000001)"), {"c": cid, "m": mid})
    badges = _ok(client, f"/c/python-camp/members/{mid}").split('id="member-badges"')[1]
    assert "近 30 天发言条数 ≥ 100" in badges.split("</ul>")[0]


def test_the_member_page_shows_volunteer_status_and_english_reasons(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    from qunyun.services import growth as growth_service
    from qunyun.services import volunteers as volunteer_service
    from tests.policies.test_bot_policies import camp_plan

    mid = seeded.script_member_id
    client = make_client("vol")
    assert "未被邀请过做志愿者" in _ok(client, f"/c/python-camp/members/{mid}")
    plan = camp_plan(volunteers={"target": 10, "roles": [{"name": "答疑志愿者"}]})
    with engine.begin() as conn:
        cid = conn.execute(text("SELECT community_id FROM members WHERE id = :m"),
                           {"m": mid}).scalar_one()
        (cand,) = volunteer_service.candidates(
            [{"member_id": mid, "name": "x", "strict": "active", "window_messages": 30,
              "active_days": 5, "invited": 1}], plan=plan, exclude=set(), limit=1)
        volunteer_service.invite(conn, community_id=cid, member_id=mid, plan=plan, by="bot",
                                 why=cand.why, now_ms=1_700_000_000_000, role="答疑志愿者")
        volunteer_service.answer(conn, community_id=cid, member_id=mid, accept=True,
                                 plan=plan, now_ms=1_700_000_100_000)
        growth_service.lock(conn, community_id=cid, member_id=mid, tier="active",
                            operator="lin", now_ms=1_700_000_200_000)
    page = _ok(client, f"/c/python-camp/members/{mid}")
    box = page[page.index('id="member-volunteer"'):][:1500]
    assert "已接受" in box and "答疑志愿者" in box and "平均响应" in box
    assert "近 30 天发言 30 条" in box  # why they were picked, as stored

    client.cookies.set("qunyun_lang", "en")
    page = _ok(client, f"/c/python-camp/members/{mid}")
    box = page[page.index('id="member-volunteer"'):][:1500]
    assert "accepted" in box and "Mean response" in box
    assert "Active member: 30 messages on 5 active days in the last 30 days" in box
    history = page[page.index('id="member-tier-history"'):][:800]
    assert "Locked by operator" in history and "lin locked the tier at Active member" in history
    held = page[page.index('id="member-held-tier"'):][:400]
    assert "Active member" in held and "活跃者" not in held


def test_recompute_says_how_many_moved_and_a_former_member_says_why_no_tier(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    mid = seeded.script_member_id
    client = make_client("vol")
    token = csrf_of(client, f"/c/python-camp/members/{mid}")
    done = client.post("/c/python-camp/tiers/recompute",
                       data={"csrf": token, "back": f"/c/python-camp/members/{mid}"})
    assert "人的等级有变化" in done.text and 'id="growth-recomputed"' in done.text
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM growth_tiers WHERE member_id = :m"), {"m": mid})
        conn.execute(text("UPDATE memberships SET active = :f, left_ms = 1 WHERE member_id = :m"),
                     {"m": mid, "f": False})
    page = _ok(client, f"/c/python-camp/members/{mid}")
    assert "不评定：ta 现在不在任何群里" in page and "尚未评定" not in page


def test_an_empty_board_and_roster_say_why(make_client: Make, seeded: Seeded) -> None:
    client = make_client("vol")
    board = _ok(client, "/c/python-camp/boards?board=participation")  # nobody scored there
    assert "这个时段的榜上还没有人得分" in board and "导入的历史聊天记录不计分" in board
    roster = _ok(client, "/c/python-camp/volunteers")
    assert "还没有人被邀请：机器人每天" in roster


def test_the_member_page_shows_level_progress(make_client: Make, seeded: Seeded) -> None:
    """T3 member 360: the level, a bar to the next one and the points still to go (the
    default levels 新人 0 → 成员 50: 10 points is 20% of the way)."""
    mid = seeded.script_member_id
    client = make_client("vol")
    page = f"/c/python-camp/members/{mid}"
    before = _ok(client, page)
    level = before[before.index('id="member-level"'):][:600]
    assert "<progress" in level and "距「" in level
    token = csrf_of(client, page)
    client.post(f"{page}/points", data={"csrf": token, "direction": "grant", "points": "10",
                                        "reason": "分享笔记", "ledger": "contribution"})
    after = _ok(client, page)
    level = after[after.index('id="member-level"'):][:600]
    assert "新人" in level and "20%" in level and "距「成员」还差 40 分" in level
    client.cookies.set("qunyun_lang", "en")
    english = _ok(client, page)
    assert "points to" in english[english.index('id="member-level"'):][:600]


def test_level_share_on_a_list_and_at_the_top() -> None:
    from qunyun.plan.model import Points
    from qunyun.services.points import level_share

    levels = Points().levels
    assert level_share(levels, 0) == 0 and level_share(levels, 25) == 0.5
    assert level_share(levels, 125) == 0.5  # 成员 50 → 骨干 200
    assert level_share(levels, 900) is None
    curve = Points.model_validate({"curve": {"kind": "linear", "base": 10, "count": 5}}).levels
    assert level_share(curve, 15) == 0.5


def test_the_member_page_shows_the_tier_title_the_bot_gave(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    from qunyun.services import tier_roles

    mid = seeded.script_member_id
    client = make_client("vol")

    def box() -> str:
        page = _ok(client, f"/c/python-camp/members/{mid}")
        return page[page.index('id="member-tier-role"'):][:600]

    assert "没有" in box()
    with engine.begin() as conn:
        cid = conn.execute(text("SELECT community_id FROM members WHERE id = :m"),
                           {"m": mid}).scalar_one()
        tier_roles.record_given(conn, community_id=cid, member_id=mid,
                                role=tier_roles.Role("opinion_leader", "领袖", 20),
                                at_ms=1_700_000_000_000, by_operator=True)
    shown = box()
    assert "「领袖」，因成为「意见领袖」而授予" in shown and "已请运营者在群里设置" in shown
    assert "opinion_leader" not in shown
    client.cookies.set("qunyun_lang", "en")
    assert "given on reaching the tier Opinion leader" in box()


def test_a_first_recompute_counts_first_assessments_not_changes(
        make_client: Make, seeded: Seeded) -> None:
    """Issue 11 #69: the first assessment of everyone is not "394 人的等级有变化"; and the
    member page says which tier line is the cached report's."""
    mid = seeded.script_member_id
    client = make_client("vol")
    client.get("/c/python-camp/panel")  # the report the member page shows beside the bot's
    token = csrf_of(client, f"/c/python-camp/members/{mid}")
    done = client.post("/c/python-camp/tiers/recompute",
                       data={"csrf": token, "back": f"/c/python-camp/members/{mid}"})
    notice = done.text.split('id="growth-recomputed">')[1].split("</p>")[0]
    assert "人首次评定，0 人的等级有变化" in notice
    again = client.post("/c/python-camp/tiers/recompute",
                        data={"csrf": token, "back": f"/c/python-camp/members/{mid}"})
    notice = again.text.split('id="growth-recomputed">')[1].split("</p>")[0]
    assert notice == "已重新评定，0 人的等级有变化。"
    assert "报告（截至 " in done.text.split('id="member-report-as-of">')[1][:40]
