"""T3 in the group: `!排行 [周|月|赛季|总] [参与|贡献]`, `!加分` / `!减分`, season ends, decay.

- `!排行` alone is the all-time total board, as it always was (in a group, that group's
  points; in a DM, the community's), now titled so members know which board it is; a
  period word picks the week (from Monday), month, season or all time, a board word the
  participation or contribution board. The answer ends with the asker's own dense rank.
- `!加分 @某人 10 原因` / `!减分 @某人 5 原因` (admins only; a plain "@name", a Matrix
  pill or a platform id names the member) write the ledger with the reason, audited.
- On the daily growth tick (`growth.tiers`): decay for long inactivity (when the plan
  turns it on).
- On the season tick (`season.announce`, daily at `seasons.announce_at`): a season's end
  with its top members and the next season's start, announced in every group once.

Admins are off the boards (and cannot be granted points) unless `points.include_admins`.
"""

from __future__ import annotations

from qunyun.domain.commands import Command
from qunyun.domain.periods import Season
from qunyun.effects import Effect, Reply, Send
from qunyun.events import Event, GroupRef, MessagePosted, TimerFired, UserRef
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import Setup, name_of
from qunyun.policies.level_ups import level_up
from qunyun.services import boards as board_service
from qunyun.services import calendar as calendar_service
from qunyun.services import growth as growth_service
from qunyun.services import lookup, staff
from qunyun.storage.bot import boards as board_repo

PERIOD_WORDS = {
    "周": "week", "本周": "week", "周榜": "week", "week": "week", "weekly": "week",
    "月": "month", "本月": "month", "月榜": "month", "month": "month", "monthly": "month",
    "赛季": "season", "本赛季": "season", "季": "season", "赛季榜": "season",
    "season": "season",
    "总": "all", "总榜": "all", "全部": "all", "all": "all",
}
BOARD_WORDS = {
    "参与": "participation", "参与榜": "participation", "participation": "participation",
    "贡献": "contribution", "贡献榜": "contribution", "contribution": "contribution",
    "积分": "total", "总分": "total", "total": "total",
}
USAGE = "用法：!排行 周 | 月 | 赛季 | 总，可再加「参与」或「贡献」，例如 !排行 周 贡献"
GRANT_USAGE = {"grant": "用法：!加分 @某人 10 原因", "deduct": "用法：!减分 @某人 5 原因"}
TOP = 10


class Boards:
    name = "boards"
    handles = (MessagePosted, TimerFired)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if isinstance(event, TimerFired):
            if event.timer == board_service.SEASON_KIND:
                return self._season(event, ctx)
            return self._daily(event, ctx) if event.timer == growth_service.KIND else None
        if not isinstance(event, MessagePosted) or ctx.member_id is None:
            return None
        command = self.setup.command(event)
        if command is None:
            return None
        if command.name == "rank":
            return Verdict.halt(self._rank(command, event, ctx))
        if command.name in ("grant", "deduct"):
            return Verdict.halt(*self._grant(command, event, ctx))
        return None

    def _reply(self, event: MessagePosted, text: str, why: str,
               named: tuple[str, ...] = ()) -> Reply:
        return Reply(group=event.group, event_id=event.source_event_id, text=text,
                     reason=why, policy=self.name, named=named)

    def _admins(self, ctx: Context, group: GroupRef, platform: str) -> set[int]:
        if self.setup.plan.points.include_admins:
            return set()
        admins = self.setup.admin_ids(group)
        live = lookup.member_ids_of(ctx.conn, community_id=ctx.community_id,
                                    platform=platform, user_ids=admins) if admins else set()
        # The room asked live, and every group's recorded moderators: a moderator of one
        # group is staff in the board asked from another group (or from a DM) too.
        return live | staff.off_growth(ctx.conn, community_id=ctx.community_id,
                                       plan=self.setup.plan)

    def _rank(self, command: Command, event: MessagePosted, ctx: Context) -> Reply:
        assert ctx.member_id is not None
        kind, which = "all", "total"
        for word in command.args:
            w = word.casefold()
            if w in PERIOD_WORDS:
                kind = PERIOD_WORDS[w]
            elif w in BOARD_WORDS:
                which = BOARD_WORDS[w]
            else:
                return self._reply(event, f"不认识「{word}」。{USAGE}", "T3 !rank")
        # Asked in a DM, the board is the community's; in a group, that group's.
        group_id = None if self.setup.is_direct(event.group) else ctx.group_id
        exclude = self._admins(ctx, event.group, event.actor.platform)
        try:
            got = board_service.board(ctx.conn, community_id=ctx.community_id,
                                      plan=self.setup.plan, now=event.at, kind=kind,
                                      which=which, group_id=group_id, exclude=exclude)
        except board_service.NoSeason:
            return self._reply(event, "本群还没有进行中的赛季（计划里没有设置 seasons，或第一季"
                               "还没开始）。可以看 !排行 周 或 !排行 月", "T3 !rank")
        lines = [f"🏆 积分排行 · {got.title}"]
        top = got.top(TOP)
        lines += [f"{e.rank}. {e.display_name or '群友'} — {e.points} 分" for e in top]
        if not got.entries:
            lines.append("这个榜上还没有人得分")
        mine = got.of(ctx.member_id)
        if ctx.member_id in exclude:
            lines.append("（管理员不参与排行）")
        elif mine is not None:
            lines.append(f"你：第 {mine.rank} 名，{mine.points} 分")
        else:
            lines.append("你在这个榜上还没有积分")
        if not command.args:
            lines.append("更多榜单：!排行 周 | 月 | 赛季，加「参与」或「贡献」看分榜")
        # Written as members read them (the name part), the pass in `pipeline/addressing`.
        return self._reply(event, "\n".join(lines), "T3 !rank",
                           named=tuple(e.display_name for e in top if e.display_name))

    def _target(self, text: str, event: MessagePosted, ctx: Context
                ) -> tuple[int, UserRef] | str:
        """The member a grant is for (a pill, a platform id or a display name), or why not."""
        platform = event.actor.platform
        mentioned = [m for m in event.mentions if m != event.actor.user_id]
        ids: set[int] = set()
        # The first mention that is a member (a reply also mentions whom it answers, and
        # that may be the bot, which is no member).
        for user_id in mentioned[:5]:
            ids = lookup.member_ids_of(ctx.conn, community_id=ctx.community_id,
                                       platform=platform, user_ids=[user_id])
            if ids:
                break
        name = text.strip().rstrip(":：").strip()
        if not ids and name:
            ids = lookup.member_ids_of(ctx.conn, community_id=ctx.community_id,
                                       platform=platform, user_ids=[name])
            if not ids:
                bare = name.removeprefix("@").removeprefix("＠").strip()
                found = board_repo.members_named(ctx.conn, community_id=ctx.community_id,
                                                 name=bare)
                if len(found) > 1:
                    return f"群里有多位「{bare}」，请用 @ 提及要加减分的人"
                if not found:
                    return f"找不到成员「{bare}」，请用 @ 提及TA"
                ids = set(found)
        if not ids:
            return "请 @ 提及要加减分的成员"
        member_id = min(ids)
        ref = lookup.member_ref(ctx.conn, member_id=member_id)
        if ref is None:
            return "找不到这位成员"
        return member_id, ref

    def _grant(self, command: Command, event: MessagePosted, ctx: Context) -> list[Effect]:
        what = "加分" if command.name == "grant" else "减分"
        if self.setup.is_direct(event.group) or ctx.group_id is None:
            return [self._reply(event, f"请在群里使用 !{what}", "T3 grant")]
        if not self.setup.is_admin(event.actor, event.group):
            return [self._reply(event, f"只有管理员可以{what}", "T3 grant refused")]
        words = command.rest.split()
        at = next((i for i, w in enumerate(words) if w.lstrip("+").isdigit()), None)
        if at is None:
            return [self._reply(event, GRANT_USAGE[command.name], "T3 grant")]
        target = self._target(" ".join(words[:at]), event, ctx)
        if isinstance(target, str):
            return [self._reply(event, f"{target}。{GRANT_USAGE[command.name]}", "T3 grant")]
        member_id, member = target
        if not self.setup.on_boards(member, event.group):
            return [self._reply(event, "管理员不参与积分排行，不能给管理员加减分", "T3 grant")]
        if member_id == ctx.member_id:
            return [self._reply(event, "不能给自己加减分", "T3 grant")]
        amount = int(words[at].lstrip("+"))
        by = name_of(event.actor)
        try:
            done = board_service.grant(
                ctx.conn, community_id=ctx.community_id, member_id=member_id,
                points=amount if command.name == "grant" else -amount,
                reason=" ".join(words[at + 1:]), by=by, plan=self.setup.plan, at=event.at,
                group_id=ctx.group_id, ref=event.source_event_id, admin=True)
        except board_service.GrantError as exc:
            return [self._reply(event, str(exc), "T3 grant")]
        told = Send(group=event.group, mentions=(member,), policy=self.name,
                    reason=f"T3 {command.name}",
                    evidence={"member_id": member_id, "points": done.points,
                              "ledger": done.ledger, "reason": done.reason},
                    text=board_service.grant_text(name_of(member), done, by))
        return [told, *level_up(self.setup, ctx, member_id=member_id, gained=done.points,
                                group=event.group, at=event.at, policy=self.name)]

    def _off_boards(self, event: TimerFired, ctx: Context) -> set[int]:
        plan = self.setup.plan
        if plan.points.include_admins:
            return set()
        return board_repo.members_with_ids(ctx.conn, community_id=ctx.community_id,
                                           external_ids=self.setup.admin_ids(event.group)) \
            | staff.off_growth(ctx.conn, community_id=ctx.community_id, plan=plan)

    def _daily(self, event: TimerFired, ctx: Context) -> Verdict | None:
        """The daily growth pass: decay for long inactivity."""
        board_service.decay(ctx.conn, community_id=ctx.community_id, plan=self.setup.plan,
                            now=event.at, exclude=self._off_boards(event, ctx))
        return None

    def _season(self, event: TimerFired, ctx: Context) -> Verdict | None:
        """`seasons.announce_at`: the season that ended, with its top members, and the one
        that starts today, in one message to each group (the admins' room is no audience)."""
        plan = self.setup.plan
        cfg = plan.seasons
        if cfg is None:
            return None
        ended = board_service.season_to_close(ctx.conn, community_id=ctx.community_id,
                                              plan=plan, now=event.at)
        starting = board_service.season_starting(ctx.conn, community_id=ctx.community_id,
                                                  plan=plan, now=event.at)
        if ended is None and starting is None:
            return None
        lines: list[str] = []
        refs: list[UserRef] = []
        named: tuple[str, ...] = ()  # the top's nicknames, written as members read them
        evidence: dict[str, object] = {}
        if ended is not None:
            final = board_service.close_season(ctx.conn, community_id=ctx.community_id,
                                               plan=plan, ended=ended, now=event.at,
                                               exclude=self._off_boards(event, ctx))
            # Dense ranks: "top 3" is ranks 1–3, everyone tied on them included.
            top = [e for e in final.entries if e.rank <= cfg.announce_top]
            named = tuple(e.display_name for e in top if e.display_name)
            refs = [r for r in (lookup.member_ref(ctx.conn, member_id=e.member_id)
                                for e in top) if r is not None]
            evidence = {"season": ended.n, "name": ended.name,
                        "top": [e.member_id for e in top]}
            if top:
                lines = [f"🏁 「{ended.name}」结束了！感谢大家，本季积分前 "
                         f"{cfg.announce_top} 名："]
                lines += [f"{e.rank}. @{e.display_name or '群友'} — {e.points} 分" for e in top]
            else:
                lines = [f"🏁 「{ended.name}」结束了。"]
        if starting is not None:
            span = _days(starting)
            lines.append(f"🚀 「{starting.name}」今天开始{span}，赛季榜从零算起（总积分保留），"
                         "发送 !排行 赛季 查看")
            evidence |= {"starting": starting.n, "starting_name": starting.name}
        else:
            lines.append("新赛季已经开始，赛季榜从零算起（总积分保留）。发送 !排行 赛季 查看")
        reason = "T3 season end" if ended is not None else "T3 season start"
        groups = calendar_service.target_groups(
            lookup.postable_groups(ctx.conn, community_id=ctx.community_id), None,
            plan.bot.admin_room)
        text = "\n".join(lines)
        effects: list[Effect] = []
        for gid, ref in groups:
            if self.setup.is_direct(ref):
                continue
            if self.setup.capabilities.post_in_group:
                effects.append(Send(group=ref, mentions=tuple(refs), policy=self.name,
                                    reason=reason, evidence=evidence, text=text,
                                    named=named))
            else:  # WeCom customer groups: the owner posts it, from a to-do with the text
                calendar_service.owner_todo(
                    ctx.conn, community_id=ctx.community_id, group_id=gid, title="赛季公告",
                    text=text, key=event.source_event_id,
                    at_ms=int(event.at.timestamp() * 1000))
        return Verdict.act(*effects) if effects else None


def _days(s: Season) -> str:
    """「（3月16日—3月29日）」, or 「（3月16日起）」 for an open season."""
    first = f"{s.start.month}月{s.start.day}日"
    last = s.last_day
    return f"（{first}—{last.month}月{last.day}日）" if last else f"（{first}起）"
