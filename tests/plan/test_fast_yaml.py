"""The plan is parsed by libyaml when PyYAML has it (the console's 只检查 / 检查并保存 spent
most of their ~0.7–1 s in the pure-Python parser, issue 11 walk findings 41, 42): what an
operator reads stays the same — the same plan, the same line numbers next to findings,
PyYAML's words for a syntax error."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from qunyun.plan.load import _walk, compose_and_load, parse_plan
from qunyun.services import plans as plan_service
from tests.conftest import EXAMPLES


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_the_examples_load_as_the_pure_python_parser_reads_them(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    node, data = compose_and_load(text)
    assert data == yaml.load(text, Loader=yaml.SafeLoader)
    fast: dict[str, int] = {}
    slow: dict[str, int] = {}
    assert node is not None
    _walk(node, "", fast, [])
    _walk(yaml.compose(text, Loader=yaml.SafeLoader), "", slow, [])
    assert fast == slow  # findings point at the same lines


def test_a_syntax_error_reads_as_before() -> None:
    loaded = parse_plan("community:\n  name: [营, 群\n  slug: x\n")
    assert loaded.plan is None
    assert loaded.findings[0].zh.startswith("不是有效的 YAML：")
    assert "expected ',' or ']'" in loaded.findings[0].zh and loaded.findings[0].line == 3


def test_checking_a_changed_plan_is_quick() -> None:
    text = (EXAMPLES / "python-camp.yaml").read_text(encoding="utf-8")
    took = []
    for n in range(5):  # five different texts: nothing comes from the cache
        started = time.perf_counter()
        plan_service.check_text(text.replace("回放", f"回放{n}", 1))
        took.append(time.perf_counter() - started)
    # ~12 ms with libyaml on a loaded 2-core machine; 150–300 ms with the pure-Python
    # parser (the best of five: one slow moment of a shared machine does not count).
    assert min(took) < 0.08 or not yaml.__with_libyaml__
