"""A plan's cron expression (`elimination.sweep_cron`, `reports.weekly_cron`) as the
durable schedule's rule (RFC 5545 RRULE in local wall-clock time). Pure.

croniter reads the expression (lists, ranges, steps, names); the fields become BYMINUTE,
BYHOUR, BYMONTHDAY, BYMONTH, BYDAY of a daily rule. The minute and the hour must be
given (a sweep or a report "every minute" is not a rhythm), and a day of the month and a
weekday together are refused: cron means "either", RRULE would mean "both".
"""

from __future__ import annotations

from croniter import croniter

# Far enough back for any plan, near enough that a daily rule is cheap to iterate.
DTSTART = "DTSTART:20240101T000000\n"
WEEKDAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")


class CronError(ValueError):
    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.zh = zh


def to_rule(expr: str) -> str:
    if not croniter.is_valid(expr) or len(expr.split()) != 5:
        raise CronError(f"not a five-field cron expression: {expr!r}",
                        f"「{expr}」不是五段式 cron 表达式（分 时 日 月 星期）")
    (minutes, hours, days, months, weekdays), _ = croniter.expand(expr)
    if minutes == ["*"] or hours == ["*"]:
        raise CronError(f"{expr!r}: give the minute and the hour",
                        f"「{expr}」要写具体的分钟和小时，例如 0 10 * * 1（每周一 10:00）")
    if days != ["*"] and weekdays != ["*"]:
        raise CronError(f"{expr!r}: a day of the month and a weekday together are ambiguous",
                        f"「{expr}」同时限定了日期和星期，含义不明确，请只写一种")
    parts = ["FREQ=DAILY", "BYHOUR=" + ",".join(map(str, hours)),
             "BYMINUTE=" + ",".join(map(str, minutes)), "BYSECOND=0"]
    if days != ["*"]:
        parts.append("BYMONTHDAY=" + ",".join(map(str, days)))
    if months != ["*"]:
        parts.append("BYMONTH=" + ",".join(map(str, months)))
    if weekdays != ["*"]:
        parts.append("BYDAY=" + ",".join(WEEKDAYS[int(d) % 7] for d in weekdays))
    return DTSTART + "RRULE:" + ";".join(parts)
