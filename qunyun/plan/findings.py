"""A plan finding: what is wrong or missing, where, in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "advice"]

# What an operator reads in front of a Chinese finding: the area of the plan, not the
# playbook ID (`[O3]`, `[schema]` meant nothing to one, issue 11 walk12 finding 40). The
# English output keeps the ID.
AREAS_ZH = {"P": "筹备", "O": "新人", "R": "群规", "A": "活跃", "T": "成长", "E": "淘汰",
            "G": "拉新", "M": "变现", "H": "分析", "I": "接入"}
CHECKS_ZH = {"schema": "格式", "yaml": "格式", "file": "文件", "A1": "日程", "A2": "命令",
             "A3": "打卡", "A4": "投票", "A5": "活动", "O1": "欢迎", "O3": "昵称"}


@dataclass(frozen=True, slots=True)
class Finding:
    """`error` blocks launch; `advice` is the playbook's recommendation, shown but not blocking."""

    code: str  # playbook ID or check name, e.g. "P1", "P3", "P4", "schema"
    path: str  # dotted path in the YAML, "" for the file as a whole
    zh: str
    en: str
    severity: Severity = "error"
    line: int | None = None

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def format(self, file: str, lang: str = "zh") -> str:
        where = f"{file}:{self.line}" if self.line else file
        label = {"zh": "建议", "en": "advice"}[lang if lang == "en" else "zh"]
        prefix = f"{label} " if self.severity == "advice" else ""
        path = f" {self.path}:" if self.path else ""
        return f"{where}: {prefix}{self.label(lang)}{path} {self.text(lang)}"

    def label(self, lang: str = "zh") -> str:
        """`【新人】` in Chinese, `[O3]` in English."""
        if lang == "en":
            return f"[{self.code}]"
        area = CHECKS_ZH.get(self.code) or AREAS_ZH.get(self.code[:1]) or "计划"
        return f"【{area}】"
