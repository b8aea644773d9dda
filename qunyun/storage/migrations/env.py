"""Alembic environment: uses the engine handed over by `qunyun.storage.migrate`."""

from __future__ import annotations

from alembic import context

from qunyun.storage.schema import metadata

engine = context.config.attributes.get("engine")
if engine is None:  # pragma: no cover - only when someone runs the alembic CLI by hand
    from qunyun.storage.engine import make_engine

    engine = make_engine()

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
