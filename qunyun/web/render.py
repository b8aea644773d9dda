"""Template rendering: one autoescaping Jinja2 environment loaded from the package.

Autoescape is on for every template (member nicknames and messages are hostile input);
nothing in the templates uses `|safe`. Chart data goes to the page as JSON inside a
`<script type="application/json">` block via `tojson`, which escapes `<`, `>` and `&`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from qunyun.domain import rule_words
from qunyun.report.words import component_help, component_label
from qunyun.services import plans as plan_service
from qunyun.web import growth_labels, labels, times
from qunyun.web.deps import Ctx
from qunyun.web.texts import translate

env = Environment(
    loader=PackageLoader("qunyun.web", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    # Templates are package files that change only with a new install: compiled once,
    # never stat()ed again on every render (issue 13).
    auto_reload=False,
)

_warming: list[threading.Thread] = []


def warm_templates() -> threading.Thread:
    """Compile every template in the background, once per process: compiling the queue
    page's three templates took ~0.5 s of its first load (issue 11 walk finding 27), paid
    by the operator's first click. `qunyun up` and each `serve` worker start this."""
    if not _warming:
        def compile_all() -> None:
            for name in env.list_templates(filter_func=lambda n: n.endswith(".html")):
                env.get_template(name)

        _warming.append(threading.Thread(target=compile_all, name="qunyun-templates",
                                         daemon=True))
        _warming[0].start()
    return _warming[0]


def when(ms: int | None, zone_name: str | None = None) -> str:
    """Milliseconds since the epoch in the zone, the zone named ("… 14:05 UTC+8")."""
    return times.when(ms, zone_name)


@pass_context
def _when(context: Context, ms: int | None) -> str:
    return times.when(ms, context.get("tz"))  # the page's community's zone (`page`)


@pass_context
def _iso_when(context: Context, text: str | None) -> str:
    return times.iso_when(text, context.get("tz"))


env.filters["when"] = _when
env.filters["when_seconds"] = pass_context(
    lambda context, ms: times.when_seconds(ms, context.get("tz")))
# The report's ISO times ("2026-12-01T11:12:10+08:00") as a person writes them.
env.filters["iso_when"] = _iso_when
# Internal codes as words in the page's language: `{{ r.action|action_label(lang) }}`.
env.filters["action_label"] = labels.action_label
env.filters["actor_label"] = labels.actor_label
env.filters["reason_label"] = labels.reason_label
env.filters["status_label"] = labels.status_label
env.filters["points_label"] = labels.points_label
env.filters["evidence_lines"] = labels.evidence_lines
env.filters["rule_label"] = labels.rule_label
env.filters["platform_label"] = labels.platform_label
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


def community_zone(ctx: Ctx, community: Mapping[str, Any] | None) -> str:
    """The zone a community's times are shown in: its plan's `bot.timezone` (the clock the
    bot keeps check-in days and sweeps by), else the default."""
    if not community or community.get("id") is None:
        return times.DEFAULT_ZONE
    with ctx.engine.connect() as conn:
        _text, plan = plan_service.stored_plan(conn, community_id=int(community["id"]))
    return plan.bot.timezone if plan is not None else times.DEFAULT_ZONE


def page(ctx: Ctx, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    def t(key: str, **kw: object) -> str:
        return translate(key, ctx.lang, **kw)

    values.setdefault("tz", community_zone(ctx, values.get("community")))
    body = env.get_template(template).render(
        t=t, lang=ctx.lang, op=ctx.operator, csrf=ctx.session.csrf,
        path=ctx.request.url.path, zone_note=times.zone_note(values["tz"], ctx.lang), **values,
    )
    return HTMLResponse(body, status_code=status_code)
