"""Synthetic, seeded community exports (never real people's chats).

`write_telegram_export` writes a Telegram Desktop single-chat JSON modelled on the real
format and on how groups really behave: a launch burst, members who join through a few
spreaders' links, Zipf-distributed activity (a handful of people write most messages),
activity that decays (the 95% that die), a batch of patterned fake accounts that join in
a burst and never speak, adverts with links/QR talk/Traditional characters, a spam wave
of one text from several accounts, replies, reactions, leaves, and a hostile nickname.
It streams what it writes, so a million messages need little memory.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

START = datetime(2025, 1, 6, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Shanghai
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华飞鑫波斌宇浩凯健俊帆帅旭宁欣悦"
CITIES = ["上海", "北京", "杭州", "深圳", "成都", "南京", "武汉", "西安", "广州", "苏州"]
JOBS = ["产品经理", "财务", "运营", "数据分析", "老师", "学生", "设计师", "工程师", "销售", "HR"]
TALK = [
    "今天的作业好难啊，有人一起讨论吗", "老师讲的 pandas 分组那块终于搞懂了", "打卡：今天学了 2 小时",
    "请问 read_excel 读中文乱码怎么办？", "分享一个小技巧：用 f-string 格式化报表", "收到，谢谢老师",
    "周末的直播几点开始？", "我用 Python 把周报自动化了，省了半天", "这个报错谁遇到过：KeyError",
    "同问", "哈哈哈哈", "有杭州的同学周末一起线下学习吗", "今天的回放在哪里看？", "👍",
    "建议大家先把基础语法过一遍", "我整理了一份笔记，需要的可以看群文件", "加油！", "学到了",
]
ADS = ["加微信 vx123456 免费领取资料", "代購正品，價格優惠，私聊我", "兼职日结，扫码进群 https://t.me/joinchat/abc",
       "低价出售课程资料，点击链接 http://bit.ly/xyz", "扫二维码领取优惠券"]
# Real people rarely send the exact same sentence: vary openers, topics and endings so
# that only the spam wave (and not every shared phrase) looks copied.
OPENERS = ["", "", "大家好，", "刚刚", "话说", "请教一下，", "补充一下：", "我觉得"]
ENDINGS = ["", "。", "！", "～", "？", " 😂", "，谢谢", "，求助", "，已解决"]
SPAM = "恭喜发财！扫码领取 888 元红包 https://hb.example.cn"
FAKE_TITLES = ["运营总监", "总经理", "CEO", "销售总监", "市场总监"]


def _name(rng: random.Random, i: int) -> str:
    second = rng.choice(GIVEN) if rng.random() < 0.5 else ""
    base = rng.choice(SURNAMES) + rng.choice(GIVEN) + second
    if rng.random() < 0.6:  # many follow the nickname format name-city-job
        return f"{base}-{rng.choice(CITIES)}-{rng.choice(JOBS)}"
    return base if i % 97 else f"{base}{i}"


def _unix(at: datetime) -> str:
    return str(int(at.timestamp()))


def _local(at: datetime) -> str:
    return (at + timedelta(hours=8)).replace(tzinfo=None).isoformat(timespec="seconds")


class _Writer:
    def __init__(self) -> None:
        self.next_id = 1

    def stamp(self, at: datetime, body: dict[str, Any]) -> dict[str, Any]:
        msg: dict[str, Any] = {"id": self.next_id, "type": body.pop("type", "message"),
                               "date": _local(at), "date_unixtime": _unix(at)}
        msg.update(body)
        # Telegram Desktop writes both forms of every text, service messages included.
        text = msg.setdefault("text", "")
        msg["text_entities"] = _entities(text)
        self.next_id += 1
        return msg


def _entities(text: str | list[Any]) -> list[dict[str, str]]:
    if isinstance(text, str):
        return [{"type": "plain", "text": text}] if text else []
    return [p if isinstance(p, dict) else {"type": "plain", "text": p} for p in text]


def telegram_messages(*, messages: int, senders: int, days: int, seed: int,
                      decay: bool = True, start: datetime | None = None
                      ) -> Iterator[dict[str, Any]]:
    """The export's `messages` list, oldest first, as dicts (from `start`, default START)."""
    begin = start or START
    rng = random.Random(seed)
    w = _Writer()
    names = {i: _name(rng, i) for i in range(1, senders + 1)}
    names[senders // 3 + 1] = "<script>alert('x')</script>"  # a hostile nickname, kept inert
    admin = 1
    spreaders = [2, 3, 4]
    end = begin + timedelta(days=days)
    # Join times: a launch wave on day 0, then arrivals spread over the first 60% of the period.
    join_at: dict[int, datetime] = {}
    for i in range(1, senders + 1):
        if i <= max(5, senders // 5):
            join_at[i] = begin + timedelta(minutes=i % 90)
        else:
            join_at[i] = begin + timedelta(seconds=rng.uniform(0, 0.6) * days * 86400)
    events: list[tuple[datetime, dict[str, Any]]] = []
    launch = [names[i] for i in range(2, max(5, senders // 5) + 1)]
    events.append((begin, {"type": "service", "actor": names[admin], "actor_id": f"user{admin}",
                           "action": "create_group", "title": "Python 数据分析进阶营",
                           "members": launch}))
    # Fans who bring friends now and then (seed 002's 传播者), besides the three hosts.
    fans = rng.sample(range(5, senders + 1), k=max(1, senders // 25))
    for i in range(max(5, senders // 5) + 1, senders + 1):
        inviter = None
        if rng.random() < 0.7:
            inviter = rng.choice(spreaders)
            fan = rng.choice(fans)
            if rng.random() < 0.3 and fan != i and join_at[fan] < join_at[i]:
                inviter = fan
        body: dict[str, Any] = {"type": "service", "actor": names[i], "actor_id": f"user{i}",
                                "action": "join_group_by_link"}
        if inviter:
            body["inviter"] = names[inviter]
        events.append((join_at[i], body))
    # A burst of fake accounts: batch-joined within a minute, patterned names, never speak.
    burst_at = begin + timedelta(days=min(20, days // 3 or 1), hours=3)
    fakes = [f"A{rng.choice('BCDEFGH')}{n}-{rng.choice(FAKE_TITLES)}" for n in range(8)]
    events.append((burst_at, {"type": "service", "actor": names[admin], "actor_id": f"user{admin}",
                              "action": "invite_members", "members": fakes}))
    # Leaves: ~5% leave on their own later on.
    for i in rng.sample(range(5, senders + 1), k=max(1, senders // 20)):
        left = join_at[i] + timedelta(days=rng.uniform(5, max(6, days * 0.8)))
        if left < end:
            events.append((left, {"type": "service", "actor": names[i], "actor_id": f"user{i}",
                                  "action": "remove_members", "members": [names[i]]}))
    yield from _merge(w, events, rng, names, join_at, messages=messages, days=days, decay=decay,
                      start=begin)


def _merge(w: _Writer, service: list[tuple[datetime, dict[str, Any]]], rng: random.Random,
           names: dict[int, str], join_at: dict[int, datetime], *, messages: int, days: int,
           decay: bool, start: datetime = START) -> Iterator[dict[str, Any]]:
    service.sort(key=lambda e: e[0])
    senders = len(names)
    # Zipf: a few write most. Cumulative weights, so each draw is a bisect, not a sum.
    cum = list(itertools.accumulate(1 / (rank ** 1.1) for rank in range(1, senders + 1)))
    total_seconds = days * 86400
    # Message times: density falls over the period (half-life a quarter of it) when decaying.
    lam = math.log(2) / (0.25 * total_seconds) if decay else 0.0
    times = sorted(_draw_time(rng, lam, total_seconds) for _ in range(messages))
    recent: list[int] = []
    # Adverts come from a few dedicated accounts, as they do in real groups.
    advertisers = rng.sample(range(max(6, senders // 2), senders + 1), k=min(10, senders // 4 or 1))
    s = 0
    spam_at = int(messages * 0.3)
    for n, offset in enumerate(times):
        at = start + timedelta(seconds=offset)
        while s < len(service) and service[s][0] <= at:
            yield w.stamp(service[s][0], dict(service[s][1]))
            s += 1
        author = bisect.bisect_left(cum, rng.random() * cum[-1]) + 1
        if join_at[author] > at:
            author = rng.randrange(1, max(2, senders // 5) + 1)
        body: dict[str, Any] = {"from": names[author], "from_id": f"user{author}"}
        roll = rng.random()
        if spam_at <= n < spam_at + 6:
            body.update(from_id=f"user{senders - (n - spam_at)}", from_=None)
            body["from"] = names[senders - (n - spam_at)]
            body.pop("from_", None)
            body["text"] = SPAM
        elif roll < 0.004:
            spammer = rng.choice(advertisers)
            body.update({"from": names[spammer], "from_id": f"user{spammer}",
                         "text": rng.choice(ADS)})
        elif roll < 0.02:
            body["photo"] = f"photos/photo_{n}.jpg"
            body["text"] = ""
        elif roll < 0.10:
            body["text"] = [_talk(rng), {"type": "bold", "text": "重点"}]
        else:
            body["text"] = _talk(rng)
        if recent and rng.random() < 0.25:
            body["reply_to_message_id"] = rng.choice(recent[-20:])
        msg = w.stamp(at, body)
        if rng.random() < 0.05:
            fan = rng.randrange(1, senders + 1)
            msg["reactions"] = [{"type": "emoji", "count": 1, "emoji": "👍", "recent": [
                {"from": names[fan], "from_id": f"user{fan}", "date": _local(at)}]}]
        recent.append(msg["id"])
        if len(recent) > 200:
            del recent[:100]
        yield msg
    while s < len(service):
        yield w.stamp(service[s][0], dict(service[s][1]))
        s += 1


def _talk(rng: random.Random) -> str:
    text = rng.choice(TALK)
    if len(text) < 6:
        return text  # 同问, 加油！, 👍: short agreement is the same everywhere
    topic = rng.choice(["（第{}课）", "，第{}题", "（作业{}）", " #{}"]).format(rng.randrange(1, 60))
    return f"{rng.choice(OPENERS)}{text}{topic}{rng.choice(ENDINGS)}"


def _draw_time(rng: random.Random, lam: float, total: int) -> float:
    if lam == 0:
        return rng.uniform(0, total)
    # Inverse CDF of an exponential truncated to [0, total].
    u = rng.random()
    return -math.log(1 - u * (1 - math.exp(-lam * total))) / lam


def write_telegram_export(path: Path, *, messages: int = 5000, senders: int = 300,
                          days: int = 120, seed: int = 7, decay: bool = True,
                          start: datetime | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        head = {"name": "Python 数据分析进阶营", "type": "private_supergroup", "id": -1001987654321}
        f.write(orjson.dumps(head)[:-1] + b',\n "messages": [\n')
        first = True
        for msg in telegram_messages(messages=messages, senders=senders, days=days, seed=seed,
                                     decay=decay, start=start):
            if not first:
                f.write(b",\n")
            f.write(b"  " + orjson.dumps(msg))
            first = False
        f.write(b"\n ]\n}\n")
    return path
