"""What a plan may ask of the bot and the report: bounded patterns and keyword lists.

A plan that passes `plan check` must never slow the bot down or make the report fail.
Before these bounds, a 100,000-character pattern or a 50,000-word keyword list passed,
the bot then spent 1.7 s on each long message, and the report's advert search failed in
Polars ("Compiled regex exceeds size limit"). The bounds, and why these values:
- an operator pattern is at most `MAX_PATTERN_CHARS` characters and its compiled RE2
  program at most `MAX_PROGRAM_SIZE` instructions (RE2 is linear in the text, but the
  constant is the program; a nickname format is ~40, `a{1000}` is ~1,000);
- at most `MAX_PATTERNS` moderation patterns and as many suspect-nickname patterns;
- a keyword is at most `MAX_KEYWORD_CHARS` characters; a list at most `MAX_KEYWORDS`
  words, and the whole plan `MAX_TOTAL_KEYWORDS` (the bot tests each against a message);
- the report's advert search joins the ad keywords in both scripts into one Polars
  regex; its size is bounded by `MAX_AD_REGEX_CHARS` (measured: a 51,000-character
  alternation of Chinese words compiles within Polars' 10 MB limit, 76,000 does not).
`tests/plan/test_limits.py` runs the bot and the report on the largest plan that passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from qunyun.domain.patterns import PatternError, compile_pattern
from qunyun.plan.findings import Finding
from qunyun.plan.model import Plan

MAX_PATTERN_CHARS = 1_000
MAX_PROGRAM_SIZE = 5_000
MAX_PATTERNS = 50
MAX_KEYWORD_CHARS = 30
MAX_KEYWORDS = 300
MAX_TOTAL_KEYWORDS = 2_000
MAX_AD_REGEX_CHARS = 30_000


def _err(code: str, path: str, zh: str, en: str) -> Finding:
    return Finding(code, path, zh, en)


def _pattern(code: str, path: str, what_zh: str, what_en: str, pattern: str) -> Iterator[Finding]:
    if len(pattern) > MAX_PATTERN_CHARS:
        yield _err(code, path,
                   f"{what_zh}太长：{len(pattern)} 个字符，最多 {MAX_PATTERN_CHARS} 个（太长的正则会拖慢机器人）",
                   f"{what_en} is too long: {len(pattern)} characters, at most "
                   f"{MAX_PATTERN_CHARS} (long patterns slow the bot down)")
        return
    try:
        size = int(compile_pattern(pattern).programsize)
    except PatternError:
        return  # reported by the compile check in plan.check
    if size > MAX_PROGRAM_SIZE:
        yield _err(code, path,
                   f"{what_zh}太复杂：编译后 {size} 条指令，最多 {MAX_PROGRAM_SIZE} 条（请减少重复次数或分支）",
                   f"{what_en} is too complex: {size} compiled instructions, at most "
                   f"{MAX_PROGRAM_SIZE} (use fewer repetitions or alternatives)")


def _keywords(code: str, path: str, what_zh: str, what_en: str,
              words: list[str]) -> Iterator[Finding]:
    if len(words) > MAX_KEYWORDS:
        yield _err(code, path, f"{what_zh}太多：{len(words)} 个，最多 {MAX_KEYWORDS} 个",
                   f"too many {what_en}: {len(words)}, at most {MAX_KEYWORDS}")
    for i, word in enumerate(words):
        if len(word) > MAX_KEYWORD_CHARS:
            yield _err(code, f"{path}.{i}",
                       f"{what_zh}太长：{len(word)} 个字符，最多 {MAX_KEYWORD_CHARS} 个（关键词应是词，不是句子）",
                       f"{what_en[:-1] if what_en.endswith('s') else what_en} too long: "
                       f"{len(word)} characters, at most {MAX_KEYWORD_CHARS} (a keyword is a "
                       "word, not a sentence)")
            break  # one finding per list is enough to act on


def _lists(plan: Plan) -> list[tuple[str, str, str, str, list[str]]]:
    m = plan.moderation
    lists = [
        ("R1", "moderation.ad_keywords.keywords", "广告关键词", "ad keywords", m.ad_keywords.keywords),
        ("R5", "moderation.heated.insults", "辱骂词", "insult words", m.heated.insults),
        ("R5", "moderation.heated.negative_words", "负面词", "negative words",
         m.heated.negative_words),
    ]
    faq = plan.rules.faq if plan.rules else []
    lists += [("A2", f"rules.faq.{i}.keywords", "常见问题关键词", "FAQ keywords", item.keywords)
              for i, item in enumerate(faq)]
    lists += [("A3", f"checkins.{i}.keywords", "打卡关键词", "check-in keywords", c.keywords)
              for i, c in enumerate(plan.checkins)]
    # Tested against every message a newcomer sends while the intro is pending, and
    # against every join application's answer.
    lists.append(("O2", "onboarding.intro_keywords", "自我介绍关键词", "intro keywords",
                  plan.onboarding.intro_keywords))
    if plan.threshold is not None:
        lists.append(("G1", "threshold.answer_keywords", "入群申请关键词",
                      "application answer keywords", plan.threshold.answer_keywords))
    return lists


def check_limits(plan: Plan) -> Iterator[Finding]:
    o, m = plan.onboarding, plan.moderation
    if o.nickname_pattern is not None:
        yield from _pattern("O3", "onboarding.nickname_pattern", "昵称格式的正则", "the nickname pattern",
                            o.nickname_pattern)
    if len(m.patterns) > MAX_PATTERNS:
        yield _err("R1", "moderation.patterns",
                   f"自定义规则太多：{len(m.patterns)} 条，最多 {MAX_PATTERNS} 条",
                   f"too many patterns: {len(m.patterns)}, at most {MAX_PATTERNS}")
    for i, p in enumerate(m.patterns):
        yield from _pattern("R1", f"moderation.patterns.{i}.pattern", f"规则“{p.name}”的正则",
                            f"pattern {p.name!r}", p.pattern)
    suspects = m.fake_accounts.nickname_patterns
    if len(suspects) > MAX_PATTERNS:
        yield _err("R4", "moderation.fake_accounts.nickname_patterns",
                   f"可疑昵称正则太多：{len(suspects)} 条，最多 {MAX_PATTERNS} 条",
                   f"too many suspect-nickname patterns: {len(suspects)}, at most {MAX_PATTERNS}")
    for i, suspect in enumerate(suspects):
        yield from _pattern("R4", f"moderation.fake_accounts.nickname_patterns.{i}",
                            "可疑昵称正则", "the suspect-nickname pattern", suspect)
    lists = _lists(plan)
    for code, path, zh, en, words in lists:
        yield from _keywords(code, path, zh, en, words)
    total = sum(len(words) for *_rest, words in lists)
    if total > MAX_TOTAL_KEYWORDS:
        yield _err("R1", "", f"关键词总数太多：{total} 个，全部计划最多 {MAX_TOTAL_KEYWORDS} 个",
                   f"too many keywords in all: {total}, at most {MAX_TOTAL_KEYWORDS} per plan")
    if m.ad_keywords.enabled:
        # Each keyword can appear in up to three forms (as written, Simplified, Traditional).
        size = sum(3 * (len(re.escape(w.lower())) + 1) for w in m.ad_keywords.keywords)
        if size > MAX_AD_REGEX_CHARS:
            yield _err("R1", "moderation.ad_keywords.keywords",
                       f"广告关键词合起来太大（约 {size} 个字符的正则，最多 {MAX_AD_REGEX_CHARS}）：报告无法检索，请精简",
                       f"the ad keywords together are too large (a ~{size}-character pattern, at "
                       f"most {MAX_AD_REGEX_CHARS}): the report cannot search them; trim the list")
