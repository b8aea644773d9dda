"""The operator console (issue 5): FastAPI app, server-rendered pages, HTMX, local assets.

`create_app` in `qunyun.web.app` is the factory; `qunyun serve` runs it under uvicorn.
"""
