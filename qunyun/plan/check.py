"""`plan check` (P2): what a community plan is missing or contradicts, in the playbook's words.

The checks walk seed 000's eight questions in order, then seed 002's positioning,
the seven rule sections (P3) and the platform size limits (P4), then the settings
whose values contradict each other. A plan with no `error` finding is ready to launch;
`advice` findings are the playbook's recommendations and do not block.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from qunyun.domain.commands import is_known, named_in
from qunyun.domain.patterns import check_pattern, labels_from, reason_zh
from qunyun.plan.check_badges import check_badges
from qunyun.plan.check_boards import check_boards
from qunyun.plan.check_calendar import check_calendar
from qunyun.plan.check_groups import check_groups
from qunyun.plan.check_lifecycle import check_lifecycle
from qunyun.plan.check_people import check_people
from qunyun.plan.check_volunteers import (
    check_ambassadors,
    check_tier_actions,
    check_volunteers,
)
from qunyun.plan.findings import Finding
from qunyun.plan.limits import check_limits
from qunyun.plan.load import LoadedPlan
from qunyun.plan.model import Plan
from qunyun.plan.platforms import PLATFORM_CAPS, PLATFORM_NAMES, RECOMMENDED_ENGAGEMENT_CAP
from qunyun.plan.texts import plan_texts

DIMENSION_NAMES = "年龄、职业、城市、收入、家庭、兴趣、学历"
RULES_REVISION_DAYS = 92  # P3: revise the rules every quarter
# A question that lists its options in words: 「你的基础？（零基础 / 会一点 / 能写脚本）」.
LISTED_CHOICES = re.compile(r"[（(]([^）)]*[/／][^）)]*)[）)]")


def _err(code: str, path: str, zh: str, en: str) -> Finding:
    return Finding(code, path, zh, en)


def _advice(code: str, path: str, zh: str, en: str) -> Finding:
    return Finding(code, path, zh, en, severity="advice")


def _positioning(plan: Plan) -> Iterator[Finding]:
    c = plan.community
    if c.positioning is None:
        yield _err("P1", "community.positioning",
                   "没写社群定位：是辅助已有业务的社群（auxiliary），还是本身要赚钱的商业型社群（commercial）？",
                   "no positioning: is the community auxiliary to a business or commercial in itself?")
    if not c.purpose:
        yield _err("P1", "community.purpose", "没写建群目的：这个群为什么存在？",
                   "no purpose: why does this group exist?")
    if not c.goals:
        yield _err("P1", "community.goals", "没写社群目标：用什么来衡量群做得好不好？",
                   "no goals: what tells you the group is doing well?")
    if not c.values:
        yield _err("P1", "community.values", "没写价值观：成员因为什么聚在一起、认同什么？",
                   "no values: what do members share and believe in?")


def _service(plan: Plan) -> Iterator[Finding]:
    s = plan.service
    if s is None:
        yield _err("P1", "service", "①社群服务：没写为用户解决什么问题（目标人群、持续服务、服务周期）",
                   "(1) service: missing — target crowd, sustained service, service cycle")
        return
    dims = s.audience.dimensions() if s.audience else {}
    if len(dims) < 2:
        yield _err("P1", "service.audience",
                   f"目标人群至少要从 2 个维度描述（{DIMENSION_NAMES}），现在只有 {len(dims)} 个",
                   f"describe the target crowd on at least 2 dimensions, found {len(dims)}")
    elif len(dims) > 4:
        yield _advice("P1", "service.audience",
                      f"目标人群用了 {len(dims)} 个维度：2–4 个就够，定位越清晰活跃度越好",
                      f"{len(dims)} audience dimensions: 2–4 keep the crowd clear")
    if not s.offering:
        yield _err("P1", "service.offering", "没写你可以持续提供的服务是什么",
                   "no sustained service: what will you keep providing?")
    if s.cycle_days is None:
        yield _err("P1", "service.cycle_days", "没写社群服务周期（多少天）",
                   "no service cycle (in days)")


def _revenue(plan: Plan) -> Iterator[Finding]:
    if plan.revenue is None or not plan.revenue.models:
        yield _err("P1", "revenue",
                   "②社群盈利：没写靠什么活下来（会员费、自有产品或服务、广告、中介佣金、众筹、打赏）",
                   "(2) revenue: how does the community sustain itself? none given")


def _rules(plan: Plan, today: date) -> Iterator[Finding]:
    r = plan.rules
    if r is None:
        yield _err("P3", "rules", "③社群规则：没有群规（哪些事情不能做）",
                   "(3) rules: there are no rules")
        return
    sections = (
        ("intro", r.intro, "社群介绍", "introduction"),
        ("services", r.services, "社群服务", "services"),
        ("forbidden", r.forbidden, "禁止行为", "forbidden behaviours"),
        ("encouraged", r.encouraged, "鼓励行为", "encouraged behaviours"),
        ("faq", r.faq, "常见问题", "FAQ"),
        ("admins", r.admins, "管理员名单", "admin list"),
        ("feedback", r.feedback, "反馈渠道", "feedback channel"),
    )
    for key, value, zh, en in sections:
        if not value:
            yield _err("P3", f"rules.{key}", f"群规缺少“{zh}”部分（群规应有七部分）",
                       f"the rules have no {en} section (rules have seven sections)")
    if r.revised_on is None:
        yield _advice("P3", "rules.revised_on", "没记录群规最后修订日期：群规应每季度回顾一次",
                      "no revision date: review the rules every quarter")
    elif (today - r.revised_on).days > RULES_REVISION_DAYS:
        yield _advice("P3", "rules.revised_on",
                      f"群规已 {(today - r.revised_on).days} 天未修订：该做季度回顾了",
                      f"rules not revised for {(today - r.revised_on).days} days: quarterly review due")
    elif r.revised_on > today:
        yield _err("P3", "rules.revised_on", "群规修订日期在未来", "rules revision date is in the future")


# 「刷屏（10 秒内连发 8 条以上）」: the window and the count a member reads in the rules.
FLOOD_WORDS = re.compile(r"(\d+)\s*秒内[^\d]{0,6}?(\d+)\s*条")


def _flood_words(plan: Plan) -> Iterator[Finding]:
    """R1: the flood rule members read must be the one the bot enforces."""
    flood = plan.moderation.flood
    for i, item in enumerate(plan.rules.forbidden if plan.rules else []):
        found = FLOOD_WORDS.search(item) if "刷屏" in item else None
        if found is None:
            continue
        seconds, messages = int(found.group(1)), int(found.group(2))
        if not flood.enabled:
            yield _advice("R1", f"rules.forbidden.{i}",
                          f"群规写了「{found.group(0)}」，但刷屏规则已关闭（moderation.flood）",
                          f"the rules forbid flooding ({found.group(0)}) but the flood rule is off")
        elif (seconds, messages) != (flood.seconds, flood.messages):
            yield _advice(
                "R1", f"rules.forbidden.{i}",
                f"群规写的是「{found.group(0)}」，机器人按 {flood.seconds} 秒内 {flood.messages} 条"
                f"（第 {flood.messages} 条起）撤回：请让两处一致",
                f"the rules say {seconds} s / {messages} messages, the bot deletes from the "
                f"{flood.messages}th message within {flood.seconds} s: make them agree")


def _welcome(plan: Plan) -> Iterator[Finding]:
    w = plan.welcome
    if w is None:
        yield _err("O1", "welcome", "④社群公告：没有新人公告（24 小时内吸引住用户）",
                   "(4) newcomer announcement: missing (win newcomers within 24 h)")
        return
    parts = (
        ("greeting", w.greeting, "欢迎语", "greeting"),
        ("offer", w.offer, "群里能得到什么", "what the group offers"),
        ("hosts", w.hosts, "谁在运营这个群", "who runs it"),
        ("benefit", w.benefit, "当前福利", "the current benefit"),
        ("next_steps", w.next_steps, "新人现在该做什么", "what to do now"),
    )
    for key, value, zh, en in parts:
        if not value:
            yield _err("O1", f"welcome.{key}", f"新人公告缺少“{zh}”", f"the welcome has no {en}")


def _elimination(plan: Plan) -> Iterator[Finding]:
    e = plan.elimination
    if e is None:
        yield _err("E1", "elimination", "⑤社群淘汰：没有淘汰机制（定期洗粉，规则提前告知用户）",
                   "(5) elimination: no rules (sweep regularly, announce the rules in advance)")
    elif e.enabled:
        if e.silent_days is None and not e.onboarding_incomplete and e.below_tier is None \
                and e.bottom_percent is None:
            yield _err("E1", "elimination", "淘汰机制没有任何标准（例如沉默 30 天、没完成新人任务）",
                       "elimination has no criteria (e.g. silent 30 days, onboarding not done)")
        if e.notice_days is None:
            yield _err("E1", "elimination.notice_days",
                       "淘汰规则没有提醒期：先提醒，过了提醒期再移出", "no notice period before removal")
        if not e.announce_in_rules:
            yield _err("E1", "elimination.announce_in_rules",
                       "淘汰规则必须提前写进群规告知用户", "elimination rules must be announced in the rules")
    if plan.revival is None or not plan.revival.ways:
        yield _advice("E2", "revival", "除了淘汰制度，也要有复活制度（完成任务、付费或重新申请）",
                      "pair elimination with a way back (task, payment, re-application)")


def _volunteers(plan: Plan) -> Iterator[Finding]:
    v = plan.volunteers
    if v is None:
        yield _err("T4", "volunteers", "⑥社群志愿者：没写志愿者计划（找到 10 个支持你的人）",
                   "(6) volunteers: none planned (find 10 people who back you)")
        return
    if not v.roles:
        yield _err("T4", "volunteers.roles", "志愿者没有分工（如日常服务、设计）和对应权限",
                   "volunteers have no roles (daily service, design) and privileges")
    if v.target < 3:
        yield _advice("T4", "volunteers.target", "志愿者太少：种子文章建议约 10 人",
                      "too few volunteers: the playbook suggests about 10")


def _threshold(plan: Plan) -> Iterator[Finding]:
    t = plan.threshold
    if t is None:
        yield _err("G1", "threshold", "⑦社群门槛：没写入群门槛（免费、邀请、申请审核、任务、付费或按客户等级）",
                   "(7) entry threshold: missing (free, invite, application, task, paid, tier)")
        return
    if t.type == "paid" and t.price is None and not t.price_steps:
        yield _err("G1", "threshold.price", "付费门槛没有价格", "a paid threshold has no price")
    if t.type != "paid" and (t.price is not None or t.price_steps):
        yield _err("G1", "threshold.price", f"门槛类型是 {t.type}，却写了价格：要收费请把类型改为 paid",
                   f"threshold type is {t.type} but a price is set: use type paid to charge")
    if t.trial_days is not None and t.type != "paid":
        yield _err("G1", "threshold.trial_days", "只有付费门槛才有试用期（试用后转付费）",
                   "only a paid threshold has a trial (free trial, then paid)")
    steps = [s.after_days for s in t.price_steps]
    if steps != sorted(steps) or len(set(steps)) != len(steps):
        yield _err("G1", "threshold.price_steps", "阶梯价格的天数必须递增且不重复",
                   "price steps must have increasing, distinct day offsets")
    if t.type == "task" and not t.task:
        yield _err("G1", "threshold.task", "任务门槛没写要完成什么任务", "a task threshold names no task")
    if t.type == "tier" and t.min_tier is None:
        yield _err("G1", "threshold.min_tier", "按等级准入却没写最低等级", "a tier threshold names no tier")
    if t.type == "application" and not t.application_questions:
        yield _advice("G1", "threshold.application_questions", "申请审核门槛最好列出申请问题",
                      "list the questions applicants answer")


def _future(plan: Plan) -> Iterator[Finding]:
    if not plan.future:
        yield _err("P1", "future", "⑧社群未来：没写一年后社群的样子", "(8) future: what will it look like in a year?")


def _size(plan: Plan) -> Iterator[Finding]:
    c = plan.community
    cap = PLATFORM_CAPS[c.platform]
    zh_name, en_name = PLATFORM_NAMES[c.platform]
    if c.size_cap is None:
        yield _err("P4", "community.size_cap", f"没写群人数上限（{zh_name}群最多 {cap} 人）",
                   f"no group size cap ({en_name} allows {cap})")
        return
    if c.size_cap > cap:
        yield _err("P4", "community.size_cap", f"群人数上限 {c.size_cap} 超过了{zh_name}的上限 {cap}",
                   f"size cap {c.size_cap} is above {en_name}'s limit of {cap}")
    elif c.group_type == "engagement" and c.size_cap > RECOMMENDED_ENGAGEMENT_CAP:
        yield _advice("P4", "community.size_cap",
                      f"活跃交流群建议不超过 {RECOMMENDED_ENGAGEMENT_CAP} 人（现在 {c.size_cap}）：人多了就不再是对话",
                      f"engagement groups work best at ≤{RECOMMENDED_ENGAGEMENT_CAP} (now {c.size_cap})")


def _patterns(plan: Plan) -> Iterator[Finding]:
    o = plan.onboarding
    if o.nickname_pattern is not None:
        reason = check_pattern(o.nickname_pattern)
        if reason:
            yield _err("O3", "onboarding.nickname_pattern", f"昵称格式的正则无法编译：{reason_zh(reason)}",
                       f"nickname pattern does not compile: {reason}")
        elif o.nickname_example and labels_from(o.nickname_pattern, o.nickname_example) is None:
            yield _err("O3", "onboarding.nickname_example",
                       f"示例昵称“{o.nickname_example}”不符合昵称格式", "the example nickname does not match")
    elif o.nickname_example:
        yield _err("O3", "onboarding.nickname_pattern", "给了示例昵称但没写昵称格式",
                   "an example nickname without a nickname pattern")
    for i, p in enumerate(plan.moderation.patterns):
        reason = check_pattern(p.pattern)
        if reason:
            yield _err("R1", f"moderation.patterns.{i}.pattern", f"规则“{p.name}”的正则无法编译：{reason_zh(reason)}",
                       f"pattern {p.name!r} does not compile: {reason}")
    for i, suspect in enumerate(plan.moderation.fake_accounts.nickname_patterns):
        reason = check_pattern(suspect)
        if reason:
            yield _err("R4", f"moderation.fake_accounts.nickname_patterns.{i}",
                       f"可疑昵称正则无法编译：{reason_zh(reason)}", f"suspect-nickname pattern does not compile: {reason}")
    for i, q in enumerate(o.form):
        listed = LISTED_CHOICES.search(q.question)
        if listed and not q.choices:
            options = [c.strip() for c in re.split(r"[/／]", listed.group(1)) if c.strip()]
            yield _advice("O2", f"onboarding.form.{i}.choices",
                          f"问题“{q.question}”列了选项，但没写 choices：成员答什么都会被收下。"
                          f"想只收这几个答案，加上 choices: [{', '.join(options)}]",
                          f"question {q.question!r} lists options but has no choices: any "
                          f"answer is taken. To take only these, add choices: "
                          f"[{', '.join(options)}]")
    if o.deadline_hours > 24:
        yield _advice("O2", "onboarding.deadline_hours", "新人任务期限超过 24 小时：第一天最容易留住人",
                      "onboarding deadline over 24 h: the first day matters most")
    if any(h >= o.deadline_hours for h in o.remind_before_hours):
        yield _err("O2", "onboarding.remind_before_hours", "提醒时间不能早于或等于整个期限",
                   "a reminder cannot come at or before the deadline's start")


def _settings(plan: Plan) -> Iterator[Finding]:
    levels = [lv.min_points for lv in plan.points.levels]
    if levels != sorted(levels) or len(set(levels)) != len(levels):
        yield _err("T3", "points.levels", "等级门槛积分必须递增", "level thresholds must increase")
    if levels and levels[0] != 0:
        yield _err("T3", "points.levels", "第一个等级应从 0 分开始", "the first level must start at 0")
    t = plan.tiers
    if t.opinion_leader_share >= t.co_opinion_leader_share:
        yield _err("T1", "tiers", "意见领袖的贡献占比必须小于副意见领袖的占比",
                   "opinion_leader_share must be below co_opinion_leader_share")
    if plan.elimination and plan.elimination.silent_days and \
            plan.elimination.silent_days < plan.onboarding.deadline_hours / 24:
        yield _err("E1", "elimination.silent_days", "沉默淘汰天数比新人任务期限还短",
                   "silent-days elimination is shorter than the onboarding deadline")


def _commands(plan: Plan) -> Iterator[Finding]:
    """A2: a text that tells members to type a command the bot does not have."""
    for path, text in plan_texts(plan):
        for word in dict.fromkeys(named_in(text)):
            if not is_known(word):
                yield _err("A2", path, f"提到了机器人没有的命令“!{word}”：成员照做会没有反应（可用的命令见 !帮助）",
                           f"names the command !{word}, which the bot does not have (see !help)")


def check_plan(plan: Plan, *, today: date | None = None) -> list[Finding]:
    today = today or date.today()
    found: list[Finding] = []
    for group in (
        _service(plan), _revenue(plan), _rules(plan, today), _flood_words(plan), _welcome(plan),
        _elimination(plan),
        _volunteers(plan), _threshold(plan), _future(plan), _positioning(plan), _size(plan),
        _patterns(plan), _settings(plan), _commands(plan), check_limits(plan),
        check_calendar(plan, today),
        check_lifecycle(plan),  # E1/H4 cron, A5 events
        check_badges(plan),  # T3 badge rules
        check_boards(plan),  # T3 seasons and decay
        check_volunteers(plan),  # T4 roles, privileges, rota
        check_tier_actions(plan),  # T2 tier actions
        check_ambassadors(plan),  # T2 the ambassador programme
        check_groups(plan),  # G4 routing by an attribute
        check_people(plan),  # P3/O1 "@someone" in a text: someone the members can find
    ):
        found.extend(group)
    return found


def check_loaded(loaded: LoadedPlan, *, today: date | None = None) -> list[Finding]:
    """The plan's findings with their lines. When it did not load, the schema findings and,
    where the rest of the plan loads without the offending keys, that rest's findings too:
    an operator sees every problem at once, not one layer after another (issue 11)."""
    plan = loaded.plan if loaded.plan is not None else _without_schema_errors(loaded)
    if plan is None:
        return loaded.findings
    bad = [f.path for f in loaded.findings if f.code == "schema"]

    def related(path: str) -> bool:
        return any(path == b or path.startswith(b + ".") or b.startswith(path + ".")
                   for b in bad)

    located = [
        Finding(f.code, f.path, f.zh, f.en, f.severity, loaded.line_of(f.path))
        for f in check_plan(plan, today=today) if not related(f.path)
    ]
    return loaded.findings + located


def _without_schema_errors(loaded: LoadedPlan) -> Plan | None:
    """The plan with the keys that failed validation removed, if that loads (else None)."""
    import copy

    import yaml
    from pydantic import ValidationError

    from qunyun.plan.load import compose_and_load

    if not loaded.findings or any(f.code != "schema" for f in loaded.findings):
        return None  # YAML syntax errors or duplicate keys: nothing sound to check
    try:
        _node, data = compose_and_load(loaded.raw)
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict):
        return None
    data = copy.deepcopy(data)
    for _attempt in range(3):
        try:
            return Plan.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                if err["type"] == "missing" or not _drop(data, [str(p) for p in err["loc"]]):
                    return None
    return None


def _drop(data: object, loc: list[str]) -> bool:
    node = data
    for key in loc[:-1]:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return False
    if isinstance(node, dict) and loc and loc[-1] in node:
        del node[loc[-1]]
        return True
    return False


def is_ready(findings: list[Finding]) -> bool:
    return not any(f.severity == "error" for f in findings)
