"""A local Synapse homeserver on 127.0.0.1, for the bot's first run and end-to-end tests.

Synapse lives in its own virtualenv (`.venv-synapse`, made by scripts/install-synapse.sh
from `./dev.sh setup`). `LocalHomeserver(data_dir).start()` writes its configuration,
generates keys once, launches it on a free port, waits until the client API answers, and
registers users through the shared-secret admin API (no login round-trip needed: the
registration returns an access token). Offline by configuration: no key servers, no
federation, no URL previews; rate limits raised for tests; bcrypt rounds lowered.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from qunyun.ports import free_port

ROOT = Path(__file__).resolve().parents[3]
SYNAPSE_VENV = Path(os.environ.get("QUNYUN_SYNAPSE_VENV", ROOT / ".venv-synapse"))
SERVER_NAME = "localhost"
READY_TIMEOUT_S = 60.0


class HomeserverError(RuntimeError):
    """Synapse is missing, did not start, or refused a request. str() is one line."""


@dataclass(frozen=True)
class RegisteredUser:
    user_id: str
    access_token: str
    password: str


def synapse_python() -> Path:
    return SYNAPSE_VENV / "bin" / "python"


def installed() -> bool:
    return synapse_python().exists()


def _port_free(port: int) -> bool:
    """Nothing listens on the port. SO_REUSEADDR as Synapse (Twisted) binds: connections
    of the last run in TIME_WAIT do not keep a restarted homeserver off its own port."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _fast_limit() -> dict[str, float]:
    return {"per_second": 10_000, "burst_count": 10_000}


def _config(data: Path, port: int, secret: str) -> dict[str, object]:
    fast = _fast_limit()
    return {
        "server_name": SERVER_NAME,
        "pid_file": str(data / "homeserver.pid"),
        "listeners": [{
            "port": port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False,
            "x_forwarded": False, "resources": [{"names": ["client"], "compress": False}],
        }],
        "database": {"name": "sqlite3", "args": {"database": str(data / "homeserver.db")}},
        "log_config": str(data / "log.yaml"),
        "media_store_path": str(data / "media"),
        "signing_key_path": str(data / "signing.key"),
        "registration_shared_secret": secret,
        "macaroon_secret_key": secret + "-macaroon",
        "form_secret": secret + "-form",
        "report_stats": False,
        "enable_registration": False,
        "bcrypt_rounds": 4,
        # The default (100) caps a sync's timeline per room and sets `limited`; the bot
        # still pages back on `limited`, but tests should not depend on it by accident.
        "filter_timeline_limit": 5000,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "url_preview_enabled": False,
        "presence": {"enabled": False},
        "enable_media_repo": True,
        "rc_message": fast,
        "rc_registration": fast,
        "rc_login": {"address": fast, "account": fast, "failed_attempts": fast},
        "rc_joins": {"local": fast, "remote": fast},
        "rc_joins_per_room": fast,
        "rc_invites": {"per_room": fast, "per_user": fast, "per_issuer": fast},
        "rc_admin_redaction": fast,
        "rc_room_creation": fast,
        "rc_3pid_validation": fast,
    }


_LOG_CONFIG = """version: 1
formatters:
  plain: {format: '%(asctime)s %(levelname)s %(name)s: %(message)s'}
handlers:
  file: {class: logging.FileHandler, filename: '{log}', formatter: plain}
root: {level: WARNING, handlers: [file]}
disable_existing_loggers: false
"""


class LocalHomeserver:
    def __init__(self, data_dir: Path, *, port: int | None = None) -> None:
        self.data = Path(data_dir).resolve()
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.secret = ""

    @property
    def config_path(self) -> Path:
        return self.data / "homeserver.yaml"

    def _prepare(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        secret_file = self.data / "shared-secret"
        if not secret_file.exists():
            secret_file.write_text(secrets.token_hex(24))
            secret_file.chmod(0o600)
        self.secret = secret_file.read_text().strip()
        # Synapse reads YAML; JSON is YAML, and needs no YAML writer here.
        self.config_path.write_text(json.dumps(_config(self.data, self.port, self.secret),
                                               indent=1))
        (self.data / "log.yaml").write_text(
            _LOG_CONFIG.replace("{log}", str(self.data / "homeserver.log")))
        if not (self.data / "signing.key").exists():
            done = subprocess.run(
                [str(synapse_python()), "-m", "synapse.app.homeserver", "--config-path",
                 str(self.config_path), "--generate-keys"],
                capture_output=True, text=True, cwd=self.data, timeout=120,
            )
            if done.returncode != 0:
                raise HomeserverError(f"synapse --generate-keys failed: {done.stderr[-300:]}")

    def answering(self) -> bool:
        """True if a homeserver answers on this port (e.g. the one `qunyun up` started)."""
        try:
            return httpx.get(f"{self.url}/_matrix/client/versions", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def attach(self) -> LocalHomeserver:
        """Use the homeserver another process started on this data directory: read its
        shared secret so `register` works (the data directory must exist already)."""
        secret_file = self.data / "shared-secret"
        if not secret_file.exists():
            raise HomeserverError(f"no local homeserver in {self.data} (shared-secret missing)")
        self.secret = secret_file.read_text().strip()
        return self

    def start(self) -> LocalHomeserver:
        if not installed():
            raise HomeserverError(
                f"Synapse is not installed in {SYNAPSE_VENV} — run ./dev.sh setup "
                "(or scripts/install-synapse.sh)")
        if not _port_free(self.port):
            raise HomeserverError(
                f"端口 {self.port} 已被占用，本机 Matrix 服务器起不来：用 --homeserver-port 或 "
                f"QUNYUN_HOMESERVER_PORT 换一个 / port {self.port} is in use: pick another "
                "with --homeserver-port or QUNYUN_HOMESERVER_PORT")
        self._prepare()
        log_file = (self.data / "stdout.log").open("ab")
        self.process = subprocess.Popen(
            [str(synapse_python()), "-m", "synapse.app.homeserver", "--config-path",
             str(self.config_path)],
            cwd=self.data, stdout=log_file, stderr=subprocess.STDOUT,
            # Its own session: Ctrl-C in the terminal stops the bot, which then stops
            # Synapse in order, instead of both dying at once mid-request.
            start_new_session=True,
        )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = (self.data / "stdout.log").read_text(errors="replace")[-500:]
                raise HomeserverError(f"Synapse exited with {self.process.returncode}: {tail}")
            try:
                if httpx.get(f"{self.url}/_matrix/client/versions", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise HomeserverError(f"Synapse did not answer on {self.url} within {READY_TIMEOUT_S} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def __enter__(self) -> LocalHomeserver:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def register(self, username: str, password: str | None = None, *,
                 admin: bool = False, displayname: str | None = None) -> RegisteredUser:
        """Create a user with the shared secret (nonce + HMAC-SHA1), get its access token."""
        password = password or secrets.token_urlsafe(12)
        endpoint = f"{self.url}/_synapse/admin/v1/register"
        nonce = httpx.get(endpoint, timeout=10).json()["nonce"]
        digest = hmac.new(
            self.secret.encode(),
            b"\x00".join(p.encode() for p in (nonce, username, password,
                                               "admin" if admin else "notadmin")),
            hashlib.sha1,
        ).hexdigest()
        body: dict[str, object] = {"nonce": nonce, "username": username, "password": password,
                                   "admin": admin, "mac": digest}
        if displayname:
            body["displayname"] = displayname
        resp = httpx.post(endpoint, json=body, timeout=30)
        if resp.status_code != 200:
            raise HomeserverError(f"register {username}: HTTP {resp.status_code} {resp.text[:200]}")
        data = resp.json()
        return RegisteredUser(str(data["user_id"]), str(data["access_token"]), password)

    def login(self, username: str, password: str) -> str:
        resp = httpx.post(f"{self.url}/_matrix/client/v3/login", json={
            "type": "m.login.password", "identifier": {"type": "m.id.user", "user": username},
            "password": password}, timeout=30)
        if resp.status_code != 200:
            raise HomeserverError(f"login {username}: HTTP {resp.status_code} {resp.text[:200]}")
        return str(resp.json()["access_token"])
