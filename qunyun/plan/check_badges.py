"""`plan check` findings for T3 badges: rules that do not parse, keys used twice."""

from __future__ import annotations

from collections.abc import Iterator

from qunyun.domain.badges import RuleError, parse_rule
from qunyun.plan.findings import Finding
from qunyun.plan.model import Plan


def check_badges(plan: Plan) -> Iterator[Finding]:
    keys: set[str] = set()
    for i, badge in enumerate(plan.badges):
        if badge.key in keys:
            yield Finding("T3", f"badges.{i}.key", f"徽章标识「{badge.key}」重复",
                          f"badge key {badge.key!r} is used twice")
        keys.add(badge.key)
        try:
            parse_rule(badge.rule)
        except RuleError as exc:
            yield Finding("T3", f"badges.{i}.rule",
                          f"徽章「{badge.name}」的规则「{badge.rule}」无法识别：{exc.zh}",
                          f"badge {badge.name!r}: rule {badge.rule!r} does not parse: {exc.en}")
