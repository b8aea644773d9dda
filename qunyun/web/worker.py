"""The console app as each `qunyun serve` worker process builds it.

`qunyun serve` runs uvicorn with several worker processes; each imports this module and
calls `app()`, which reads what the parent decided from the environment (the database
URL, whether cookies are Secure, the one-time setup token, how many requests it runs at
once). Everything the workers must agree on lives in the database: the cookie-signing
secret, sessions, sign-in failures.
Each worker keeps its own report cache, warms it at start and keeps it current (`watch`).
"""

from __future__ import annotations

import os

from fastapi import FastAPI

ENV_DB = "QUNYUN_SERVE_DB"
ENV_SECURE = "QUNYUN_SERVE_SECURE"
ENV_SETUP = "QUNYUN_SERVE_SETUP_TOKEN"
ENV_THREADS = "QUNYUN_SERVE_THREADS"


def app() -> FastAPI:
    from qunyun.storage.community import communities as community_repo
    from qunyun.storage.engine import make_engine
    from qunyun.web.app import create_app
    from qunyun.web.render import warm_templates

    engine = make_engine(os.environ[ENV_DB])
    with engine.connect() as conn:
        community_ids = [int(str(c["id"])) for c in community_repo.list_communities(conn)]
    console = create_app(engine, secure_cookies=os.environ.get(ENV_SECURE) == "1",
                         setup_token=os.environ.get(ENV_SETUP) or None,
                         threads=int(os.environ.get(ENV_THREADS) or 0) or None)
    console.state.reports.warm(community_ids)
    warm_templates()
    console.state.reports.watch()  # new events reach the report within seconds
    return console
