"""Where the bot is wired: the explicit, ordered list of policies and the timer schedule.

Every adapter (Matrix today) builds its pipeline from `build_policies` and asks
`build_scheduler` for the ticks that are due (onboarding reminders, warning expiry,
daily sweeps). Policies are listed here by hand, in order: no registries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine

from qunyun.bot.scheduler import Scheduler as TimerSchedule
from qunyun.capabilities import FULL, Capabilities
from qunyun.events import GroupRef, TimerFired
from qunyun.pipeline.policy import Policy
from qunyun.plan.model import Plan
from qunyun.policies.activities import Activities
from qunyun.policies.admission import JoinRequests
from qunyun.policies.ambassadors import Ambassadors
from qunyun.policies.badges import Badges
from qunyun.policies.base import RoomAdmins, Serves, Setup, serves_all
from qunyun.policies.boards import Boards
from qunyun.policies.calendar import CalendarPosts
from qunyun.policies.campaigns import Campaigns
from qunyun.policies.commands import Commands
from qunyun.policies.escalation import Escalation
from qunyun.policies.group_matrix import GroupCapacity, GroupRouting
from qunyun.policies.growth import Growth
from qunyun.policies.growth_commands import GrowthCommands
from qunyun.policies.invitations import Invitations
from qunyun.policies.lifecycle import Elimination, Revival
from qunyun.policies.moderation import Moderation
from qunyun.policies.onboarding import Onboarding, Welcome
from qunyun.policies.reports import WeeklyReport
from qunyun.policies.schedule import ScheduleLedger
from qunyun.policies.scoring import Scoring
from qunyun.policies.staff import StaffRoster
from qunyun.policies.suspects import Suspects
from qunyun.policies.tier_actions import TierActions
from qunyun.policies.volunteers import Volunteers
from qunyun.services import activities as activity_service
from qunyun.services import boards as board_service
from qunyun.services import calendar as calendar_service
from qunyun.services import elimination as elimination_service
from qunyun.services import growth as growth_service
from qunyun.services import question_wait
from qunyun.services import reports as report_service
from qunyun.services import volunteers as volunteer_service
from qunyun.services.schedule import JobKind, Probe

DirectCheck = Callable[[GroupRef], bool]
Scheduler = Callable[[datetime], Sequence[TimerFired]]


def build_policies(plan: Plan, *, is_direct: DirectCheck | None = None,
                   room_admins: RoomAdmins | None = None,
                   capabilities: Capabilities = FULL,
                   serves: Serves = serves_all) -> list[Policy]:
    """The policies the bot runs, in order: moderation first (a deleted advert earns
    nothing and gets no FAQ reply), then newcomers, commands and FAQ, points, escalation.
    `room_admins` is the adapter's list of a room's moderators (admins unless the plan
    sets `bot.moderators_are_admins: false`); `serves`, the groups the adapter acts in
    (`qunyun.policies.base.serving(platform)` for a live adapter beside others)."""
    setup = Setup(plan, capabilities=capabilities, serves=serves)
    if is_direct is not None:
        setup.is_direct = is_direct
    if room_admins is not None:
        setup.room_admins = room_admins
    return [
        StaffRoster(setup),  # who moderates each group, for the report and console
        ScheduleLedger(),  # the schedule's slots and cursors (halts stale ticks)
        Moderation(setup),  # R1, R2 (halts: nothing else sees a deleted message)
        Suspects(setup),  # R4
        JoinRequests(setup),  # G1 join requests (Telegram, QQ)
        Welcome(setup),  # O1
        Onboarding(setup),  # O2, O3
        GroupCapacity(setup),  # G4 a full group gets its next group (after the welcome)
        GroupRouting(setup),  # G4 newcomers to their group by an attribute (after O2/O3)
        Campaigns(setup),  # A1 campaign days, `!完成` tasks (T3; halts on `!完成`)
        Activities(setup),  # A5 events: !报名 !取消报名 !签到 (on the day) !反馈, steps
        GrowthCommands(setup),  # T1/T3 !等级 (halts on its command)
        Boards(setup),  # T3 !排行 boards, !加分/!减分, season ends and decay (daily tick)
        Invitations(setup),  # T2/T4 !接受 !拒绝 to a volunteer or ambassador invitation
        Ambassadors(setup),  # T2 推广大使: joins they bring, !邀请码 (halts on it)
        Volunteers(setup),  # T4 !接受 !拒绝 !警告 !删除, daily invitations (halts on them)
        # E2 !复活 and re-admission (halts on its command); before Commands, so that a
        # removed member's `!作业 链接` by DM hands in the revival task.
        Revival(setup),
        Commands(setup),  # A2, A3, A4, R3 appeals (commands halt)
        Elimination(setup),  # E1 sweep notices and removals (timer ticks)
        WeeklyReport(setup),  # H4 Monday report to the admin room (timer ticks)
        Scoring(setup),  # T3, T5
        Growth(setup),  # T1 daily tiers (schedule ticks only)
        Badges(setup),  # T3 badges as events arrive and in the daily growth pass
        TierActions(setup),  # T2 the tier playbook after the daily tier pass, buddies
        Escalation(setup),  # R5
        CalendarPosts(setup),  # A1 (schedule ticks only)
    ]


def job_kinds() -> list[JobKind]:
    """The schedule's job kinds, each with the entries the plan implies. A feature with a
    timed job adds its kind here (see `qunyun.services.schedule`)."""
    return [
        *calendar_service.job_kinds(),  # A1 posts and start-dated campaign days
        elimination_service.SWEEP_JOB,  # E1 sweep on elimination.sweep_cron
        report_service.WEEKLY_JOB,  # H4 weekly report on reports.weekly_cron
        activity_service.STEP_JOB,  # A5 reminders a day/an hour before, feedback, summary
        *growth_service.job_kinds(),  # T1 the daily tier pass
        board_service.SEASON_JOB,  # T3 a season's end and start at seasons.announce_at
        *volunteer_service.job_kinds(),  # T4 daily invitations and retirements
        question_wait.JOB,  # R5 a question to the members, checked back on after the wait
    ]


def probes(plan: Plan) -> list[Probe]:
    """Timed work of issue 14 whose time lives on its own rows (asked every round)."""
    return [*elimination_service.probes(plan),  # E1 removals due, E2 approved revivals
            activity_service.announce_probe(plan)]  # A5 a new event to announce


def build_scheduler(engine: Engine, *, community_id: int, plan: Plan,
                    resolution_s: int = 60, now: datetime | None = None,
                    serves: Serves = serves_all) -> TimerSchedule:
    """A callable the bot loop calls every round with the current time; returns due ticks
    for the groups the adapter `serves` (another platform's adapter fires its own).
    The plan's schedule entries are stored (synced) first."""
    schedule = TimerSchedule(engine, community_id=community_id, plan=plan,
                             resolution_s=resolution_s, kinds=job_kinds(),
                             more_probes=probes(plan), serves=serves)
    schedule.sync(now or datetime.now(UTC))
    return schedule
