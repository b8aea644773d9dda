"""Every word of the console's UI in Simplified Chinese (default) and English.

Templates call `t("key")`; a missing key shows the key itself so a gap is visible on the
page instead of breaking it (tests/web check the pages for raw keys).
"""

from __future__ import annotations

from qunyun.web.texts_accounts import ACCOUNT_TEXTS
from qunyun.web.texts_boards import BOARD_TEXTS
from qunyun.web.texts_calendar import CALENDAR_TEXTS
from qunyun.web.texts_growth import GROWTH_TEXTS
from qunyun.web.texts_volunteers import VOLUNTEER_TEXTS

LANGS = ("zh", "en")

TEXTS: dict[str, tuple[str, str]] = {
    "app": ("群运控制台", "qunyun console"),
    "password_rule": ("密码至少 {n} 个字符", "At least {n} characters"),
    "login": ("登录", "Sign in"),
    "logout": ("退出", "Sign out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "password_again": ("再输一次密码", "Password again"),
    "bad_login": ("用户名或密码不对", "Wrong username or password"),
    "locked": ("尝试次数过多，请 {minutes} 分钟后再试", "Too many attempts; try again in {minutes} minutes"),
    "setup_title": ("创建第一个所有者账号", "Create the first owner"),
    "setup_help": ("这个一次性链接只能用一次：创建后请用新账号登录。", "This one-time link works once: sign in with the new account afterwards."),
    "setup_bad": ("设置链接无效或已用过", "The setup link is invalid or already used"),
    "passwords_differ": ("两次密码不一致", "The passwords differ"),
    "create": ("创建", "Create"),
    "communities": ("社群", "Communities"),
    "community": ("社群", "Community"),
    "groups": ("群", "Groups"),
    "group": ("群", "Group"),
    "members": ("成员", "Members"),
    "member": ("成员", "Member"),
    "open_items": ("待处理", "Open items"),
    "plan": ("计划", "Plan"),
    "no_plan": ("未设置计划", "no plan"),
    "overview": ("概览", "Overview"),
    "queues": ("工作队列", "Work queues"),
    "audit": ("审计日志", "Audit log"),
    "operators": ("操作员", "Operators"),
    "no_communities": ("还没有可查看的社群。用 qunyun import 导入聊天记录，或用 qunyun demo 载入示例。", "No community to show yet. Import a chat export with qunyun import, or load the examples with qunyun demo."),
    "platform": ("平台", "Platform"),
    "current_members": ("当前成员", "Current members"),
    "ever_members": ("累计成员", "Members ever"),
    "health": ("健康度", "Health"),
    "stage": ("阶段", "Stage"),
    "dying": ("热寂预警", "Dying warning"),
    # A group that is only an imported export (walk finding 24): its trend is history.
    "dying_imported": ("导入的历史记录，没有机器人在运行这个群，不作预警",
                       "imported history: no bot runs this group, so no warning"),
    # Issue 11 walk13 #19/#35: the community beside its imported history is warned from
    # the groups a bot runs; a community that is only an export says its warning is history.
    "dying_live_only": ("只按有机器人在运行的群预警，导入的历史记录不计入",
                        "judged on the groups a bot runs; the imported history is left out"),
    "dying_history": ("导入的历史记录：", "imported history: "),
    "paren_open": ("（", " ("), "paren_close": ("）", ")"),
    "dying_short": ("有预警", "warning"),
    "member.unnamed": ("（无名账号）", "(no name)"),
    "room_kind.matrix": ("{platform} 房间", "{platform} room"),
    "room_kind.group": ("{platform} 群", "{platform} group"),
    "room_id.show": ("显示 ID", "show the ID"),
    "platform_imported": ("{platform} 导出", "{platform} export"),
    "active_ratio": ("活跃率", "Active ratio"),
    "messages": ("消息", "Messages"),
    "senders": ("发言人数", "Senders"),
    "joins": ("入群", "Joins"),
    "leaves": ("退群", "Leaves"),
    "active": ("活跃", "Active"),
    "report_loading": ("正在计算报告……", "Computing the report…"),
    "report_missing": ("分析模块尚未安装，图表暂不可用。", "Analytics are not available yet; charts are off."),
    "report_failed": ("报告计算失败，已记入日志；其他页面照常可用。", "Building the report failed (logged); the other pages still work."),
    "report_as_of": ("数据截至", "Data as of"),
    # Where a page shows the cached report beside live counts, each says which it is.
    "report_as_of_title": ("报告（截至 {as_of}）", "Report (as of {as_of})"),
    "report_as_of_short": ("报告截至 {as_of}", "report as of {as_of}"),
    # A community with no events has no report to date (issue 11 walk 22).
    "report_no_data": ("还没有数据", "no data yet"),
    # When the cached report was built, and that a newer one is coming (issue 11 walk 21).
    "report_built": ("生成于 {at}", "built {at}"),
    "report_updating": ("有新的消息，正在生成新的报告，生成后这里自动更新",
                        "New events arrived: a newer report is being built and will show here by itself"),
    "current_members_live": ("当前成员（实时）", "Current members (live)"),
    # People, one definition (analytics.activity.headcount; issue 11 walk findings 24, 34):
    # 累计 = 当前 + 已离开; joins and leaves are events, said in 次.
    "hc.current": ("当前成员", "Current members"),
    "hc.current_help": ("现在在群里的人：管理员也算，机器人自己不算。一个人在社群的任一个群里就算社群的成员，只算一次。",
                        "People in the group now: admins count, the bot itself does not. Someone in any of the community's groups is a member of the community, counted once."),
    "hc.left": ("已离开", "Left"),
    "hc.left_live": ("已离开（实时）", "Left (live)"),
    "hc.left_help": ("曾经在群里、现在不在的人（自己退群或被移出）；离开后又回来的人算在当前成员里。",
                     "People who were in the group and are not now (left or removed); someone who left and came back is a current member."),
    "hc.ever": ("累计成员", "Members ever"),
    "hc.ever_live": ("累计成员（实时）", "Members ever (live)"),
    "hc.ever_help": ("曾经在群里的所有人 = 当前成员 + 已离开；一个人只算一次，无论进出几次。",
                     "Everyone who was ever in the group = current members + left; each person once, however often they came and went."),
    "hc.active_ratio": ("活跃率（近30天）", "Active ratio (30 d)"),
    "hc.messages": ("消息（累计）", "Messages (all)"),
    "hc.messages_help": ("记录里的全部成员消息（导入的历史和机器人看到的），不含入群、退群等系统提示。",
                         "Every member message on record (imported history and what the bot saw), not counting join/leave notices."),
    "hc.senders": ("发言人数（累计）", "Senders (all)"),
    "hc.senders_help": ("记录里发过言的人，含已离开的人。", "People who ever wrote, including those who have left."),
    "hc.moves": ("入群 / 退群（次）", "Joins / leaves (times)"),
    "hc.moves_help": ("入群和退群的次数（累计），不是人数：同一个人退群后再回来算两次入群；被移出算一次退群。",
                      "How many times people joined and left (all time), not how many people: someone who comes back joins twice; a removal is a leave."),
    "hc.note": ("当前成员 + 已离开 = 累计成员（都是人数）；入群 / 退群是次数，一个人进出几次就算几次。鼠标停在表头上看每一项的算法。",
                "Current members + left = members ever (people); joins / leaves are times, counted each time someone comes or goes. Hover a heading for how each is counted."),
    "trend": ("趋势（每日）", "Trend (daily)"),
    "heatmap": ("星期 × 小时 热力图", "Weekday × hour heatmap"),
    # A young community's trend is one point: said in words instead (issue 11 walk finding 34).
    "trend_short": ("数据还不够画趋势：已有 {n} 天（{date}：消息 {messages} 条，发言 {active} 人，入群 {joins} 次，退群 {leaves} 次）。有两天以上的记录后，这里画出每日走势。",
                    "Not enough data for a trend yet: {n} day so far ({date}: {messages} messages, {active} senders, {joins} joins, {leaves} leaves). The daily trend is drawn once there are two days or more."),
    # The trend's second line is that day's senders (departed members included), not the
    # 活跃率's current members: its name says so.
    "trend_active": ("当天发言人数", "Senders that day"),
    "trend_none": ("还没有记录，画不出趋势。", "Nothing on record yet: no trend to draw."),
    "cohorts": ("入群周留存", "Retention by join week"),
    "colon": ("：", ": "),  # between a label and its value
    "tiers": ("分层", "Tiers"),
    "points.imported_note": ("导入的聊天记录（{n} 条消息）不计积分：积分只由在线的机器人按计划里的积分规则累积，从机器人接入这个群开始计算。成长分层和活跃度仍按全部记录计算。",
                             "Imported history ({n} messages) earns no points: points are awarded only by the live bot, under the plan's points rules, from when it joined the group. Tiers and activity still count the whole history."),
    "tiers_note": ("现有成员 {members} 人：近 {days} 天发过言的 {spoke} 人（参与者及以上），旁观者 {silent} 人{staff}。活跃率 {ratio} 是近 30 天发过言的现有成员占现有成员的比例。",
                   "{members} current members: {spoke} wrote in the last {days} days (participants and up), {silent} onlookers{staff}. The active ratio {ratio} is the share of current members who wrote in the last 30 days."),
    # The tier chart leaves admins out: the note says how many, so its people add up to 当前成员.
    "tiers_note_staff": ("，另有管理员 {n} 人不参与分层（不在图里）", "; {n} admins are not tiered (not in the chart)"),
    "active_ratio_help": ("近 30 天发过言的现有成员 / 现有成员", "current members who wrote in the last 30 days / current members"),
    "whole_community": ("全社群（所有群合计）", "Whole community (all groups)"),
    "joins_leaves": ("入群与退群", "Joins and leaves"),
    "search": ("搜索", "Search"),
    "search_members": ("按昵称或平台 ID 搜索", "Search by nickname or platform id"),
    "first_seen": ("首次出现", "First seen"),
    # The member list (issue 11 walk finding 27): current members by default, the departed
    # on their own filter, and every number says its window.
    "ml.whole_community": ("← 全社群的成员", "← the whole community's members"),
    "ml.group_numbers": ("这里列出这个群的人；分层和消息数是这个人在全社群的。", " Listed: this group's people; tiers and message counts are each person's in the whole community."),
    "ml.group_list": ("查看这个群的成员名单", "This group's member list"),
    "ml.tab.current": ("当前成员", "Current members"),
    "ml.tab.departed": ("已离开", "Left"),
    "ml.tab.all": ("全部", "All"),
    "ml.help.current": ("现在在社群任一个群里的人（管理员也算，机器人自己不算）", "People in any of the community's groups now (admins count, the bot itself does not)"),
    "ml.help.departed": ("曾经在群里、现在不在任何一个群里的人", "People who were in a group and are in none now"),
    "ml.help.all": ("当前成员 + 已离开", "Current members + left"),
    "ml.total.current": ("当前成员 {n} 人", "{n} current members"),
    "ml.total.departed": ("已离开 {n} 人", "{n} who left"),
    "ml.total.all": ("累计 {n} 人", "{n} ever"),
    "ml.empty.current": ("没有找到当前成员。", "No current member found."),
    "ml.empty.departed": ("没有人离开过，或没有符合搜索的人。", "Nobody has left, or nobody matches the search."),
    "ml.empty.all": ("没有找到成员。", "No member found."),
    "ml.no_tier_help": ("分层只给当前成员", "only current members are tiered"),
    "ml.departed": ("已退群", "left"),
    "ml.departed_on": ("已退群 {when}", "left {when}"),
    "ml.tier": ("分层（近{days}天）", "Tier ({days} days)"),
    "ml.tier_help": ("按近 {days} 天的发言评定", "judged on the last {days} days' messages"),
    "ml.window_messages": ("近{days}天消息", "Messages ({days} days)"),
    "ml.window_help": ("近 {days} 天发的消息：分层看的就是这个数", "messages in the last {days} days: what the tier is judged on"),
    "ml.all_messages": ("消息（累计）", "Messages (all time)"),
    "ml.all_help": ("记录里这个人发过的全部消息，含导入的历史", "every message of theirs on record, imported history included"),
    "ml.windows": ("分层和「近{days}天消息」看近 {days} 天；「消息（累计）」是全部记录。所以累计很多、近期没有发言的人是旁观者并不矛盾。",
                   "The tier and “Messages ({days} days)” look at the last {days} days; “Messages (all time)” is the whole record, so someone with many messages in all and none lately is an onlooker."),
    "last_seen": ("最近出现", "Last seen"),
    # Tiers go by messages: beside 「近30天没有发言」 the last message is the date that
    # explains it, the last sign of any kind (a reaction) is not (issue 11 #45).
    "last_seen_help": ("任何动静：发言、回应、进群等", "any activity: a message, a reaction, a join"),
    "last_message": ("最后发言", "Last message"),
    "identities": ("平台身份", "Identities"),
    "nicknames": ("昵称历史", "Nickname history"),
    "attributes": ("属性（昵称/问卷）", "Attributes (nickname/form)"),
    "attribute.from_form": ("问卷回答", "form answer"),
    "attribute.from_nickname": ("来自昵称", "from the nickname"),
    "nickname.first": ("首次记录", "first seen"),
    "tier": ("分层", "Tier"),
    "tier_reason": ("分层依据", "Why this tier"),
    "points": ("积分", "Points"),
    "participation": ("参与分", "Participation"),
    "contribution": ("贡献分", "Contribution"),
    "level": ("等级", "Level"),
    "ledger": ("积分流水", "Points ledger"),
    "warnings": ("警告", "Warnings"),
    "actions_taken": ("处理记录", "Actions taken"),
    "onboarding": ("新人任务", "Onboarding"),
    "invited_by": ("邀请人", "Invited by"),
    "invited": ("邀请的人", "Invited"),
    "recent_events": ("最近动态", "Recent activity"),
    "none": ("无", "none"),
    # A community's slug, shown for the command line (`qunyun report --community …`).
    "slug": ("命令行标识", "command-line id"),
    "slug.help": ("在命令行（qunyun report、rehearse 等）里用这个标识指代本社群",
                  "Names this community on the command line (qunyun report, rehearse …)"),
    "queue.todo": ("分层待办", "Tier to-dos"),
    "queue.suspect": ("疑似假号", "Fake-account suspects"),
    "queue.elimination": ("淘汰候选", "Elimination candidates"),
    "queue.appeal": ("申诉", "Appeals"),
    "queue.escalation": ("升级处理", "Escalations"),
    # R2/R3/O2 (issue 11): DMs the platform would not deliver
    "queue.dm_todo": ("待发私信", "DMs to send by hand"),
    "queue.removal_todo": ("待你亲自移出", "Removals to do by hand"),
    "queue_empty.removal_todo": ("批准淘汰一位机器人联系不到的成员（例如导入的 Telegram 历史里的人）时，会在这里留下待办：请在 ta 所在的平台里亲自把 ta 移出，完成后点「完成」。", "When you approve removing a member no bot can reach (someone in an imported Telegram history, say), a to-do appears here: remove them on their platform yourself, then press Done."),
    "queue_empty.dm_todo": ("机器人的私信被平台拒绝（对方没有点“开始”、屏蔽了机器人、不是好友等）时，会在这里留下待办：写明发给谁、为什么没送达，附上可直接复制的内容。", "When a platform refuses one of the bot's DMs (the member never started the bot, blocked it, is not a friend…), a to-do appears here naming the member, saying why, with the text ready to copy."),
    "dm_todo.copy_text": ("请私下联系 ta，把以下内容发给 ta：", "Reach them yourself and send them this:"),
    "status": ("状态", "Status"),
    "status.open": ("待处理", "open"),
    "status.done": ("已完成", "done"),
    "status.dismissed": ("已驳回", "dismissed"),
    "status.exempted": ("已豁免", "exempted"),
    "status.approved": ("已批准", "approved"),
    "all": ("全部", "all"),
    "reason": ("理由", "Reason"),
    "evidence": ("证据", "Evidence"),
    "title": ("事项", "Item"),
    "act": ("处理", "Act"),
    "act.done": ("完成", "Done"),
    "act.dismissed": ("驳回", "Dismiss"),
    "act.exempted": ("豁免", "Exempt"),
    "act.approved": ("批准", "Approve"),
    "act.open": ("重新打开", "Reopen"),
    "act_help.elimination": ("「批准」只记下你同意移出：报告列出的候选不会被机器人移出（由机器人"
                             "淘汰巡检开出的事项才会）；「豁免」：保留 ta，事项关闭。",
                             "Approve only records that you agree to the removal: the bot "
                             "does not remove a candidate the report listed (only items its "
                             "own elimination sweep opened); Exempt keeps them and closes it."),
    "act_help.elimination_sweep": ("「批准」：通知期满后机器人先私信告诉 ta 原因和回群办法，再移出群；"
                                   "「豁免」：保留 ta，不再移出。",
                                   "Approve: when the notice period is over the bot tells "
                                   "them by DM why and how to come back, then removes them; "
                                   "Exempt: they stay."),
    "act_help.suspect": ("三个按钮都只记下你的判断，不会移出或改动这个账号：「完成」你已处理"
                         "（例如核实后亲自移出）；「豁免」确认没问题、保留 ta；「驳回」判断有误。",
                         "All three only record your judgement; none removes or changes the "
                         "account: Done — you dealt with it (e.g. removed them yourself); "
                         "Exempt — they are fine, keep them; Dismiss — a false alarm."),
    "act_help.escalation": ("「以机器人身份回复」：把上面的回复发给成员并完成事项；「完成」：你已在别处回复或处理"
                            "（这个按钮不会替你发消息）；「驳回」：不需要处理。",
                            "Reply as the bot: sends the reply above and closes the item; "
                            "Done: you replied or dealt with it elsewhere (this button sends "
                            "nothing); Dismiss: nothing to do."),
    "reply.label": ("回复成员（可修改；会作为机器人对 ta 那条消息的回复发出，并记入审计日志）：",
                    "Reply to the member (edit freely; sent as the bot's reply to their "
                    "message, and kept in the audit log):"),
    "reply.send": ("以机器人身份回复", "Reply as the bot"),
    "reply.queued": ("回复已排队，由机器人发出；事项已标为完成。", "The reply is queued; the bot sends it. "
                     "The item is marked done."),
    "appeal.reason_needed": ("驳回申诉要写明理由：机器人会把理由私信告诉成员。请在「理由」里写好再按驳回。",
                             "A rejection needs a reason: the bot tells the member why. Write "
                             "it under Reason, then reject."),
    "reply.error": ("没有发出：{why}", "Not sent: {why}"),
    "reply.error.decided": ("这条事项已经处理过了", "this item was already decided"),
    "reply.error.empty": ("回复内容是空的，请写好要发给成员的话", "the reply is empty"),
    "reply.error.fill_in": ("回复里还有【请…】提示：先把它换成你的回答，再发送",
                            "the reply still holds the draft's 【请…】 note: replace it "
                            "with your answer first"),
    "reply.fill_in_note": ("草稿里【…】括起来的是给你的提示，不是发给成员的话：换成你的回答后才能发送。",
                           "The part in 【…】 is a note for you, not for the member: "
                           "replace it with your answer before sending."),
    "reply.error.long": ("回复太长了，最多 2000 字", "the reply is too long (2,000 characters at most)"),
    "reply.error.no_message": ("这条事项没有记下成员的原消息，机器人无法回复它：请在群里亲自回复",
                               "this item has no record of the member's message, so the bot "
                               "cannot reply to it: reply in the group yourself"),
    "reply.error.no_bot": ("这个群所在的平台没有连接机器人账号，机器人发不了：请在群里亲自回复",
                           "no bot account is connected on this group's platform: reply in "
                           "the group yourself"),
    "queue.group_invite": ("新群待确认", "New groups to confirm"),
    "queue_empty.group_invite": ("不是管理员的人把机器人拉进自己的群时，邀请会在这里等你确认：批准后机器人加入，"
                                 "那个群成为社群的群；驳回则拒绝邀请。管理员（计划里的管理员或社群群里的版主）"
                                 "邀请的群，机器人直接加入。",
                                 "When someone who is not an admin invites the bot into their "
                                 "own room, the invitation waits here: approve and the bot "
                                 "joins, the room becomes one of the community's groups; "
                                 "dismiss and the invitation is declined. Rooms an admin (the "
                                 "plan's admins or a community room's moderators) invites it "
                                 "to are joined at once."),
    "act_help.group_invite": ("「批准」：机器人加入这个群，它成为社群的群（欢迎新人、群规、日历帖、统计都会算上它）；"
                              "「驳回」：机器人拒绝邀请，不加入。",
                              "Approve: the bot joins and the room becomes one of the "
                              "community's groups (welcome, rules, calendar posts, figures); "
                              "Dismiss: the bot declines the invitation."),
    "reach.removal_before": ("这位成员在 {platform}，那里没有连接机器人账号：机器人联系不到 ta，"
                             "也不能把 ta 移出群。批准后会生成一条待办，请在 {platform} 里亲自处理。",
                             "This member is on {platform}, where no bot account is "
                             "connected: the bot can neither reach nor remove them. "
                             "Approving opens a to-do for you to do it on {platform} "
                             "yourself."),
    "reach.removal_after": ("已批准，但机器人联系不到这位成员（在 {platform}）：已转为待办"
                            "（工作队列「待你亲自移出」），请在 {platform} 里亲自移出。",
                            "Approved, but no bot can reach this member (on {platform}): it "
                            "is now a to-do; remove them on {platform} yourself."),
    "reach.removal_before_many": ("以下 {n} 位成员在 {platform}，那里没有连接机器人账号：机器人联系不到他们，"
                                  "也不能把他们移出群。批准后每人生成一条待办，请在 {platform} 里亲自处理。",
                                  "{n} members below are on {platform}, where no bot account "
                                  "is connected: the bot can neither reach nor remove them. "
                                  "Approving opens a to-do for each, for you to do on "
                                  "{platform} yourself."),
    "reach.removal_before_page": ("本页列出的 {n} 位成员在 {platform}，那里没有连接机器人账号：机器人联系不到他们，"
                                  "也不能把他们移出群。批准后每人生成一条待办，请在 {platform} 里亲自处理。",
                                  "The {n} members listed on this page are on {platform}, where "
                                  "no bot account is connected: the bot can neither reach nor "
                                  "remove them. Approving opens a to-do for each, for you to do "
                                  "on {platform} yourself."),
    "reach.row": ("在 {platform}：机器人联系不到、不能移出", "on {platform}: the bot cannot reach or remove them"),
    "queue.help": ("按钮的作用", "What the buttons do"),
    "suspect.more_than_report": ("报告（数据截至 {as_of}）列出 {n} 个；多出来的是机器人在那之后从群里的消息发现的，"
                                 "或更早的报告列出、还没处理的。",
                                 "The report (data as of {as_of}) lists {n}; the others the "
                                 "bot found in the groups' messages since, or an earlier "
                                 "report listed and nobody has decided yet."),
    "already.removed": ("已移出（{when}，{why}）", "already removed ({when}, {why})"),
    "already.back_appeal": ("申诉已通过（{when}），{n} 次警告已撤销，已邀请回群",
                            "appeal upheld ({when}), {n} warnings withdrawn, invited back"),
    "already.back": ("已回群（{when}）", "back in the group ({when})"),
    "already.withdrawn": ("申诉已通过，{n} 次警告已撤销", "appeal upheld, {n} warnings withdrawn"),
    "already.title": ("已经发生的事", "Already happened"),
    "already.appeal_removal": ("申诉的是这次移出：{when} 被机器人移出（{why}）",
                               "It appeals this removal: removed by the bot {when} ({why})"),
    "reach.removal_kept": ("这位成员在 {platform}，机器人联系不到 ta。",
                           "This member is on {platform}, where no bot can reach them."),
    "resolved_by": ("处理人", "Resolved by"),
    "queue_empty": ("这个队列是空的", "This queue is empty"),
    "refresh_queues": ("从报告刷新队列", "Refresh queues from the report"),
    "refreshed": ("已刷新：新开 {n} 项", "Refreshed: {n} new items"),
    "read_only": ("只读账号：不能操作", "Read-only account: no actions"),
    "when": ("时间", "When"),
    "actor": ("执行者", "Actor"),
    "action": ("动作", "Action"),
    "filter": ("筛选", "Filter"),
    "older": ("更早", "Older"),
    "plan_editor": ("计划编辑器", "Plan editor"),
    "save_check": ("检查并保存", "Check and save"),
    "check_only": ("只检查", "Check only"),
    "findings": ("检查结果", "Findings"),
    "plan_ready": ("计划可以上线", "The plan is ready to launch"),
    "plan_saved": ("已保存", "Saved"),
    "plan_not_saved": ("计划无法载入，未保存", "The plan does not load; not saved"),
    "line": ("第 {n} 行", "line {n}"),
    "advice": ("建议", "advice"),
    "error": ("问题", "error"),
    "rules_preview": ("群规预览", "Rules preview"),
    "welcome_preview": ("新人公告预览", "Welcome preview"),
    "revision_due": ("群规季度回顾提醒", "Quarterly rules review"),
    "forbidden": ("没有权限", "Not allowed"),
    "forbidden_help": ("你的账号没有做这件事的权限。", "Your account may not do this."),
    "not_found": ("找不到", "Not found"),
    "bad_csrf": ("表单已过期，请刷新页面再试", "The form expired; reload the page and try again"),
    "role": ("角色", "Role"),
    "role.owner": ("所有者", "owner"),
    "role.admin": ("管理员", "admin"),
    "role.volunteer": ("志愿者", "volunteer"),
    "role.viewer": ("只读", "viewer"),
    "scope": ("范围", "Scope"),
    "all_communities": ("全部社群", "all communities"),
    "add_operator": ("添加操作员", "Add operator"),
    "signed_in_as": ("当前账号", "Signed in as"),
    "language": ("English", "中文"),
    "prev": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "total": ("共 {n} 人", "{n} in all"),
    "kind": ("类型", "Kind"),
    "text": ("内容", "Text"),
    "step.welcomed": ("已欢迎", "welcomed"),
    "step.nickname": ("改昵称", "nickname"),
    "step.intro": ("自我介绍", "intro"),
    "step.form": ("填表", "form"),
    "step.completed": ("已完成", "completed"),
    # A step not done yet says so in words (walk12 #67: a grey "·" read like the others).
    "step.pending": ("（未完成）", " (not done)"),
    "step.returning": ("回群成员，不走新人流程", "a returning member: no newcomer steps"),
    # A stay that ended (before a return, or the member left): its steps said as of then,
    # never as pending now (issue 11 walk13).
    "step.earlier": ("上次入群", "Earlier stay, joined"),
    "step.earlier_colon": ("：", ": "),
    "step.not_done_then": ("当时未完成：", "not done then: "),
    "list_sep": ("、", ", "),
    "deadline": ("截止", "Deadline"),
    "expires": ("失效", "Expires"),
    "warning.live": ("有效至", "in force until"),
    "warning.expired": ("已失效", "expired"),
    "warning.revoked": ("已撤销", "withdrawn"),
    "warning.revoked_by": ("撤销人", "by"),
    "warning.settled": ("已计入移出", "counted in the removal"),
    "stay.join": ("入群", "joined"),
    "stay.rejoin": ("重新入群", "rejoined"),
    "stay.leave": ("退群", "left"),
    "stay.removed": ("被移出", "removed"),
    "rule": ("规则", "Rule"),
    # Seed 002's lifecycle stages: the report names them in Chinese; English here.
    "stage.gathered": ("聚集", "gathered"),
    "stage.talking": ("强烈沟通", "talking"),
    "stage.common_goal": ("共同目标", "common goal"),
    "stage.innovating": ("不断创新", "innovating"),
    "stage.roles": ("分工和管理", "roles and management"),
    "stage.declining": ("热寂", "declining"),
    "kind.message": ("发言", "message"),
    "kind.direct_message": ("私聊机器人", "message to the bot"),
    "kind.join": ("入群", "joined"),
    "kind.leave": ("退群", "left"),
    "kind.removed_bot": ("被机器人移出", "removed by the bot"),
    "kind.removed_admin": ("被管理员移出", "removed by an admin"),
    "kind.nickname": ("改昵称", "nickname"),
    "kind.reaction": ("表情回应", "reaction"),
    "kind.recall": ("撤回", "recall"),
    "kind.mute": ("禁言", "muted"),
    "kind.group_mute": ("全员禁言", "whole-group mute"),
    # QQ 全员禁言 on the group page (issue 16)
    "group_mutes": ("全员禁言记录", "Whole-group mutes"),
    "group_mute_on": ("{by} 开启了全员禁言（只有管理员能发言）", "{by} muted the whole group (only admins may post)"),
    "group_mute_off": ("{by} 解除了全员禁言", "{by} lifted the whole-group mute"),
    "group_mute_someone": ("管理员", "An admin"),
    "group_mute_did": ("开启了全员禁言", "muted the whole group"),
    "group_mute_undid": ("解除了全员禁言", "lifted the whole-group mute"),
    "kind.redpacket": ("抢红包", "red packet"),
    "kind.command": ("命令", "command"),
    "kind.timer": ("定时", "timer"),
    # issue 13: sign-in delays, sessions, error pages
    "slow_down": ("尝试次数过多，请 {seconds} 秒后再试", "Too many attempts; try again in {seconds} seconds"),
    "bad_request": ("请求有误", "Bad request"),
    "bad_request_help": ("地址或表单里的参数不对（例如数字超出范围），没有做任何更改。", "A value in the address or the form is not valid (a number out of range, for example); nothing was changed."),
    "request_rejected": ("提交的内容太大或格式不对，没有做任何更改。", "What was sent is too large or malformed; nothing was changed."),
    "db_down": ("数据库暂时无法连接", "The database cannot be reached"),
    "db_down_help": ("请稍后刷新；数据库恢复后页面会自动恢复。", "Reload in a moment; the console works again as soon as the database is back."),
    "server_error": ("出错了", "Something went wrong"),
    "server_error_help": ("这个页面出错了，已记入日志。", "This page failed; the error is in the log."),
    "active_sessions": ("活跃会话", "Active sessions"),
    "no_sessions": ("没有活跃会话", "no active sessions"),
    "signed_in_at": ("登录于", "Signed in"),
    "session_seen": ("最近使用", "Last used"),
    "address": ("地址", "Address"),
    "browser": ("浏览器", "Browser"),
    "end_session": ("结束会话", "End session"),
    "end_all_sessions": ("结束全部会话", "End all sessions"),
    "change_role": ("修改角色", "Change role"),
    "remove_operator": ("删除账号", "Remove account"),
    "disabled": ("已停用", "disabled"),
    # E1/E2 (issue 14): elimination cases and revivals
    "queue.revival": ("复活申请", "Revival applications"),
    "queue.join_request": ("入群申请", "Join requests"),
    "queue_empty.join_request": ("计划没有说怎样审核的入群申请（Telegram、QQ）会出现在这里；批准或拒绝后机器人替你回复，拒绝理由会告诉申请人。", "Join requests (Telegram, QQ) the plan does not say how to decide appear here; approve or reject and the bot answers, telling the applicant your reason."),
    "lifecycle": ("淘汰与复活", "Removal and revival"),
    "case.noticed": ("已提醒，等待处理", "noticed, pending"),
    "case.removed": ("已移出", "removed"),
    "case.cancelled": ("已取消（恢复活跃）", "cancelled (active again)"),
    "case.exempted": ("已豁免", "exempted"),
    "case.revived": ("已复活（邀请回群）", "revived: invited back"),
    "case.revived_appeal": ("申诉通过，已邀请回群", "appeal upheld: invited back"),
    "case.why": ("原因：", "why: "),
    "case.remove_after": ("最早移出", "removable from"),
    "case.revived_at": ("邀请回群", "invited back"),
    # How a revived member came back (lifecycle_cases.revived_how, E2).
    "case.how.task": ("完成复活任务", "handed in the revival task"),
    "case.how.referrals": ("邀请人数达标", "brought enough members"),
    "case.how.approved": ("申请获批", "application approved"),
    "case.how.appeal": ("申诉通过", "appeal upheld"),
    "revival.file": ("代为提交复活申请", "File a revival application"),
    "revival.file_text": ("申请说明（如：已补交学费、已完成任务）",
                          "What they did (paid, did the task…)"),
    "revival.filed": ("已提交，见工作队列「复活申请」；批准后机器人邀请其回群。",
                      "Filed: see the revival queue; once approved, the bot invites them back."),
    "revival.none": ("该成员没有被移出，不需要复活申请。", "This member was not removed."),
    # issue 11 (console-ux): raw records one click away, plan source, empty queues.
    "raw_data": ("原始记录", "Raw record"),
    "actor_hint": ("操作员用户名，或“机器人”", "an operator's username, or “bot”"),
    "member_hint": ("成员名字（部分即可）", "a member's name (part of it will do)"),
    "member_none": ("没有名字里含“{name}”的成员", "no member's name contains “{name}”"),
    "plan_source": ("运行中的计划来自", "The running plan came from"),
    "plan_source.file": ("文件 {origin}（{when} 导入）", "the file {origin} (imported {when})"),
    "plan_source.console": ("控制台，由 {origin} 于 {when} 保存", "the console, saved by {origin} at {when}"),
    "plan_source.unknown": ("数据库（来源未记录）", "the database (source not recorded)"),
    "plan_bot.running": ("机器人 {when} 启动时按此版本运行", "the bot started with this version at {when}"),
    "plan_bot.reloaded": ("机器人已于 {when} 载入此版本", "the bot loaded this version at {when}"),
    "plan_bot.refused": ("机器人于 {when} 拒绝载入：{reason}", "the bot refused it at {when}: {reason}"),
    "plan_bot.stale": ("机器人还在运行上一个版本（未运行时，启动后会按此版本运行）", "the bot still runs the previous version (if it is not running, it starts with this one)"),
    "plan_bot.none": ("机器人尚未运行过", "the bot has not run yet"),
    "plan_bot_note": ("保存后，运行中的机器人几秒内自动载入（只载入可以上线的计划）。", "A saved plan reaches the running bot within seconds (only a plan that is ready to launch)."),
    "plan_template": ("这个社群还没有计划：下面是一份起步模板，改好后“检查并保存”。", "This community has no plan yet: below is a starting template; edit it, then Check and save."),
    "queue_empty.open": ("没有待处理的事项。", "Nothing open."),
    "queue_empty.report": ("报告（数据截至 {as_of}）里没有这类事项；报告每次重算后会自动打开新的事项。", "The report (data as of {as_of}) has none; each new report opens its items here by itself."),
    "queue_empty.building": ("报告正在计算，完成后这里会自动填入。", "The report is being computed; its items will appear here."),
    "queue_empty.no_analytics": ("分析模块未安装，所以没有来自报告的事项。", "Analytics are not installed, so there are no items from the report."),
    "queue_empty.no_rule": ("计划没有设定淘汰规则（多少天不发言算淘汰候选），所以没有淘汰候选。", "The plan sets no elimination rule (how many silent days make a candidate), so there are no candidates."),
    "queue_empty.appeal": ("被警告或被移出的成员私信机器人发 !申诉 说明 后，申诉会出现在这里；通过会撤销警告并请 ta 回群。", "Appeals appear here when a warned or removed member sends !申诉 with an explanation to the bot in a DM; upholding one withdraws the warnings and invites them back."),
    # Where each queue's items come from, said when it is empty (issue 11 #56).
    "queue_empty.revival": ("被移出的成员私信机器人发 !复活 说明，或你在成员页替 ta 提交复活申请后，申请会出现在这里；批准后机器人会请 ta 回群。", "Revival applications appear here when a removed member sends !复活 to the bot in a DM, or you file one from the member's page; approving one has the bot invite them back."),
    "queue_empty.post_todo": ("机器人在某个群不能自己发的日历内容（平台不允许或没有机器人账号），到点时会在这里留给群主手动发布，附上原文。", "Calendar posts the bot cannot send itself in a group (the platform does not allow it, or no bot account there) wait here for the owner, with the text, when they are due."),
    "queue_empty.group_todo": ("某个群满员、需要新开群时，机器人会在这里提醒群主开新群。", "When a group is full and a new one is needed, the bot asks the owner here to open it."),
    "queue_from.todo": ("分层待办来自每日报告：按成员所在的层给出的运营动作。", "Tier to-dos come from the daily report: actions for each tier's members."),
    "queue_from.suspect": ("疑似假号来自每日报告：从不发言、与多个账号同日发相同内容等迹象。", "Fake-account suspects come from the daily report: never speaking, the same text as several accounts on one day, and other signs."),
    "queue_from.elimination": ("淘汰候选来自每日报告：按计划的淘汰规则（例如多少天不发言）找出的成员。", "Elimination candidates come from the daily report: members the plan's elimination rule (e.g. days without a message) picks out."),
    "queue_empty.escalation": ("有人@管理员、问到常见问题答不了的问题或争吵升温时，机器人会在这里开事项。", "The bot opens items here when someone mentions an admin, asks what the FAQ cannot answer, or an exchange gets heated."),
    "queue_empty.status": ("没有“{status}”的事项。", "No items that are {status}."),
    "account_created": ("账号 {name} 已创建，请用它登录。", "The account {name} was created; sign in with it."),
    "health_components": ("健康度构成", "What the health score is made of"),
    "stage_now": ("按近4周判断", "judged on the last 4 weeks"),
    "lang_code": ("zh", "en"),
    "finding.schema": ("格式", "format"),
    "finding.yaml": ("YAML", "YAML"),
    "finding.file": ("文件", "file"),
    "no_groups": ("这个社群还没有群、也没有任何记录：机器人加入群，或用 qunyun import 导入聊天记录后，这里会显示健康度和图表。", "This community has no group and no events yet: once the bot joins a group, or a chat export is imported with qunyun import, its health and charts show here."),
    # A5 events, H3 what drove activity (issue 14)
    "activities": ("活动", "Events"),
    "activity.name": ("活动", "Event"),
    "activity.expected": ("预期", "Expected"),
    "activity.registered": ("报名", "Registered"),
    "activity.waitlisted": ("候补", "Waiting"),
    "activity.checked_in": ("签到", "Checked in"),
    "activity.walk_ins": ("未报名到场", "Walk-ins"),
    "activity.rating": ("评分", "Rating"),
    "activity.feedback": ("反馈", "Feedback"),
    "activity.none": ("计划里还没有活动：在「计划」页的活动一节里添加", "No events in the plan yet: add them in the plan's events section"),
    "activity.upcoming": ("即将开始", "Upcoming"),
    "activity.past": ("已结束的活动", "Past events"),
    "activity.not_held": ("没有举办", "not held"),
    "activity.not_held_short": ("当时没有机器人在运行这份计划，没有报名和签到记录",
                                "no bot was running the plan then: no sign-ups or check-ins"),
    "activity.not_held_help": ("计划里的这一天已经过去，但当时没有机器人在运行这份计划（机器人启动或计划保存之前），没有报名和签到的记录——不是没人来。",
                               "This date of the plan passed while no bot was running the plan "
                               "(before the bot started or the plan was stored): no sign-ups or "
                               "check-ins were taken — not an event nobody came to."),
    "activity.none_upcoming": ("没有即将开始的活动：在「计划」页的活动一节里添加", "No upcoming events: add one in the plan's events section"),
    "activity.none_past": ("还没有结束的活动", "No past events yet"),
    "activity.top": ("近 7 天最带动活跃的内容", "What drove activity, last 7 days"),
    "activity.content": ("内容", "Content"),
    "activity.after": ("之后 3 小时消息", "Messages in the 3 hours after"),
    "activity.baseline": ("平时同时段", "Same hours, usual"),
    "activity.reactions": ("表情回应", "Reactions"),
    "activity.active": ("参与人数", "Members who wrote"),
}

TEXTS.update(CALENDAR_TEXTS)  # A1 calendar page (texts_calendar.py)
TEXTS.update(GROWTH_TEXTS)  # T1 held tiers on the member page (texts_growth.py)
TEXTS.update(BOARD_TEXTS)  # T3 leaderboards page and grant form (texts_boards.py)
TEXTS.update(ACCOUNT_TEXTS)  # I1 bot accounts on the home page (texts_accounts.py)
TEXTS.update(VOLUNTEER_TEXTS)  # T4 volunteers and T5 core users (texts_volunteers.py)


def translate(key: str, lang: str, **values: object) -> str:
    pair = TEXTS.get(key)
    text = key if pair is None else (pair[1] if lang == "en" else pair[0])
    return text.format(**values) if values else text
