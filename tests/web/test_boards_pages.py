"""T3 in the console: the leaderboards page (period and board switchers, dense ranks, links
to member 360, the season's name and dates, both languages) and the member page's grant
form (CSRF, audited with the operator's name, shown in the points history with its reason,
a refused grant keeps what was typed)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from qunyun.services import audit
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded
from tests.web.test_pages import _ok

Make = Callable[..., TestClient]


def _other_member(engine: Engine, seeded: Seeded) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT min(id) FROM members WHERE community_id = :c AND id <> :m"),
            {"c": seeded.community_id, "m": seeded.script_member_id}).scalar_one())


def test_grant_form_and_the_leaderboards_page(make_client: Make, seeded: Seeded,
                                              engine: Engine) -> None:
    client = make_client("vol")
    star, other = seeded.script_member_id, _other_member(engine, seeded)
    member_page = f"/c/python-camp/members/{star}"
    assert 'id="grant-form"' in _ok(client, member_page)
    token = csrf_of(client, member_page)
    for mid, reason in ((star, "分享了很好的学习笔记"), (other, "帮同学解决了报错")):
        done = client.post(f"/c/python-camp/members/{mid}/points", follow_redirects=False,
                           data={"csrf": token, "direction": "grant", "points": "10",
                                 "reason": reason, "ledger": "contribution"})
        assert done.status_code == 303
        # The member hears of it in their group, as of `!加分` (issue 11 walk13 #58).
        told = _ok(client, done.headers["location"]).split('id="grant-done"')[1]
        assert "机器人会在「Python 训练营 · 答疑群」告诉 ta。" in told.split("</p>")[0]
    page = _ok(client, member_page + "?granted=1")
    assert "已记录" in page and "管理员加分" in page and "分享了很好的学习笔记 · vol" in page
    actions = page.split('id="member-actions"')[1].split("</table>")[0]
    assert "操作员 vol" in actions and "加分" in actions and "积分类别：贡献分" in actions
    assert "points.grant" not in actions and "contribution" not in actions

    # Refused: more than the member has. The page says why and keeps the reason typed.
    refused = client.post(f"/c/python-camp/members/{star}/points",
                          data={"csrf": token, "direction": "deduct", "points": "50",
                                "reason": "误加的分要扣回", "ledger": "contribution"})
    assert refused.status_code == 422
    assert "只有 10 分" in refused.text and 'value="误加的分要扣回"' in refused.text
    assert client.post(f"/c/python-camp/members/{star}/points",
                       data={"direction": "grant", "points": "5", "reason": "没有令牌"}
                       ).status_code in (400, 403)
    viewer = make_client("viewer")
    assert 'id="grant-form"' not in _ok(viewer, member_page)
    assert viewer.post(f"/c/python-camp/members/{star}/points",
                       data={"csrf": csrf_of(viewer, member_page), "direction": "grant",
                             "points": "5", "reason": "我只是看看"}).status_code == 403

    board = _ok(client, "/c/python-camp/boards?period=week&board=contribution")
    assert "排行榜" in board and "本周" in board and "贡献榜" in board
    rows = board.split('id="board"')[1].split("</table>")[0]
    assert rows.count('<td class="num">1</td>') == 2  # a tie shares rank 1 (dense)
    assert f'href="/c/python-camp/members/{star}"' in rows
    assert "<script>window" not in board  # the seeded nickname is escaped
    assert "这个时段的榜上还没有人得分" in _ok(client, "/c/python-camp/boards?board=participation")

    season = _ok(client, "/c/python-camp/boards?period=season")
    assert "第" in season and "季</b>" in season and "统计时段：" in season
    assert 'id="board-seasons"' in season and "?period=season&board=total&season=1" in season
    first = _ok(client, "/c/python-camp/boards?period=season&season=1")
    # The plan's seasons start 2026-01-05 (every 4 weeks), but this community's history
    # begins on 2026-03-01: its own first season is the one that day falls in (walk 37).
    assert "第1季" in first and "2026-02-02 — 2026-03-01" in first
    assert "2026-01-05" not in season
    assert client.get("/c/python-camp/boards?period=yesterday").status_code == 404

    client.cookies.set("qunyun_lang", "en")  # what the language switch sets
    english = _ok(client, "/c/python-camp/boards?period=all")
    assert "Leaderboards" in english and "All time" in english and "Contribution" in english

    with engine.connect() as conn:
        audited = conn.execute(text(
            "SELECT actor, reason FROM audit_log WHERE action = 'points.grant' ORDER BY id")
        ).all()
        queued = [e for _id, e in audit.pending_effects(conn, community_id=seeded.community_id)
                  if e.reason == "T3 grant"]
    assert ["+10 分（贡献，运营者 vol）：分享了很好的学习笔记。" in e.text  # type: ignore[attr-defined]
            for e in queued] == [True, False]
    assert [tuple(a) for a in audited] == [("operator:vol", "分享了很好的学习笔记"),
                                           ("operator:vol", "帮同学解决了报错")]
