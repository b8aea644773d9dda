"""The plan editor (P2/P3): the community's plan YAML, `plan check` findings next to their
lines, the rules and welcome texts previewed, the quarterly rules-revision reminder.

Checking is open to every operator; saving needs `edit_plan` and goes through
`qunyun.services.plans.save_plan` (audited, refuses a plan that does not load). The
page says where the running plan came from (a file, or the console and who) and whether
the bot has loaded it; a community with no plan starts from `qunyun.plan.template`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from qunyun.plan.render import render_rules, render_welcome
from qunyun.plan.template import starting_plan
from qunyun.services import plans as plan_service
from qunyun.storage.console import overview as console_overview
from qunyun.storage.engine import writing
from qunyun.web.deps import Ctx, community_for
from qunyun.web.render import community_zone, page, when
from qunyun.web.texts import translate

router = APIRouter()
MAX_PLAN_BYTES = 512 * 1024


def _view(ctx: Ctx, found: dict[str, Any], text: str, result: plan_service.PlanCheck,
          status_code: int = 200, saved: bool | None = None,
          template: bool = False) -> Response:
    plan = result.plan
    rules = welcome = None
    if plan is not None:
        rules = render_rules(plan, lang=ctx.lang)
        welcome = render_welcome(plan, newcomer="新朋友" if ctx.lang != "en" else "newcomer",
                                 lang=ctx.lang)
    bad_lines = {f.line for f in result.findings if f.line and f.severity == "error"}
    reminder = [f for f in result.findings if f.path == "rules.revised_on"]
    return page(ctx, "plan.html", status_code, community=found, text=text, result=result,
                findings=sorted(result.findings, key=lambda f: (f.line or 0, f.path)),
                bad_lines=bad_lines, line_count=max(1, text.count("\n") + 1), rules=rules,
                welcome=welcome, reminder=reminder, saved=saved, starting=template,
                source=_source(ctx, int(found["id"])))


def _source(ctx: Ctx, community_id: int) -> dict[str, str] | None:
    """Where the stored plan came from and what the bot did with it, in words."""
    with ctx.engine.connect() as conn:
        source = plan_service.source_of(conn, community_id=community_id)
        bot = plan_service.bot_plan_state(conn, community_id=community_id)
        text = plan_service.stored_text(conn, community_id=community_id)
    if source is None:
        return None
    zone = community_zone(ctx, {"id": community_id})
    kind = str(source.get("source") or "unknown")
    origin = translate(f"plan_source.{kind}", ctx.lang, origin=source.get("origin") or "",
                       when=when(source.get("saved_ms"), zone))  # type: ignore[arg-type]
    if bot is None:
        state = translate("plan_bot.none", ctx.lang)
    else:
        current = plan_service.sha256_of(text or "")[:16]
        action = str(bot["action"]).removeprefix("plan:")
        if (bot.get("evidence") or {}).get("sha256") != current:
            state = translate("plan_bot.stale", ctx.lang)
        else:
            state = translate(f"plan_bot.{action}", ctx.lang, when=when(bot["at_ms"], zone),
                              reason=bot.get("reason") or "")
    return {"origin": origin, "bot": state}


@router.get("/c/{slug}/plan")
def plan_page(request: Request, slug: str) -> Response:
    ctx, found = community_for(request, slug)
    text = str(found.get("plan_yaml") or "")
    if not text.strip():
        with ctx.engine.connect() as conn:
            platforms = [str(g["platform"]) for g in console_overview.groups_with_counts(
                conn, community_id=int(found["id"]))]
        text = starting_plan(name=str(found["name"]), slug=str(found["slug"]),
                             platform=platforms[0] if platforms else None,
                             today=date.today().isoformat())
        return _view(ctx, found, text, plan_service.check_text(text), template=True)
    return _view(ctx, found, text, plan_service.check_text(text))


# The editor posts the whole plan as one urlencoded field (a Chinese character is nine
# bytes there): 8 MB, not Starlette's 1 MB, so every plan that passes `plan check` saves.
@router.post("/c/{slug}/plan", form_limits={"max_part_size": 8 * 1024 * 1024})
def plan_submit(
    request: Request, slug: str, plan_yaml: Annotated[str, Form()],
    intent: Annotated[str, Form()] = "check",
) -> Response:
    ctx, found = community_for(request, slug)
    text = plan_yaml.replace("\r\n", "\n")
    if len(text.encode()) > MAX_PLAN_BYTES:
        text = text[:MAX_PLAN_BYTES]
    if intent != "save":
        return _view(ctx, found, text, plan_service.check_text(text))
    operator = ctx.require("edit_plan")
    with writing(ctx.engine) as conn:
        result = plan_service.save_plan(conn, community_id=int(found["id"]), text=text,
                                        operator=operator.username,
                                        expected_slug=str(found["slug"]))
    if result.saved:
        request.app.state.reports.plan_changed(int(found["id"]))
    return _view(ctx, found, text, result, 200 if result.saved else 422, saved=result.saved)
