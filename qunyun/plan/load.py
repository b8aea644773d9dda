"""Loading a plan file: YAML → `Plan`, with every problem as a located `Finding`.

YAML is composed into nodes first so each dotted path knows its line; syntax errors,
duplicate keys (PyYAML would silently keep the last), unknown keys and wrong types
all come back as findings naming the file, the line and the path — never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from qunyun.plan.findings import Finding
from qunyun.plan.model import Plan

Lines = dict[str, int]

# Chinese wording for pydantic's error types; anything else falls back to pydantic's text.
_ZH_ERRORS: dict[str, str] = {
    "missing": "缺少必填项",
    "extra_forbidden": "未知的键（拼写错误？计划里不允许未知设置）",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为金额数字",
    "decimal_type": "应为金额数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表",
    "dict_type": "应为键值映射",
    "model_type": "应为键值映射",
    "model_attributes_type": "应为键值映射",
    "literal_error": "取值不在允许范围内",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_type": "应为日期（YYYY-MM-DD）",
    "string_pattern_mismatch": "格式不对",
    "string_too_short": "不能为空",
    "string_too_long": "太长",
    "too_short": "至少需要一项",
    "greater_than_equal": "数值太小",
    "greater_than": "数值太小",
    "less_than_equal": "数值太大",
}


@dataclass
class LoadedPlan:
    path: str
    plan: Plan | None
    findings: list[Finding] = field(default_factory=list)
    lines: Lines = field(default_factory=dict)
    raw: str = ""

    def line_of(self, path: str) -> int | None:
        """Line of `path`, or of its nearest ancestor that is in the file."""
        parts = path.split(".") if path else []
        while parts:
            found = self.lines.get(".".join(parts))
            if found:
                return found
            parts.pop()
        return self.lines.get("", 1)


def _walk(node: yaml.Node, path: str, lines: Lines, findings: list[Finding]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = f"{path}.{key}" if path else key
            if key in seen:
                findings.append(Finding(
                    "schema", child, f"重复的键 “{key}”，后一个会覆盖前一个",
                    f"duplicate key {key!r}: the later one would silently win",
                    line=key_node.start_mark.line + 1,
                ))
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, findings)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, f"{path}.{index}" if path else str(index), lines, findings)


def _pydantic_findings(exc: ValidationError, loaded: LoadedPlan) -> list[Finding]:
    out = []
    for err in exc.errors(include_url=False):
        path = ".".join(str(p) for p in err["loc"])
        zh = _ZH_ERRORS.get(err["type"], err["msg"])
        if err["type"] == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            zh = f"{zh}：可选 {expected}"
        shown = repr(err["input"]) if err["type"] not in ("missing", "extra_forbidden") else ""
        if shown and len(shown) > 60:
            shown = shown[:57] + "…"
        suffix = f"（得到 {shown}）" if shown else ""
        out.append(Finding("schema", path, zh + suffix, err["msg"] + (f" (got {shown})" if shown else ""),
                           line=loaded.line_of(path)))
    return out


# libyaml when PyYAML has it: the pure-Python parser took ~0.1–0.3 s for the example plan,
# and the console's 只检查 / 检查并保存 parsed it four times (issue 11 walk findings 41, 42).
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose_and_load(text: str) -> tuple[yaml.Node | None, Any]:
    """The YAML's node tree (with line marks) and its data, from one parse. libyaml does
    the parsing when installed; a document it refuses is parsed again by the pure-Python
    loader, so what the operator reads about a syntax error stays PyYAML's wording."""
    for loader_class in dict.fromkeys((_FAST_LOADER, yaml.SafeLoader)):
        loader = loader_class(text)
        try:
            node = loader.get_single_node()
            return node, (loader.construct_document(node) if node is not None else None)
        except yaml.YAMLError:
            if loader_class is yaml.SafeLoader:
                raise
        finally:
            loader.dispose()
    raise AssertionError("unreachable")


def parse_plan(text: str, *, path: str = "<plan>") -> LoadedPlan:
    loaded = LoadedPlan(path=path, plan=None, raw=text)
    try:
        node, data = compose_and_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        loaded.findings.append(Finding(
            "yaml", "", f"不是有效的 YAML：{problem}", f"not valid YAML: {problem}", line=line,
        ))
        return loaded
    if node is not None:
        _walk(node, "", loaded.lines, loaded.findings)
    if not isinstance(data, dict):
        loaded.findings.append(Finding(
            "yaml", "", "计划文件的顶层应为键值映射（community: …, rules: …）",
            "the top level of a plan must be a mapping (community: …, rules: …)", line=1,
        ))
        return loaded
    try:
        loaded.plan = Plan.model_validate(data)
    except ValidationError as exc:
        loaded.findings.extend(_pydantic_findings(exc, loaded))
    return loaded


def load_plan(path: str | Path) -> LoadedPlan:
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        return LoadedPlan(path=str(path), plan=None, findings=[Finding(
            "file", "", f"无法读取文件：{exc.strerror}", f"cannot read file: {exc.strerror}",
        )])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return LoadedPlan(path=str(path), plan=None, findings=[Finding(
            "file", "", f"文件不是 UTF-8 编码（第 {exc.start} 字节）：请另存为 UTF-8",
            f"file is not UTF-8 (byte offset {exc.start}): save it as UTF-8",
        )])
    loaded = parse_plan(text, path=str(path))
    return loaded
