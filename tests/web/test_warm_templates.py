"""`qunyun up` and each `serve` worker compile the console's templates in the background
at start, so an operator's first click does not pay for it (the queue page's first load
spent ~0.5 s of ~0.7 s server time compiling three templates; issue 11 walk finding 27)."""

from __future__ import annotations

import time

from qunyun.web.render import env, warm_templates


def test_every_page_template_is_compiled_before_the_first_click() -> None:
    thread = warm_templates()
    assert warm_templates() is thread  # once per process
    thread.join(timeout=60)
    assert not thread.is_alive()
    started = time.perf_counter()
    for name in env.list_templates(filter_func=lambda n: n.endswith(".html")):
        env.get_template(name)
    assert time.perf_counter() - started < 0.2  # all from the cache: no compiling left
