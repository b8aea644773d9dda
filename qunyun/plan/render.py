"""The texts the bot posts: the rules document (P3) and the newcomer welcome (O1).

Plain text with light structure, because every chat platform shows plain text;
headings follow the UI language, the content is the operator's own words.
"""

from __future__ import annotations

from collections.abc import Sequence

from qunyun.plan.model import Plan

_HEADINGS = {
    "zh": {
        "title": "《{name}》群规", "intro": "一、社群介绍", "services": "二、社群服务",
        "forbidden": "三、禁止行为", "encouraged": "四、鼓励行为", "faq": "五、常见问题",
        "admins": "六、管理员", "feedback": "七、反馈渠道",
        "penalty": "违规处理：第 1 次起删除并警告，累计 {limit} 次警告将被移出本群（送机票）；"
                   "警告 {days} 天后失效。",
        "elimination": "淘汰规则：", "silent": "连续 {days} 天未发言",
        "onboarding": "入群 {hours} 小时内未完成新人任务", "notice": "符合条件者先收到提醒，{days} 天后移出。",
        "revival": "复活方式：", "revised": "最后修订：{date}",
        "ways": {"task": "完成指定任务", "payment": "付费", "reapply": "重新申请"},
        "repeat": "重复发送：同一句话（至少 {chars} 个字）{window}内发 {times} 次会被撤回并警告；"
                  "「收到」「谢谢老师」这类短句不算。",
        "exempt": "管理员同样遵守本群规。",
        "exempt_but": "管理员同样遵守本群规，只有这些对管理员放宽：{rules}。",
    },
    "en": {
        "title": "Rules of {name}", "intro": "1. About", "services": "2. What we offer",
        "forbidden": "3. Not allowed", "encouraged": "4. Encouraged", "faq": "5. FAQ",
        "admins": "6. Admins", "feedback": "7. Feedback",
        "penalty": "Penalties: each breach is deleted with a warning; {limit} warnings and you are "
                   "removed. Warnings expire after {days} days.",
        "elimination": "Elimination: ", "silent": "silent for {days} days in a row",
        "onboarding": "onboarding not done within {hours} h",
        "notice": "You are warned first and removed {days} days later.",
        "revival": "Coming back: ", "revised": "Last revised: {date}",
        "ways": {"task": "complete a task", "payment": "pay", "reapply": "apply again"},
        "repeat": "Repeats: the same message (at least {chars} characters) sent {times} times "
                  "within {window} is deleted with a warning; short replies such as “ok” never "
                  "count.",
        "exempt": "Admins follow the same rules.",
        "exempt_but": "Admins follow the same rules, except: {rules}.",
    },
}


_RULE_NAMES = {"links": ("发链接", "links"), "ad_keywords": ("广告关键词", "ad keywords"),
               "mass_mention": ("一次@多人", "mass mentions"), "flood": ("刷屏", "flooding"),
               "repeat": ("重复发送", "repeated messages"), "qr_codes": ("二维码", "QR codes")}


def _waived(plan: Plan, lang: str) -> list[str]:
    """The moderation rules the plan does not apply to admins (`admins_exempt` per rule)."""
    m = plan.moderation
    names = [_RULE_NAMES[key][lang == "en"] for key in _RULE_NAMES
             if getattr(m, key).admins_exempt]
    return names + [p.name for p in m.patterns if p.admins_exempt]


def _fmt_days(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def window(seconds: int, lang: str) -> str:
    """A rule's time window in words: 「5 分钟」 / "5 minutes"."""
    for size, zh, en in ((3600, "小时", "hour"), (60, "分钟", "minute"), (1, "秒", "second")):
        if seconds % size == 0:
            n = seconds // size
            return f"{n} {zh}" if lang != "en" else f"{n} {en}{'s' if n != 1 else ''}"
    raise AssertionError("unreachable: every whole number of seconds divides by 1")


def render_rules(plan: Plan, *, lang: str = "zh") -> str:
    h = _HEADINGS["en" if lang == "en" else "zh"]
    r = plan.rules
    lines = [str(h["title"]).format(name=plan.community.name), ""]
    if r is None:
        return "\n".join(lines).strip()
    if r.intro:
        lines += [str(h["intro"]), r.intro, ""]
    for key, items in (("services", r.services), ("forbidden", r.forbidden),
                       ("encouraged", r.encouraged)):
        if items:
            lines.append(str(h[key]))
            lines += [f"{i}. {item}" for i, item in enumerate(items, 1)]
            lines.append("")
    if r.faq:
        lines.append(str(h["faq"]))
        for item in r.faq:
            lines += [f"问：{item.q}" if lang != "en" else f"Q: {item.q}",
                      f"答：{item.a}" if lang != "en" else f"A: {item.a}"]
        lines.append("")
    if r.admins:
        lines += [str(h["admins"]), "、".join(r.admins) if lang != "en" else ", ".join(r.admins), ""]
    if r.feedback:
        lines += [str(h["feedback"]), r.feedback, ""]
    m = plan.moderation
    lines.append(str(h["penalty"]).format(limit=m.warn_limit, days=_fmt_days(m.warning_expiry_days)))
    if m.repeat.enabled:
        # What the repeat rule counts (issue 11 walk finding 52): short replies never do.
        lines.append(str(h["repeat"]).format(chars=m.repeat.min_chars, times=m.repeat.times,
                                             window=window(m.repeat.seconds, lang)))
    if not r.admins_exempt:
        # R3: the exceptions the plan makes for admins are part of the rules members read.
        waived = _waived(plan, lang)
        lines.append(str(h["exempt_but"]).format(rules=("、" if lang != "en" else ", ").join(
            waived)) if waived else str(h["exempt"]))
    e = plan.elimination
    if e and e.enabled and e.announce_in_rules:
        criteria = []
        if e.silent_days:
            criteria.append(str(h["silent"]).format(days=e.silent_days))
        if e.onboarding_incomplete:
            criteria.append(str(h["onboarding"]).format(
                hours=_fmt_days(plan.onboarding.deadline_hours)))
        if criteria:
            sep = "；" if lang != "en" else "; "
            lines.append(str(h["elimination"]) + sep.join(criteria) + (
                "。" if lang != "en" else ". ") + str(h["notice"]).format(days=e.notice_days or 0))
    if plan.revival and plan.revival.ways:
        ways = h["ways"]
        assert isinstance(ways, dict)
        named = [ways[w] for w in plan.revival.ways]
        text = ("、" if lang != "en" else ", ").join(named)
        if plan.revival.description:
            text += ("（" + plan.revival.description + "）") if lang != "en" else (
                f" ({plan.revival.description})")
        lines.append(str(h["revival"]) + text)
    if r.revised_on:
        lines += ["", str(h["revised"]).format(date=r.revised_on.isoformat())]
    return "\n".join(lines).strip()


# Where the questionnaire is, said in the welcome (issue 11 walk13 finding 3: members
# waited in the group for questions that had gone to their DM).
FORM_WHERE = {
    "dm": ("问卷已私信发给你，请在私聊里回复", "the questions are in your DM with me: answer there"),
    "dm_after_start": ("问卷在和我的私聊里：先打开和我的私聊（点我的头像发消息），问题就会发给你",
                       "the questions are in a DM with me: open a chat with me first and "
                       "they will come"),
    "room": ("问卷我会在群里@你提问，回复那条消息即可", "I will ask the questions here with an "
             "@-mention: reply to that message"),
}
# Words of a welcome step about the questionnaire, strongest first (「解决什么问题」 in an
# introduction step is no questionnaire).
_FORM_WORDS = ("问卷", "小问题", "个问题", "资料", "questionnaire", "questions", "form")


def _with_form_where(steps: list[str], where: str) -> list[str]:
    """The plan's questionnaire step with where it is asked, or that step added."""
    for word in _FORM_WORDS:
        for i, step in enumerate(steps):
            if word in step.lower():
                return [*steps[:i], f"{step.rstrip('。.')}——{where}", *steps[i + 1:]]
    return [*steps, where]


def render_welcome(plan: Plan, *, newcomer: str = "{newcomer}", lang: str = "zh",
                   rename: Sequence[str] | None = None, form_where: str | None = None) -> str:
    """The welcome as posted on join; `newcomer` is the @-mention the adapter fills in.
    `rename`: who must still fix their nickname (None: everyone; empty: nobody, so the
    nickname step is left out for a newcomer whose name already has the format).
    `form_where`: a `FORM_WHERE` key saying where the questionnaire is asked (the bot knows
    whether it can DM first); by default the plan's `form_channel`."""
    w = plan.welcome
    if w is None:
        return f"@{newcomer}"
    lines = [f"@{newcomer} " + (w.greeting or "")]
    labels = ({"offer": "群里有什么", "hosts": "谁在运营", "benefit": "当前福利", "next": "现在请你"}
              if lang != "en" else
              {"offer": "What you get", "hosts": "Run by", "benefit": "Current benefit",
               "next": "Please now"})
    sep = "：" if lang != "en" else ": "
    for key, value in (("offer", w.offer), ("hosts", w.hosts), ("benefit", w.benefit)):
        if value:
            lines.append(f"{labels[key]}{sep}{value}")
    steps = list(w.next_steps)
    o = plan.onboarding
    if rename is not None and not rename:
        steps = [s for s in steps if "昵称" not in s and "nickname" not in s.lower()]
    elif o.nickname_example and not any("昵称" in s or "nickname" in s.lower() for s in steps):
        who = "".join(f"@{n} " for n in rename or ())
        steps.insert(0, (f"{who}把群昵称改成“{o.nickname_example}”的格式" if lang != "en"
                         else f"{who}set your group nickname like “{o.nickname_example}”"))
    if o.form:
        zh, en = FORM_WHERE[form_where or o.form_channel]
        steps = _with_form_where(steps, zh if lang != "en" else en)
    if o.intro_template and o.self_intro:
        steps.append(f"自我介绍可以照这个写：{o.intro_template}" if lang != "en"
                     else f"introduce yourself like: {o.intro_template}")
    if steps:
        hours = _fmt_days(o.deadline_hours)
        head = (f"{labels['next']}（{hours} 小时内）{sep}" if lang != "en"
                else f"{labels['next']} (within {hours} h){sep}")
        lines.append(head)
        lines += [f"{i}. {s}" for i, s in enumerate(steps, 1)]
    return "\n".join(lines).strip()
