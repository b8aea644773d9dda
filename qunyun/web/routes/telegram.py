"""The Telegram webhook route (I1): `POST /telegram/{bot}/webhook`, authenticated by the
secret token Telegram sends (not by a console session); see
`qunyun.adapters.telegram.webhook` for the inbox it fills."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from qunyun.adapters.telegram.webhook import SECRET_HEADER, accept

router = APIRouter()


@router.post("/telegram/{bot}/webhook")
async def webhook(request: Request, bot: str) -> Response:
    if not bot.isdigit():
        return JSONResponse({"ok": False}, status_code=404)
    body = await request.body()
    # The database calls off the event loop, as FastAPI runs the console's sync routes.
    status, why = await run_in_threadpool(accept, request.app.state.engine, bot,
                                          request.headers.get(SECRET_HEADER), body)
    return JSONResponse({"ok": status == 200, "description": why}, status_code=status)
