"""Template rendering: one autoescaping Jinja2 environment loaded from the package.

Autoescape is on for every template (member nicknames and messages are hostile input);
nothing in the templates uses `|safe`. Chart data goes to the page as JSON inside a
`<script type="application/json">` block via `tojson`, which escapes `<`, `>` and `&`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined

from qunyun.domain import rule_words
from qunyun.report.words import component_help, component_label
from qunyun.web import growth_labels, labels
from qunyun.web.deps import Ctx
from qunyun.web.texts import translate

env = Environment(
    loader=PackageLoader("qunyun.web", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

_TZ = ZoneInfo("Asia/Shanghai")


def when(ms: int | None) -> str:
    """Milliseconds since the epoch as local time (the console's default zone)."""
    if ms is None:
        return "—"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(_TZ).strftime("%Y-%m-%d %H:%M")


env.filters["when"] = when
# The report's ISO times ("2026-12-01T11:12:10+08:00") as a person writes them.
env.filters["iso_when"] = lambda text: str(text or "")[:16].replace("T", " ") or "—"
# Internal codes as words in the page's language: `{{ r.action|action_label(lang) }}`.
env.filters["action_label"] = labels.action_label
env.filters["actor_label"] = labels.actor_label
env.filters["reason_label"] = labels.reason_label
env.filters["status_label"] = labels.status_label
env.filters["points_label"] = labels.points_label
env.filters["evidence_lines"] = labels.evidence_lines
env.filters["rule_label"] = labels.rule_label
env.filters["item_title"] = labels.item_title
env.filters["dying_reason"] = labels.dying_reason
env.filters["tier_label"] = growth_labels.tier_label
env.filters["direction_label"] = growth_labels.direction_label
env.filters["growth_reason"] = growth_labels.reason
env.filters["badge_rule"] = growth_labels.badge_rule
env.filters["tier_action"] = labels.tier_action
env.filters["mute_words"] = labels.mute_words
env.filters["report_text"] = labels.report_text
env.filters["level_label"] = labels.level_label
# A schedule rule as words: "每周一 20:00" / "every Monday at 20:00", never FREQ=….
env.filters["rule_words"] = rule_words.describe
env.filters["rule_fields"] = rule_words.form_fields  # a stored rule back into the form
env.filters["component_label"] = component_label
env.filters["component_help"] = component_help
# Chinese evidence stays readable; `tojson` still escapes <, >, & and ' for HTML.
env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}


def page(ctx: Ctx, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    def t(key: str, **kw: object) -> str:
        return translate(key, ctx.lang, **kw)

    body = env.get_template(template).render(
        t=t, lang=ctx.lang, op=ctx.operator, csrf=ctx.session.csrf,
        path=ctx.request.url.path, **values,
    )
    return HTMLResponse(body, status_code=status_code)
