"""What an adapter's platform can do, declared by the adapter and asked by policies and
the schedule (never the platform's name): where a capability is missing, the effect
becomes an operator to-do with the text ready (design: "Adapters declare capabilities")."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Capabilities:
    # The bot can post into a group by itself (WeCom customer groups cannot: the owner
    # posts, from a reminder with the text ready).
    post_in_group: bool = True
    direct_message: bool = True
    delete: bool = True
    remove: bool = True


FULL = Capabilities()
