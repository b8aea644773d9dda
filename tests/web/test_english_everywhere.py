"""The English console says in English everything the code writes (issue 11 walk finding
53): every main page of a seeded community — with the traces a live bot leaves (moderation,
suspects, escalations, schedule misses, an unnamed Matrix room) — read with the language
switch on English has no Chinese outside what people wrote: member and group names,
messages, the plan's own texts, and the commands members type (`!排行`)."""

from __future__ import annotations

import html as html_text
import re
from collections.abc import Callable, Iterator
from typing import Any

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from qunyun.storage.work import audit as audit_repo
from tests.conftest import EXAMPLES
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded
from tests.web.test_words_newcomer import _seed_live_traces, console_paths

Make = Callable[..., TestClient]
HAN = re.compile(r"[\u4e00-\u9fff]")
# What members type to the bot: a literal command, not a sentence to translate.
COMMAND = re.compile(r"[!！][\u4e00-\u9fff]+(?:\s+[\u4e00-\u9fff]+(?:\s*/\s*[\u4e00-\u9fff]+)*)?")


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
        yield from (line.strip() for line in node.splitlines())
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _written_by_people(engine: Engine) -> list[str]:
    """Names, messages and the plan's texts: shown as written in either language."""
    said: set[str] = set(_strings(yaml.safe_load(
        (EXAMPLES / "python-camp.yaml").read_text(encoding="utf-8"))))
    with engine.connect() as conn:
        for sql in ("SELECT display_name FROM members", "SELECT name FROM groups",
                    "SELECT name FROM communities", "SELECT nickname FROM nicknames",
                    "SELECT text FROM events WHERE text IS NOT NULL"):
            said |= {str(v) for v in conn.execute(text(sql)).scalars() if v}
    # The seeded traces' names, messages and FAQ answer; the reason a plan's pattern rule
    # gives (自定义规则); a to-do the seed typed with no tier behind it (活跃者：邀请分享).
    said |= {"老王", "杭州", "财务", "加微信领资料", "刷屏刷屏", "A01-CEO", "有人问：作业在哪交",
             "作业在群公告里", "早安", "自定义规则", "活跃者：邀请分享"}
    return sorted((s for s in said if HAN.search(s)), key=len, reverse=True)


def _visible(html: str) -> str:
    """What is on screen without a click: no <details>, scripts, styles or form lists."""
    html = re.sub(r"<details.*?</details>", "", html, flags=re.S)
    html = re.sub(r"<(script|style|datalist|select|textarea|head)\b.*?</\1>", "", html,
                  flags=re.S)
    return html_text.unescape(re.sub(r"<[^>]+>", "\n", html))


def _left_over(html: str, written: list[str]) -> list[str]:
    shown = _visible(html).replace("中文", " ")  # the switch back to Chinese
    for words in written:
        shown = shown.replace(words, " ")
    shown = COMMAND.sub(" ", shown)
    return sorted({line.strip()[:120] for line in shown.splitlines() if HAN.search(line)})


def test_every_main_page_in_english_has_no_chinese_the_code_wrote(
        make_client: Make, engine: Engine, seeded: Seeded) -> None:
    room_gid = _seed_live_traces(engine, seeded)
    client = make_client("owner")
    client.cookies.set("qunyun_lang", "en")  # what the language switch sets
    paths = console_paths(client, seeded, room_gid)
    written = _written_by_people(engine)
    found = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        if left := _left_over(response.text, written):
            found[path] = left
    assert not found, found


GENERATED = [  # reasons the bot and the services write, as they write them
    ("operator:lin", "schedule:pause", "暂停「早安」"),
    ("operator:schedule", "schedule:missed",
     "「早安」停机期间错过 2 次（超过补发时限 30 分钟），已跳过"),
    ("operator:lin", "plan:save", "计划有 3 个问题"),
    ("operator:lin", "plan:save", "计划可以上线"),
    ("policy:moderation", "warn", "发广告"),
    ("policy:moderation", "kick", "累计 3 次警告：一次@太多人（送机票）"),
    ("policy:volunteers", "volunteer.warn", "警告 用户2：刷屏"),
    ("policy:volunteers", "volunteer.delete", "删除了 用户2 的一条消息"),
    ("policy:ambassadors", "ambassador.referral", "推广大使 用户1 带来了 用户3（邀请码），+10 分"),
    ("operator:lin", "sale.record", "记录成交 199 CNY"),
    ("operator:lin", "core.ask", "先问问核心用户的想法"),
    ("operator:lin", "escalation.reply", "已以机器人身份回复：作业在群公告里"),
]


def test_generated_reasons_and_refusals_read_in_english(
        make_client: Make, engine: Engine, seeded: Seeded) -> None:
    with engine.begin() as conn:
        for n, (actor, action, reason) in enumerate(GENERATED):
            audit_repo.record(conn, entry={
                "at_ms": 1_764_650_000_000 + n * 60_000, "community_id": seeded.community_id,
                "actor": actor, "action": action, "reason": reason, "evidence": {},
                "status": "done"})
    client = make_client("owner")
    client.cookies.set("qunyun_lang", "en")
    written = _written_by_people(engine)
    audit = client.get("/c/python-camp/audit").text
    assert not _left_over(audit, written), _left_over(audit, written)
    shown = _visible(audit)
    for words in ("paused “早安”", "missed 2 times while the bot was down", "the plan has 3 "
                  "problems", "advertising", "3 warnings, the last for mentioning too many people at once: "
                  "removed",
                  "warned 用户2: flooding", "ambassador 用户1 brought 用户3 (their code), +10 "
                  "points", "recorded a sale of 199 CNY", "asked a core member"):
        assert words in shown, words
    chinese = make_client("owner").get("/c/python-camp/audit").text
    assert "暂停「早安」" in chinese and "计划有 3 个问题" in chinese  # the log's own words

    # A refused grant says why in English; the Chinese console keeps the service's words.
    page = f"/c/python-camp/members/{seeded.script_member_id}"
    token = csrf_of(client, page)
    refused = client.post(f"/c/python-camp/members/{seeded.script_member_id}/points",
                          data={"csrf": token, "direction": "grant", "points": "0",
                                "reason": "x"})
    assert refused.status_code == 422
    assert "enter a whole number of points above 0" in refused.text
    deducted = client.post(f"/c/python-camp/members/{seeded.script_member_id}/points",
                           data={"csrf": token, "direction": "deduct", "points": "50",
                                 "reason": "误加的分要扣回", "ledger": "contribution"})
    assert "they have only 0 contribution points: 50 cannot be taken" in deducted.text
    assert not _left_over(deducted.text, [*written, "误加的分要扣回"])
    volunteers = client.get("/c/python-camp/volunteers", params={"error": "没有计划"}).text
    assert "the community has no plan yet" in volunteers
