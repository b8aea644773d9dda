"""Onboarding (O2/O3): the newcomer checklist with its deadline, reminders, and the form.

Steps (which are required comes from the plan when checked): `nickname` in the plan's
format, `intro` (a first substantial message), `form` (the member form's required
questions). Each row keeps `next_due_ms` — when the scheduler must look at it again
(next reminder, then the deadline) — so due work is one indexed query and a restarted
bot picks up exactly where the database says it was.

A join is not always a newcomer's (`returning`): a member let back in by an upheld appeal
(R3) or an approved revival (E2), one who finished the steps here before, or one who was
in the group before the bot arrived and comes back is welcomed back (`welcome_back`): no
checklist, no questionnaire, their history and points kept as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from qunyun.domain import choices
from qunyun.domain.patterns import labels_from
from qunyun.plan.model import FormQuestion, Onboarding
from qunyun.storage.bot import lookup as bot_lookup
from qunyun.storage.bot import onboarding as repo
from qunyun.storage.community import members as member_repo

HOUR_MS = 3_600_000
STEPS = ("nickname", "intro", "form")


def required_steps(o: Onboarding) -> tuple[str, ...]:
    steps = []
    if o.nickname_pattern:
        steps.append("nickname")
    if o.self_intro:
        steps.append("intro")
    if any(q.required for q in o.form):
        steps.append("form")
    return tuple(steps)


def missing_steps(row: Mapping[str, Any], o: Onboarding) -> tuple[str, ...]:
    return tuple(s for s in required_steps(o) if row.get(f"{s}_ms") is None)


def _reminder_times(row: Mapping[str, Any], o: Onboarding) -> list[int]:
    deadline = int(row["deadline_ms"])
    return [max(deadline - int(h * HOUR_MS), int(row["joined_ms"]))
            for h in sorted(o.remind_before_hours, reverse=True) if h > 0]


def _next_due(row: Mapping[str, Any], o: Onboarding) -> int | None:
    if row.get("completed_ms") or row.get("overdue_ms") or row.get("left_ms"):
        return None
    times = _reminder_times(row, o)
    sent = int(row.get("reminders_sent") or 0)
    return times[sent] if sent < len(times) else int(row["deadline_ms"])


def start(conn: Connection, *, community_id: int, member_id: int, group_id: int, at_ms: int,
          onboarding: Onboarding) -> dict[str, Any]:
    """A newcomer's checklist (fresh on every join unless they completed it before)."""
    existing = repo.get(conn, member_id=member_id, group_id=group_id)
    if existing and existing["completed_ms"] is not None:
        repo.update(conn, row_id=existing["id"], values={"left_ms": None, "welcomed_ms": None})
        return {**existing, "left_ms": None, "welcomed_ms": None}
    row: dict[str, Any] = {
        "community_id": community_id, "member_id": member_id, "group_id": group_id,
        "joined_ms": at_ms, "deadline_ms": at_ms + int(onboarding.deadline_hours * HOUR_MS),
        "welcomed_ms": None, "nickname_ms": None, "intro_ms": None, "form_ms": None,
        "completed_ms": None, "reminders_sent": 0, "overdue_ms": None, "left_ms": None,
    }
    form = repo.get_form(conn, member_id=member_id)
    if form and form["done_ms"] is not None:
        row["form_ms"] = form["done_ms"]  # the form is per member: answered once is enough
    if not missing_steps(row, onboarding):
        row["completed_ms"] = at_ms
    row["next_due_ms"] = _next_due(row, onboarding)
    repo.upsert(conn, row=row)
    stored = repo.get(conn, member_id=member_id, group_id=group_id)
    assert stored is not None
    return stored


# Why a join is a return; the console words each (`web.labels`).
REINSTATED = "reinstated"  # an upheld appeal or approved revival invited them back
COMPLETED = "completed"  # they finished the newcomer steps in this group before
BEFORE_BOT = "before_bot"  # they were in this group before the bot (no checklist of theirs)


def returning(conn: Connection, *, member_id: int, group_id: int) -> str | None:
    """Why this (recorded) join is a member coming back rather than a newcomer's first,
    or None for a newcomer. Asked by the welcome and by the checklist alike: the answer
    only ever moves from a reason to `COMPLETED` once `welcome_back` ran."""
    from qunyun.storage.work import audit as audit_repo

    row = repo.get(conn, member_id=member_id, group_id=group_id)
    if row is not None and row["completed_ms"] is not None:
        return COMPLETED
    _joined, left_ms = member_repo.stays_in_group(
        conn, group_id=group_id, member_ids=[member_id]).get(member_id, (None, None))
    if left_ms is None:
        return None  # no earlier stay on record: their first join here
    if audit_repo.invited_since(conn, member_id=member_id, group_id=group_id,
                                since_ms=int(left_ms)):
        return REINSTATED
    return BEFORE_BOT if row is None else None


def welcome_back(conn: Connection, *, community_id: int, member_id: int, group_id: int,
                 at_ms: int, onboarding: Onboarding) -> None:
    """A returning member: their checklist (if any) counts as done and welcomed, so no
    reminder, deadline or questionnaire follows; a new one is written done."""
    existing = repo.get(conn, member_id=member_id, group_id=group_id)
    if existing is not None:
        repo.update(conn, row_id=existing["id"], values={
            "left_ms": None, "welcomed_ms": at_ms, "next_due_ms": None,
            "completed_ms": existing["completed_ms"] or at_ms})
        return
    repo.upsert(conn, row={
        "community_id": community_id, "member_id": member_id, "group_id": group_id,
        "joined_ms": at_ms, "deadline_ms": at_ms + int(onboarding.deadline_hours * HOUR_MS),
        "welcomed_ms": at_ms, "nickname_ms": None, "intro_ms": None, "form_ms": None,
        "completed_ms": at_ms, "reminders_sent": 0, "overdue_ms": None, "left_ms": None,
        "next_due_ms": None,
    })


def state(conn: Connection, *, member_id: int, group_id: int) -> dict[str, Any] | None:
    return repo.get(conn, member_id=member_id, group_id=group_id)


@dataclass(frozen=True, slots=True)
class StepResult:
    newly_done: bool  # this call marked the step
    completed: bool  # this call completed the whole checklist
    missing: tuple[str, ...]


def complete_step(conn: Connection, *, member_id: int, group_id: int, step: str, at_ms: int,
                  onboarding: Onboarding) -> StepResult:
    if step not in STEPS:
        raise ValueError(f"unknown onboarding step {step!r}")
    row = repo.get(conn, member_id=member_id, group_id=group_id)
    if row is None or row[f"{step}_ms"] is not None or row["left_ms"] is not None:
        return StepResult(False, False, missing_steps(row, onboarding) if row else ())
    row[f"{step}_ms"] = at_ms
    values: dict[str, Any] = {f"{step}_ms": at_ms}
    missing = missing_steps(row, onboarding)
    completed = not missing and row["completed_ms"] is None
    if completed:
        row["completed_ms"] = values["completed_ms"] = at_ms
    values["next_due_ms"] = _next_due(row, onboarding)
    repo.update(conn, row_id=row["id"], values=values)
    return StepResult(True, completed, missing)


def still_missing(conn: Connection, *, member_id: int, onboarding: Onboarding
                  ) -> tuple[str, ...]:
    """The steps the member has still to do in any open checklist (in the plan's order)."""
    missing: set[str] = set()
    for row in repo.of_member(conn, member_id=member_id):
        if row.get("completed_ms") is None and row.get("left_ms") is None \
                and row.get("overdue_ms") is None:
            missing.update(missing_steps(row, onboarding))
    return tuple(s for s in STEPS if s in missing)


def form_answers(conn: Connection, *, member_id: int) -> dict[str, str]:
    form = repo.get_form(conn, member_id=member_id)
    return dict((form or {}).get("answers") or {})


def pending_intro(conn: Connection, *, member_id: int, group_id: int) -> bool:
    row = repo.get(conn, member_id=member_id, group_id=group_id)
    return bool(row and row["intro_ms"] is None and row["completed_ms"] is None
                and row["left_ms"] is None)


def member_left(conn: Connection, *, member_id: int, group_id: int, at_ms: int,
                onboarding: Onboarding) -> None:
    row = repo.get(conn, member_id=member_id, group_id=group_id)
    if row is not None and row["left_ms"] is None:
        repo.update(conn, row_id=row["id"], values={"left_ms": at_ms, "next_due_ms": None})


# -- O3 nickname ----------------------------------------------------------------------------
def apply_nickname(conn: Connection, *, member_id: int, nickname: str, onboarding: Onboarding
                   ) -> dict[str, str] | None:
    """Labels from the nickname (None if it does not match); stored as member attributes."""
    if not onboarding.nickname_pattern:
        return None
    labels = labels_from(onboarding.nickname_pattern, nickname.strip())
    if labels is None:
        return None
    if labels:
        member_repo.update_attributes(conn, member_id=member_id, attributes=labels)
    return labels


# -- welcomes (O1 batching) -----------------------------------------------------------------
# A batch opens with the first newcomer not yet welcomed and closes `batch_seconds` later;
# everyone who joined by then is welcomed in one message. The open batch is the onboarding
# rows with `welcomed_ms` NULL, so a restarted bot closes it exactly as it would have.
def welcome_now(conn: Connection, *, group_id: int, at_ms: int, batch_seconds: int) -> bool:
    """Welcome this join at once (no batching), or leave it to the batch timer."""
    return batch_seconds <= 0


def mark_welcomed(conn: Connection, *, row_ids: list[int], at_ms: int) -> None:
    for row_id in row_ids:
        repo.update(conn, row_id=row_id, values={"welcomed_ms": at_ms})


def unwelcomed(conn: Connection, *, group_id: int) -> list[dict[str, Any]]:
    return repo.unwelcomed(conn, group_id=group_id)


def welcome_batches_due(conn: Connection, *, community_id: int, now_ms: int,
                        batch_seconds: int) -> list[tuple[int, int]]:
    """(group id, first join of the batch) for groups whose batch window has closed."""
    return [(group_id, first) for group_id, first
            in repo.groups_with_unwelcomed(conn, community_id=community_id)
            if now_ms - first >= batch_seconds * 1000]


def next_welcome_ms(conn: Connection, *, community_id: int, batch_seconds: int) -> int | None:
    """When the next open batch closes (the bot's timer sleeps until then), None if none."""
    firsts = [first for _g, first in repo.groups_with_unwelcomed(conn, community_id=community_id)]
    return min(firsts) + batch_seconds * 1000 if firsts else None


def nickname_matches(nickname: str | None, onboarding: Onboarding) -> bool:
    """Does the nickname already follow the plan's format (O3)? True when there is none."""
    if not onboarding.nickname_pattern:
        return True
    return bool(nickname) and labels_from(onboarding.nickname_pattern,
                                          (nickname or "").strip()) is not None


# -- reminders and the deadline -------------------------------------------------------------
def due_checks(conn: Connection, *, community_id: int, now_ms: int) -> list[dict[str, Any]]:
    """Rows the scheduler must fire a timer for (reminder or deadline due)."""
    return repo.due(conn, community_id=community_id, now_ms=now_ms)


@dataclass(frozen=True, slots=True)
class DueAction:
    kind: str  # "remind" | "deadline"
    missing: tuple[str, ...]
    deadline_ms: int
    hours_left: float


def handle_due(conn: Connection, *, member_id: int, group_id: int, now_ms: int,
               onboarding: Onboarding) -> DueAction | None:
    """Advance the row to `now`: at most one reminder (the latest one due — a bot that was
    down does not send the ones it missed), or the deadline. None if nothing is due."""
    row = repo.get(conn, member_id=member_id, group_id=group_id)
    if row is None or _next_due(row, onboarding) is None:
        return None
    missing = missing_steps(row, onboarding)
    deadline = int(row["deadline_ms"])
    if not missing:
        row["completed_ms"] = now_ms
        repo.update(conn, row_id=row["id"], values={"completed_ms": now_ms, "next_due_ms": None})
        return None
    if now_ms >= deadline:
        row["overdue_ms"] = now_ms
        repo.update(conn, row_id=row["id"], values={"overdue_ms": now_ms, "next_due_ms": None})
        return DueAction("deadline", missing, deadline, 0.0)
    times = _reminder_times(row, onboarding)
    due_count = sum(1 for t in times if t <= now_ms)
    if due_count <= int(row["reminders_sent"]):
        repo.update(conn, row_id=row["id"], values={"next_due_ms": _next_due(row, onboarding)})
        return None
    row["reminders_sent"] = due_count
    repo.update(conn, row_id=row["id"], values={
        "reminders_sent": due_count, "next_due_ms": _next_due(row, onboarding)})
    return DueAction("remind", missing, deadline, (deadline - now_ms) / HOUR_MS)


@dataclass(frozen=True, slots=True)
class OverdueMember:
    member_id: int
    group_id: int
    display_name: str | None
    joined: datetime
    deadline: datetime
    missing: tuple[str, ...]


def overdue_members(conn: Connection, community_id: int, now: datetime,
                    onboarding: Onboarding | None = None) -> list[OverdueMember]:
    """Members past their deadline with steps missing (console: who is overdue, O2)."""
    o = onboarding or Onboarding()
    rows = repo.overdue(conn, community_id=community_id, now_ms=int(now.timestamp() * 1000))
    names = bot_lookup.display_names(conn, member_ids=sorted({int(r["member_id"]) for r in rows}))
    out = []
    for r in rows:
        missing = missing_steps(r, o)
        if missing:
            out.append(OverdueMember(
                int(r["member_id"]), int(r["group_id"]), names.get(int(r["member_id"])),
                datetime.fromtimestamp(r["joined_ms"] / 1000, tz=now.tzinfo),
                datetime.fromtimestamp(r["deadline_ms"] / 1000, tz=now.tzinfo), missing))
    return out


# -- the member form ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FormProgress:
    question: FormQuestion | None  # the next question to ask, None when done
    index: int
    total: int
    done: bool
    answered: str | None = None  # key just answered
    completed_groups: tuple[int, ...] = ()  # checklists this answer completed
    # Why the same question is asked again: "required" (「跳过」 on a required question),
    # "choice" (the answer names none of the question's choices), "empty".
    refused: str | None = None
    stored: str | None = None  # what was recorded for the answered question


def stored_answer(question: FormQuestion, text: str) -> str | None:
    """What an answer records: the choice it names (as the plan writes it) for a question
    with `choices`, else the text as typed; None when it names no choice."""
    if not question.choices:
        return text
    return choices.picked(text, question.choices)


def form_start(conn: Connection, *, community_id: int, member_id: int, at_ms: int,
               onboarding: Onboarding) -> FormProgress:
    """The member's form, started if new; the question still pending (a member who joins a
    second group is not asked question 1 again)."""
    repo.start_form(conn, member_id=member_id, community_id=community_id, now_ms=at_ms)
    questions = onboarding.form
    if not questions:
        return FormProgress(None, 0, 0, True)
    pending = form_pending(conn, member_id=member_id, onboarding=onboarding)
    if pending is None:
        return FormProgress(None, len(questions), len(questions), True)
    return pending


def form_pending(conn: Connection, *, member_id: int, onboarding: Onboarding
                 ) -> FormProgress | None:
    form = repo.get_form(conn, member_id=member_id)
    if form is None or form["done_ms"] is not None:
        return None
    step = int(form["step"])
    if step >= len(onboarding.form):
        return None
    return FormProgress(onboarding.form[step], step, len(onboarding.form), False)


def form_open(conn: Connection, *, member_id: int, onboarding: Onboarding) -> bool:
    """Is the member's questionnaire open, so that a plain DM is the answer to its pending
    question? Only as part of a newcomer's checklist in one of the community's groups:
    open while that checklist is (welcomed as a newcomer, not removed, not left, not
    finished). A removal or leaving closes it; a member welcomed back (`welcome_back`) has
    no open checklist, so nothing they write is taken as an answer (issue 11 walk finding
    55). A newcomer who left and rejoins gets a fresh checklist: the questionnaire resumes.
    A form with no required question is not a checklist step: it stays open after the
    checklist was finished by its steps (a welcome-back row has none of them)."""
    if form_pending(conn, member_id=member_id, onboarding=onboarding) is None:
        return False
    optional_only = not any(q.required for q in onboarding.form)
    for row in repo.of_member(conn, member_id=member_id):
        if row["left_ms"] is not None:
            continue
        if row["completed_ms"] is None:
            return True
        if optional_only and (row["nickname_ms"] is not None or row["intro_ms"] is not None):
            return True
    return False


def form_done(conn: Connection, *, member_id: int) -> bool:
    form = repo.get_form(conn, member_id=member_id)
    return form is not None and form["done_ms"] is not None


SKIP_WORDS = {"跳过", "skip", "略", "不填"}


def form_answer(conn: Connection, *, member_id: int, answer: str, at_ms: int,
                onboarding: Onboarding) -> FormProgress | None:
    """Store the answer to the pending question as a member attribute and move on.
    None if no question is pending. An optional question may be skipped ("跳过")."""
    form = repo.get_form(conn, member_id=member_id)
    if form is None or form["done_ms"] is not None:
        return None
    questions = onboarding.form
    step = int(form["step"])
    if step >= len(questions):
        return None
    q = questions[step]
    text = answer.strip()[:200]
    answers = dict(form["answers"] or {})
    stored: str | None = None
    if text.casefold() in SKIP_WORDS and not q.required:
        answers.pop(q.key, None)
    elif text.casefold() in SKIP_WORDS or not text:
        return FormProgress(q, step, len(questions), False,  # required: ask again
                            refused="required" if text else "empty")
    else:
        stored = stored_answer(q, text)
        if stored is None:
            return FormProgress(q, step, len(questions), False, refused="choice")
        answers[q.key] = stored
        member_repo.update_attributes(conn, member_id=member_id, attributes={q.key: stored})
    step += 1
    done = step >= len(questions)
    repo.save_form(conn, member_id=member_id, step=step, answers=answers,
                   done_ms=at_ms if done else None)
    completed: list[int] = []
    if done:
        for row in repo.of_member(conn, member_id=member_id):
            result = complete_step(conn, member_id=member_id, group_id=int(row["group_id"]),
                                   step="form", at_ms=at_ms, onboarding=onboarding)
            if result.completed:
                completed.append(int(row["group_id"]))
    nxt = None if done else questions[step]
    return FormProgress(nxt, step, len(questions), done, answered=q.key,
                        completed_groups=tuple(completed), stored=stored)
