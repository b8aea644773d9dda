"""The leaderboards page's and the grant form's words (T3), merged by `texts.py`."""

from __future__ import annotations

BOARD_TEXTS: dict[str, tuple[str, str]] = {
    "boards": ("排行榜", "Leaderboards"),
    "boards.period.week": ("本周", "This week"),
    "boards.period.month": ("本月", "This month"),
    "boards.period.season": ("本赛季", "This season"),
    "boards.period.all": ("总榜", "All time"),
    "boards.board.total": ("总积分", "Total"),
    "boards.board.participation": ("参与榜", "Participation"),
    "boards.board.contribution": ("贡献榜", "Contribution"),
    "boards.by_period": ("时段", "Period"),
    "boards.by_board": ("榜单", "Board"),
    "boards.running": ("进行中", "running"),
    "boards.rank": ("名次", "Rank"),
    "boards.member": ("成员", "Member"),
    "boards.points": ("本榜积分", "Points"),
    "boards.span": ("统计时段：{start} — {end}", "Period: {start} – {end}"),
    "boards.span_open": ("统计时段：{start} 起", "Period: from {start}"),
    "boards.all_time": ("统计时段：全部时间（含长期不活跃衰减）",
                        "Period: all time (after inactivity decay)"),
    "boards.empty": ("这个时段的榜上还没有人得分。积分由运行中的机器人实时记下（发言、打卡、交作业、"
                     "管理员 !加分）；导入的历史聊天记录不计分，所以机器人接入之前榜是空的。",
                     "Nobody has points on this board for this period yet. Points are recorded "
                     "by the running bot (messages, check-ins, homework, admins' !加分); an "
                     "imported chat history earns none, so boards stay empty until the bot runs."),
    "boards.no_season": ("没有进行中的赛季：在计划里加上 seasons（例如每 4 周一季），或第一季还没开始。",
                         "No season is running: add seasons to the plan (e.g. every 4 weeks), "
                         "or the first season has not started yet."),
    "boards.seasons": ("赛季", "Seasons"),
    "boards.season_dates": ("{start} — {end}", "{start} – {end}"),
    "boards.season_open": ("{start} 起", "from {start}"),
    "boards.help": ("名次为并列排名：同分同名次，下一名次紧接着加一。管理员不参与排行。"
                    "群里发送 !排行 周 / 月 / 赛季 / 总 查看同样的榜单。",
                    "Ranks are dense: equal points share a rank and the next rank is one more. "
                    "Admins are not ranked. In the group, !排行 周 / 月 / 赛季 / 总 shows the "
                    "same boards."),
    "grant.title": ("加分 / 减分", "Grant or deduct points"),
    "grant.grant": ("加分", "Grant"),
    "grant.deduct": ("减分", "Deduct"),
    "grant.points": ("分数", "Points"),
    "grant.reason": ("原因（记入积分流水和操作日志）", "Reason (kept in the points history and audit log)"),
    "grant.ledger": ("计入", "Ledger"),
    "grant.submit": ("确定", "Apply"),
    "grant.done": ("已记录，并写入操作日志。", "Done, and recorded in the audit log."),
    "grant.told": ("机器人会在「{group}」告诉 ta。", "The bot tells them in “{group}”."),
    "grant.told_level": ("机器人会在「{group}」告诉 ta，并祝贺 ta 升到「{level}」。",
                         "The bot tells them in “{group}” and congratulates them on reaching "
                         "“{level}”."),
    "grant.untold.no_group": ("ta 现在不在任何群里：没有通知 ta。",
                              "They are in no group now: nobody told them."),
    "grant.untold.platform": ("ta 在 {platform}，机器人联系不到：没有通知 ta。",
                              "They are on {platform}, where no bot of the community runs: "
                              "nobody told them."),
    "grant.note": ("说明", "Note"),
}
