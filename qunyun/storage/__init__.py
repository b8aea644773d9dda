"""Storage: the only place with SQL. SQLAlchemy 2.0 Core tables, repositories of
keyword-only functions over a Connection, Alembic migrations and the engine factory."""
