"""`qunyun up` and each `serve` worker compile the console's templates in the background
at start, so an operator's first click does not pay for it (the queue page's first load
spent ~0.5 s of ~0.7 s server time compiling three templates; issue 11 walk finding 27)."""

from __future__ import annotations

from qunyun.web.render import env, warm_templates


def test_every_page_template_is_compiled_before_the_first_click() -> None:
    thread = warm_templates()
    assert warm_templates() is thread  # once per process
    thread.join(timeout=60)
    assert not thread.is_alive()
    compiled: list[str] = []
    compile_source = env.compile

    def counting_compile(source: str, name: str | None = None, *args: object,
                         **kwargs: object) -> object:
        compiled.append(str(name))
        return compile_source(source, name, *args, **kwargs)  # type: ignore[arg-type]

    env.compile = counting_compile  # type: ignore[method-assign, assignment]
    try:
        for name in env.list_templates(filter_func=lambda n: n.endswith(".html")):
            env.get_template(name)
    finally:
        del env.compile  # back to the class's method
    assert compiled == []  # all from the cache: no compiling left
