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
    # A DM can reach a member who never wrote to the bot (Matrix, QQ friends aside).
    # Telegram: only members who pressed "Start" in the bot's chat (else an operator to-do).
    dm_without_start: bool = True
    mute: bool = True
    # The bot can invite a member back (an upheld appeal, a revival): Matrix yes;
    # QQ and Telegram only by a link the member opens.
    invite_member: bool = True
    invite_links: bool = False  # per-member invite links (G2 attribution by link name)
    join_requests: bool = False  # applications to join, approved or rejected with a reason
    create_groups: bool = True
    send_files: bool = True
    # T2: the bot can give a member the role or title the plan names for their tier (and
    # take it back): Matrix a power level, QQ a group special title (the bot must be the
    # group's owner; where it is not, the adapter leaves the operator a to-do).
    member_roles: bool = True


FULL = Capabilities()
# Matrix: everything but a timed mute (a power level stays until changed back); join
# requests are knocks (rooms whose join rule is `knock`).
MATRIX = Capabilities(mute=False, join_requests=True)
# OneBot 11 (NapCat, Lagrange.OneBot, LLOneBot): a QQ account that is the group's admin.
ONEBOT = Capabilities(invite_member=False, join_requests=True, create_groups=False,
                      send_files=False)
# Telegram Bot API: the bot is an admin with "delete", "ban" and "invite" rights. A custom
# title exists only for admins the bot promoted (setChatAdministratorCustomTitle): making a
# member an admin for a title would also make them one of the group's admins, whom the
# rules and volunteers leave alone, so roles are the operator's to-do here.
TELEGRAM = Capabilities(dm_without_start=False, invite_member=False, invite_links=True,
                        join_requests=True, create_groups=False, member_roles=False)

# What each platform's adapter declares, for the console, which acts with no adapter at
# hand (an operator's tier lock gives a role as the bot would, or leaves the to-do).
BY_PLATFORM = {"matrix": MATRIX, "qq": ONEBOT, "telegram": TELEGRAM}


def of_platform(platform: str) -> Capabilities:
    return BY_PLATFORM.get(platform, FULL)
