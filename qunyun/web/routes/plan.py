"""The plan editor (P2/P3): the community's plan YAML, `plan check` findings next to their
lines, the rules and welcome texts previewed, the quarterly rules-revision reminder.

Checking is open to every operator; saving needs `edit_plan` and goes through
`qunyun.services.plans.save_plan` (audited, refuses a plan that does not load).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from qunyun.plan.render import render_rules, render_welcome
from qunyun.services import plans as plan_service
from qunyun.web.deps import Ctx, community_for
from qunyun.web.render import page

router = APIRouter()
MAX_PLAN_BYTES = 512 * 1024


def _view(ctx: Ctx, found: dict[str, Any], text: str, result: plan_service.PlanCheck,
          status_code: int = 200, saved: bool | None = None) -> Response:
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
                welcome=welcome, reminder=reminder, saved=saved)


@router.get("/c/{slug}/plan")
def plan_page(request: Request, slug: str) -> Response:
    ctx, found = community_for(request, slug)
    text = str(found.get("plan_yaml") or "")
    return _view(ctx, found, text, plan_service.check_text(text) if text else
                 plan_service.PlanCheck(loaded=plan_service.check_text("{}").loaded))


@router.post("/c/{slug}/plan")
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
    with ctx.engine.begin() as conn:
        result = plan_service.save_plan(conn, community_id=int(found["id"]), text=text,
                                        operator=operator.username,
                                        expected_slug=str(found["slug"]))
    if result.saved:
        request.app.state.reports.invalidate(int(found["id"]))
    return _view(ctx, found, text, result, 200 if result.saved else 422, saved=result.saved)
