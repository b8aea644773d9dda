"""A free TCP port on 127.0.0.1, for a server about to be started on it: the local Matrix
homeserver's first start, and the tests' and benches' consoles and homeservers."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on now (the system picks it; it can be taken again before the
    caller binds it, which on a test machine it is not)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
