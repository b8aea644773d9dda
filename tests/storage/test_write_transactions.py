"""A write transaction that reads first still lands when another writer commits meanwhile.

On SQLite a deferred transaction that has read and then writes fails at once with
"database is locked" if another connection committed in between (the busy timeout is not
consulted); a console action (read the queue item, then resolve it) met this while a
background report build opened queue items. `writing()` takes the write lock first.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text

from qunyun.storage.engine import make_engine, writing


def test_a_read_then_write_waits_for_the_other_writer_instead_of_failing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE items (id INTEGER PRIMARY KEY, who TEXT)"))
    other_started = threading.Event()
    other_done = threading.Event()

    def other_writer() -> None:
        other_started.set()
        with writing(engine) as conn:  # waits: the action below holds the write lock
            conn.execute(text("INSERT INTO items (who) VALUES ('report build')"))
        other_done.set()

    with writing(engine) as conn:
        seen = conn.execute(text("SELECT count(*) FROM items")).scalar_one()
        thread = threading.Thread(target=other_writer)
        thread.start()
        other_started.wait(5)
        assert not other_done.wait(0.3)  # the other writer is held, not interleaved
        conn.execute(text("INSERT INTO items (who) VALUES ('operator action')"))
    thread.join(15)
    assert other_done.is_set() and seen == 0
    with engine.connect() as conn:
        who = [r[0] for r in conn.execute(text("SELECT who FROM items ORDER BY id"))]
    assert who == ["operator action", "report build"]
    engine.dispose()


def test_reads_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE items (id INTEGER PRIMARY KEY)"))
    with writing(engine) as conn:
        conn.execute(text("INSERT INTO items DEFAULT VALUES"))
        with engine.connect() as reader:  # WAL: the committed state, at once
            assert reader.execute(text("SELECT count(*) FROM items")).scalar_one() == 0
    engine.dispose()
