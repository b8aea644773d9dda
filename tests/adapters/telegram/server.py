"""A local Telegram Bot API for tests: HTTP on 127.0.0.1 answering
`POST /bot<token>/<method>` with the API's `{"ok": true, "result": …}` JSON, long-polled
`getUpdates` that honours `offset`, `timeout` and `allowed_updates`, files under
`/file/bot<token>/<file_path>`, and a record of every call the adapter makes."""

from __future__ import annotations

import copy
import email.parser
import email.policy
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

FIXTURES = Path(__file__).parent / "fixtures"
TOKEN = "10001:TEST-token"
TEXT_FIELDS = {"text", "caption", "name", "filename"}


def fixture(name: str) -> dict[str, Any]:
    doc = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return copy.deepcopy(doc.get("payload", doc.get("result")))  # type: ignore[no-any-return]


class BotApiServer:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.updates: list[dict[str, Any]] = []
        self.files: dict[str, bytes] = {}
        self.allowed: list[list[str]] = []
        self.ids = itertools.count(7000)
        self.update_ids = itertools.count(1)
        self.cond = threading.Condition()
        self.fail_next: dict[str, dict[str, Any]] = {}
        # Private chats that refuse the bot (the member blocked it): sendMessage there is
        # answered 403 as Telegram does.
        self.blocked: set[int] = set()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                prefix, path = f"/file/bot{TOKEN}/", unquote(self.path)
                if path.startswith(prefix) and path[len(prefix):] in outer.files:
                    body = outer.files[path[len(prefix):]]
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_error(404)

            def do_POST(self) -> None:
                prefix = f"/bot{TOKEN}/"
                if not self.path.startswith(prefix):
                    self._json(401, {"ok": False, "error_code": 401,
                                     "description": "Unauthorized"})
                    return
                method = self.path[len(prefix):]
                params = outer.parse(self.headers.get("Content-Type", ""),
                                     self.rfile.read(int(self.headers.get("Content-Length", 0))))
                outer.calls.append((method, params))
                if method == "sendMessage" and params.get("chat_id") in outer.blocked:
                    self._json(403, {"ok": False, "error_code": 403,
                                     "description": "Forbidden: bot was blocked by the user"})
                    return
                if method in outer.fail_next:  # the HTTP status is the error_code (400 if none)
                    failure = outer.fail_next.pop(method)
                    status = int(failure.get("error_code", 400))
                    self._json(status if status >= 400 else 400, failure)
                    return
                self._json(200, {"ok": True, "result": outer.answer(method, params)})

            def _json(self, status: int, data: Any) -> None:
                body = json.dumps(data, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # a long poll the bot cancelled when told to stop

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/file/bot"

    def start(self) -> BotApiServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        with self.cond:
            self.cond.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()

    @staticmethod
    def parse(content_type: str, body: bytes) -> dict[str, Any]:
        if content_type.startswith("multipart/"):
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {content_type}\r\n\r\n".encode() + body)
            out: dict[str, Any] = {}
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                out[str(name)] = (payload.decode() if part.get_filename() is None
                                  else {"filename": part.get_filename(), "size": len(payload)})
            return out
        params = dict(parse_qsl(body.decode()))
        return {k: v if k in TEXT_FIELDS else _json_or_text(v) for k, v in params.items()}

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update (its update_id assigned in order); getUpdates hands it out."""
        update = {**update, "update_id": next(self.update_ids)}
        with self.cond:
            self.updates.append(update)
            self.cond.notify_all()
        return update

    def answer(self, method: str, params: dict[str, Any]) -> Any:
        chat = {"id": params.get("chat_id"), "type": "supergroup", "title": "进阶营"}
        bot = fixture("getMe")
        if method == "getMe":
            return bot
        if method == "getUpdates":
            self.allowed.append(list(params.get("allowed_updates") or []))
            offset = int(params.get("offset") or 0)
            deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
            with self.cond:
                while True:
                    ready = [u for u in self.updates if u["update_id"] >= offset]
                    left = deadline - time.monotonic()
                    if ready or left <= 0:
                        return ready[:100]
                    self.cond.wait(left)
        if method in ("sendMessage", "sendDocument"):
            return {"message_id": next(self.ids), "date": int(time.time()), "chat": chat,
                    "from": bot, "text": params.get("text", "")}
        if method == "getChatAdministrators":
            return fixture("getChatAdministrators")
        if method == "getFile":
            fid = str(params["file_id"])
            return {"file_id": fid, "file_unique_id": fid, "file_path": f"photos/{fid}",
                    "file_size": len(self.files.get(f"photos/{fid}", b""))}
        if method == "createChatInviteLink":
            return {"invite_link": f"https://t.me/+link{next(self.ids)}", "creator": bot,
                    "creates_join_request": False, "is_primary": False, "is_revoked": False,
                    "name": params.get("name"), "member_limit": params.get("member_limit")}
        return True  # deleteMessage, banChatMember, unbanChatMember, restrictChatMember…

    def sent(self, method: str) -> list[dict[str, Any]]:
        return [p for m, p in self.calls if m == method]


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value
