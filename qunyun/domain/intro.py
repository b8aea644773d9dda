"""O2: is a message a self-introduction? A pure rule over the text and the plan's words.

"Any message of 15 characters" counted questions to the teacher as introductions. An
introduction now has to look like one: the plan's intro words ("我是", "来自"…), most of
the fixed words of the plan's intro template, or be a reply to the bot's prompt. A message
addressed to someone (an @-mention) is a question or a remark, not an introduction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Blanks and punctuation a template uses between its fixed words.
_TEMPLATE_GAPS = re.compile(
    r"[_＿…\.·]{2,}|\{[^}]*\}|【[^】]*】|\[[^\]]*\]|[，。、,;；：:！!？?\s/|（）()]+")


def template_words(template: str) -> list[str]:
    """The fixed words of an intro template (two characters or more)."""
    return [w for w in _TEMPLATE_GAPS.split(template) if len(w) >= 2]


def looks_like_intro(text: str, *, min_chars: int, keywords: Sequence[str],
                     template: str | None = None, replies_to_prompt: bool = False,
                     addressed: bool = False) -> bool:
    stripped = text.strip()
    if len(stripped) < min_chars:
        return False
    if replies_to_prompt:
        return True
    if addressed or stripped.startswith(("@", "＠")):
        return False
    if any(k and k in stripped for k in keywords):
        return True
    if template:
        words = template_words(template)
        if words:
            hits = sum(1 for w in words if w in stripped)
            return hits >= max(1, (len(words) + 1) // 2)
    return False
