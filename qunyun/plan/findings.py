"""A plan finding: what is wrong or missing, where, in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "advice"]


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
        return f"{where}: {prefix}[{self.code}]{path} {self.text(lang)}"
