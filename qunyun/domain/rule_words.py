"""A schedule rule (RFC 5545 text, see `recurrence`) as a person says it, in Chinese or
English: "每周一 20:00" / "every Monday at 20:00" (issue 11: the console never shows
`FREQ=WEEKLY;BYDAY=MO`). Covers what `recurrence.rule_text` and `cron.to_rule` build —
one-offs, daily (on some weekdays, every N days, at listed hours), weekly, monthly by day
or by "first/last Monday", an end date or a count; anything else falls back to the rule
text itself. dateutil reads the rule (`recurrence.check_rule`); the wording is ours. Pure.
"""

from __future__ import annotations

from datetime import datetime

from qunyun.domain import recurrence

ZH_DAYS = {"MO": "周一", "TU": "周二", "WE": "周三", "TH": "周四", "FR": "周五", "SA": "周六",
           "SU": "周日"}
EN_DAYS = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday",
           "FR": "Friday", "SA": "Saturday", "SU": "Sunday"}
ZH_NTH = {1: "第一个", 2: "第二个", 3: "第三个", 4: "第四个", 5: "第五个", -1: "最后一个",
          -2: "倒数第二个"}
EN_NTH = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last",
          -2: "second to last"}


def _fields(text: str) -> tuple[datetime | None, dict[str, str]]:
    start: datetime | None = None
    fields: dict[str, str] = {}
    for line in text.strip().splitlines():
        head, _, body = line.strip().partition(":")
        if head.upper().startswith("DTSTART"):
            start = datetime.strptime(body.strip()[:15], "%Y%m%dT%H%M%S")
        elif head.upper() == "RRULE":
            for part in body.split(";"):
                key, _, value = part.partition("=")
                fields[key.strip().upper()] = value.strip().upper()
    return start, fields


def _en_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe(text: str | None, lang: str = "zh") -> str:
    """The rule in words; the text itself when it does not read or says something the
    wording does not cover (it is never hidden)."""
    raw = (text or "").strip()
    if not raw or recurrence.check_rule(raw) is not None:
        return raw
    try:
        start, f = _fields(raw)
        return _words(start, f, lang == "en") or raw
    except (ValueError, KeyError):
        return raw


def _words(start: datetime | None, f: dict[str, str], en: bool) -> str | None:
    freq = f.get("FREQ")
    if start is None or freq not in ("DAILY", "WEEKLY", "MONTHLY"):
        return None
    if set(f) - {"FREQ", "BYDAY", "INTERVAL", "COUNT", "UNTIL", "BYMONTHDAY", "BYHOUR",
                 "BYMINUTE", "BYSECOND"}:
        return None
    hours = [int(h) for h in f["BYHOUR"].split(",")] if "BYHOUR" in f else [start.hour]
    minutes = [int(m) for m in f["BYMINUTE"].split(",")] if "BYMINUTE" in f else [start.minute]
    times = [f"{h:02d}:{m:02d}" for h in hours for m in minutes]
    at = (" at " + _en_list(times)) if en else (" " + "、".join(times))
    if f.get("COUNT") == "1" and freq == "DAILY" and "BYDAY" not in f:
        return (f"once, on {start:%Y-%m-%d}{at}" if en else f"一次：{start:%Y-%m-%d}{at}")
    interval = int(f.get("INTERVAL", "1"))
    days = [d for d in f.get("BYDAY", "").split(",") if d]
    if freq == "DAILY" and "BYMONTHDAY" in f:  # cron: on days of the month
        nums = f["BYMONTHDAY"].split(",")
        said = (f"every month on day {_en_list(nums)}" if en
                else "每月 " + "、".join(nums) + " 日")
    elif freq == "DAILY" and days:
        said = (f"every {_en_list([EN_DAYS[d] for d in days])}" if en
                else "每" + "、".join(ZH_DAYS[d] for d in days))
    elif freq == "DAILY":
        said = ("every day" if interval == 1 else f"every {interval} days") if en \
            else ("每天" if interval == 1 else f"每 {interval} 天")
    elif freq == "WEEKLY":
        days = days or [recurrence.WEEKDAYS[start.weekday()]]
        if en:
            said = (f"every {_en_list([EN_DAYS[d] for d in days])}" if interval == 1 else
                    f"every {interval} weeks on {_en_list([EN_DAYS[d] for d in days])}")
        else:
            names = "、".join(ZH_DAYS[d] for d in days)
            said = f"每{names}" if interval == 1 else f"每 {interval} 周的{names}"
    else:  # MONTHLY
        if days:
            code = days[0]
            nth = int(code[:-2] or "1")
            if len(days) != 1 or nth not in EN_NTH:
                return None
            which = ZH_NTH[nth]
            said = (f"every month on the {EN_NTH[nth]} {EN_DAYS[code[-2:]]}" if en else
                    f"每月{which}{ZH_DAYS[code[-2:]]}")
        else:
            day = int(f.get("BYMONTHDAY", str(start.day)))
            said = f"every month on day {day}" if en else f"每月 {day} 日"
    limits = []
    if "BYHOUR" not in f:  # a cron rule's DTSTART is a fixed placeholder, not a start
        limits.append(f"from {start:%Y-%m-%d}" if en else f"{start:%Y-%m-%d} 起")
    if "UNTIL" in f:
        until = f"{f['UNTIL'][:4]}-{f['UNTIL'][4:6]}-{f['UNTIL'][6:8]}"
        limits.append(f"until {until}" if en else f"至 {until}")
    elif "COUNT" in f:
        limits.append(f"{f['COUNT']} times" if en else f"共 {f['COUNT']} 次")
    if not limits:
        return said + at
    return said + at + (" " + ", ".join(limits) if en else "（" + "，".join(limits) + "）")


def form_fields(text: str | None) -> dict[str, str]:
    """The console form's fields for a stored rule (what editing a post starts from):
    `at`, `every` ("" once, day, week, month), `weekdays` ("mon,thu") and `day`."""
    try:
        start, f = _fields(text or "")
    except ValueError:
        return {}
    if start is None:
        return {}
    once = f.get("COUNT") == "1" and f.get("FREQ") == "DAILY"
    every = "" if once else {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month"}.get(
        f.get("FREQ", ""), "")
    days = [EN_DAYS[d[-2:]][:3].lower() for d in f.get("BYDAY", "").split(",") if d]
    return {"at": f"{start:%H:%M}", "every": every, "weekdays": ",".join(days),
            "day": f"{start:%Y-%m-%d}"}
