"""Growth words in the page's language: tier names, tier-move kinds, and the reasons the
bot stored for a tier move (T1) or a volunteer candidate (T4).

The reasons are stored as the Chinese sentence the bot wrote (`analytics.tiers.reason`,
`services.growth.apply`/`lock`, `services.volunteers.candidates`), in rows going back to
the first pass. Rather than a second stored form, the English console reads those
sentences back: each is built from a fixed set of fragments with numbers in them, and
`reason(text, "en")` rewrites the fragments it knows, in the words the English report
uses for the same reason (`analytics.tiers.reason(…, "en")`). A fragment it does not know
(a sentence an operator typed) is left as written, so nothing stored is ever hidden.
It is the console's one reader of these sentences (`labels.reason_label` hands them here).
Keep the patterns here in step with the generators named above (tests/web/
test_growth_labels.py feeds it their real output).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from qunyun.analytics.tiers import TIER_NAMES
from qunyun.domain import badges

TIER_EN = {"opinion_leader": "Opinion leader", "co_opinion_leader": "Co-opinion leader",
           "spreader": "Spreader", "active": "Active member", "participant": "Participant",
           "onlooker": "Onlooker"}
_EN_OF_ZH = {zh: TIER_EN[code] for code, zh in TIER_NAMES.items()}
DIRECTIONS = {"first": ("首次评定", "First assessment"), "promotion": ("升级", "Promotion"),
              "demotion": ("降级", "Demotion"), "lock": ("运营锁定", "Locked by operator"),
              "unlock": ("解除锁定", "Unlocked"),
              "staff": ("管理员不参与分层", "Admin: not tiered")}


def badge_rule(rule: str | None, lang: str) -> str:
    """A badge's rule in words (`domain.badges.words`), not as the plan writes it."""
    return badges.words(rule or "", lang)


def tier_label(code: str | None, lang: str) -> str:
    if not code:
        return ""
    return TIER_EN.get(code, code) if lang == "en" else TIER_NAMES.get(code, code)


def direction_label(code: str | None, lang: str) -> str:
    pair = DIRECTIONS.get(code or "")
    if pair is None:
        return code or ""
    return pair[1] if lang == "en" else pair[0]


def _role(role: str) -> str:
    return "no role" if role in ("", "未分工") else role


def _n(count: str, word: str) -> str:
    """「1 messages」 read wrong: the count with its word, singular for one."""
    return f"{count} {word}" if count == "1" else f"{count} {word}s"


def _tier(m: re.Match[str], group: str = "tier") -> str:
    return _EN_OF_ZH.get(m[group], m[group])


_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    # services.volunteers.candidates
    (re.compile(r"「(?P<tier>[^」]+)」：近 ?(?P<w>\d+) ?天发言 (?P<m>\d+) 条、活跃 (?P<d>\d+) 天、"
                r"邀请 (?P<i>\d+) 人"),
     lambda m: (f"{_tier(m)}: {_n(m['m'], 'message')} on {_n(m['d'], 'active day')} in the "
                f"last {m['w']} days, {_n(m['i'], 'member')} invited")),
    (re.compile(r"^运营 (?P<op>\S+) 手动邀请(?P<more>；)?"),
     lambda m: f"invited by hand by {m['op']}" + ("; " if m["more"] else "")),
    # services.volunteers (audit reasons)
    (re.compile(r"^邀请成为志愿者（(?P<role>[^）]*)）$"),
     lambda m: f"invited to volunteer ({_role(m['role'])})"),
    (re.compile(r"^接受了志愿者邀请（(?P<role>[^）]*)）$"),
     lambda m: f"accepted the volunteer invitation ({_role(m['role'])})"),
    (re.compile(r"^婉拒了志愿者邀请$"), lambda m: "declined the volunteer invitation"),
    (re.compile(r"^(?P<n>\d+) 天未回复志愿者邀请，视为婉拒$"),
     lambda m: f"no answer to the volunteer invitation in {_n(m['n'], 'day')}: taken as declined"),
    # services.ambassadors (audit reasons)
    (re.compile(r"^接受了推广大使邀请（邀请码 (?P<code>\w+)）$"),
     lambda m: f"accepted the ambassador invitation (code {m['code']})"),
    (re.compile(r"^婉拒了推广大使邀请$"), lambda m: "declined the ambassador invitation"),
    (re.compile(r"^(?P<n>\d+) 天未回复推广大使邀请，视为婉拒$"),
     lambda m: f"no answer to the ambassador invitation in {_n(m['n'], 'day')}: taken as declined"),
    (re.compile(r"^运营 (?P<op>\S+) 手动卸任$"), lambda m: f"retired by hand by {m['op']}"),
    (re.compile(r"^(?P<n>\d+) 天没有发言，自动卸任$"),
     lambda m: f"retired after {_n(m['n'], 'day')} without a message"),
    (re.compile(r"^手动重新评定成长等级$"), lambda m: "recomputed every member's tier by hand"),
    # analytics.tiers.reason
    (re.compile(r"近(?P<w>\d+)天发言 (?P<m>\d+) 条、(?P<d>\d+) 天有发言"),
     lambda m: f"{_n(m['m'], 'message')} on {_n(m['d'], 'day')} in the last {m['w']} days"),
    (re.compile(r"近(?P<w>\d+)天没有发言"), lambda m: f"no messages in the last {m['w']} days"),
    (re.compile(r"；与其他头部成员合计贡献前 (?P<p>[\d.]+%) 的消息（其之前累计 (?P<q>[\d.]+%)）"),
     lambda m: (f"; with the other top writers, wrote the first {m['p']} of the messages "
                f"({m['q']} before them)")),
    (re.compile(r"；位于消息贡献的 (?P<a>[\d.]+%)–(?P<b>[\d.]+%) 层"),
     lambda m: f"; in the {m['a']}–{m['b']} layer of the messages"),
    # (also after 「成为「传播者」：」, an ambassador invitation's why)
    (re.compile(r"(?:^|(?<=：))邀请了 (?P<n>\d+) 人入群（≥(?P<k>\d+)）；"),
     lambda m: f"brought {m['n']} members (≥{m['k']}); "),
    (re.compile(r"（≥(?P<a>\d+) 条且 ≥(?P<b>\d+) 天）"),
     lambda m: f" (≥{m['a']} messages on ≥{m['b']} days)"),
    (re.compile(r"，达到参与者标准（≥(?P<p>\d+) 条）"),
     lambda m: f", reached the participant bar (≥{m['p']} messages)"),
    (re.compile(r"，未达活跃标准（(?P<a>\d+) 条 / (?P<b>\d+) 天）"),
     lambda m: f", below the active bar ({_n(m['a'], 'message')} on {_n(m['b'], 'day')})"),
    # services.growth.apply / lock
    (re.compile(r"；低于「(?P<tier>[^」]+)」标准的 (?P<p>[\d.]+%)"),
     lambda m: f"; below {m['p']} of the {_tier(m)} bar"),
    (re.compile(r"^管理员不参与(?:分层和积分|成长分层（计划 points\.include_admins 未开启）)$"),
     lambda m: "admins take no part in tiers or points"),
    (re.compile(r"^(?P<op>.+) 解除了等级锁定$"), lambda m: f"{m['op']} unlocked the tier"),
    (re.compile(r"^(?P<op>.+) 将等级锁定为「(?P<tier>[^」]+)」$"),
     lambda m: f"{m['op']} locked the tier at {_tier(m)}"),
    # services.ambassadors: why a member was invited (after the tier reason inside it)
    (re.compile(r"^邀请成为推广大使："), lambda m: "invited to be an ambassador: "),
    (re.compile(r"成为「(?P<tier>[^」]+)」："), lambda m: f"entered {_tier(m)}: "),
]


def reason(text: str | None, lang: str) -> str:
    """A stored growth reason in the page's language (Chinese: as stored, but for the
    staff reason written with the plan's keys before issue 11 #33)."""
    if text == "管理员不参与成长分层（计划 points.include_admins 未开启）" and lang != "en":
        return "管理员不参与分层和积分"
    if not text or lang != "en":
        return text or ""
    out = text
    for pattern, english in _RULES:
        out = pattern.sub(english, out)
    return out
