"""The volunteers (T4) and core users (T5) pages' words, merged into `texts.TEXTS`."""

from __future__ import annotations

VOLUNTEER_TEXTS: dict[str, tuple[str, str]] = {
    "volunteers": ("志愿者", "Volunteers"),
    "core": ("核心用户", "Core users"),
    "vol.none_plan": ("计划里还没有志愿者部分（volunteers）：在「计划」页加上目标人数和分工后，"
                      "机器人每天会从最活跃的成员里邀请。",
                      "The plan has no volunteers section yet: add a target and roles on the "
                      "Plan page and the bot invites the most active members every day."),
    "vol.target": ("目标 {target} 人，已接受 {accepted} 人，邀请中 {invited} 人",
                   "Target {target}, accepted {accepted}, invited {invited}"),
    "vol.roster": ("志愿者与邀请", "Volunteers and invitations"),
    "vol.name": ("成员", "Member"), "vol.state": ("状态", "State"), "vol.role": ("分工", "Role"),
    "vol.invited": ("邀请于", "Invited"), "vol.answered": ("回复于", "Answered"),
    "vol.retired": ("卸任于", "Retired"), "vol.why": ("入选理由", "Why chosen"),
    "vol.warns": ("警告", "Warnings"), "vol.deletes": ("删除", "Deletions"),
    "vol.escalations": ("值班响应", "Escalations answered"),
    "vol.response": ("平均响应（分钟）", "Mean response (minutes)"),
    "vol.by": ("邀请人", "Invited by"), "vol.bot": ("机器人", "the bot"),
    "vol.retire": ("卸任", "Retire"),
    "vol.roster_empty_auto": ("还没有人被邀请：机器人每天 {at} 从最活跃的成员里发出邀请（计划的 "
                              "volunteers 部分），也可以在下面的候选人里手动邀请。",
                              "Nobody invited yet: the bot invites the most active members "
                              "every day at {at} (the plan's volunteers section), or invite a "
                              "candidate below by hand."),
    "vol.roster_empty_manual": ("还没有人被邀请：计划关闭了自动邀请（auto_invite: false），"
                                "请在下面的候选人里手动邀请。",
                                "Nobody invited yet: the plan turns automatic invitations off "
                                "(auto_invite: false); invite a candidate below by hand."),
    "vol.no_role": ("未分工", "no role"),
    "vol.never": ("未被邀请过做志愿者。", "Never invited to volunteer."),
    "vol.rota": ("值班表（未来 7 天）", "Duty rota (next 7 days)"),
    "vol.rota_off": ("计划里关闭了值班（rota: off）", "The plan has no duty rota (rota: off)"),
    "vol.nobody": ("无人值班", "nobody on duty"),
    "vol.candidates": ("候选人（按报告的活跃度）", "Candidates (by the report's measures)"),
    "vol.no_report": ("报告还没生成，暂时列不出候选人。", "No report yet: no candidates to list."),
    "vol.invite": ("邀请", "Invite"),
    "vol.choose_role": ("分工…", "Role…"),
    "vol.messages": ("近期发言", "Messages (window)"),
    "vol.days": ("活跃天数", "Active days"),
    "vol.brought": ("邀请入群", "Members brought"),
    "vol.tier": ("分层", "Tier"),
    "vol.done": ("已完成：{what}", "Done: {what}"),
    "vol.error": ("没有完成：{what}", "Not done: {what}"),
    "vol.ok.invite": ("已邀请：私信已排队，由机器人发出（送达结果见上表的「邀请私信」）",
                      "invited: the DM is queued and the bot sends it (the roster's "
                      "\"Invitation DM\" shows whether it arrived)"),
    "vol.ok.invite_todo": ("已记录邀请，但机器人联系不到这位成员（ta 所在的平台没有连接机器人账号）："
                           "私信草稿已放进工作队列的「待办」，请亲自联系 ta",
                           "invitation stored, but no bot can reach this member (their "
                           "platform has no bot account connected): the draft DM is in the "
                           "work queue's to-dos; contact them yourself"),
    "vol.dm": ("邀请私信", "Invitation DM"),
    "vol.dm.pending": ("已排队，等机器人发出", "queued, the bot has not sent it yet"),
    "vol.dm.done": ("已送达", "delivered"),
    "vol.dm.failed": ("没有发出：{why}", "not sent: {why}"),
    "vol.dm.todo": ("机器人联系不到，已转为待办：{why}", "no bot can reach them, a to-do: {why}"),
    "vol.unreachable": ("另有 {n} 位活跃成员在 {where}，那里没有连接机器人账号，机器人联系不到，"
                        "所以不在候选人里（可在成员页亲自联系）。",
                        "{n} more active members are on {where}, where no bot account is "
                        "connected: the bot cannot reach them, so they are not listed (contact "
                        "them yourself from their member page)."),
    "vol.ok.invite_no_dm": ("已记录邀请，但 ta 本周已收到足够多的机器人私信（或没有可用的群），私信未发出："
                            "请亲自联系", "invitation stored, but the weekly DM limit (or no "
                            "group) kept the bot's DM back: contact them yourself"),
    "vol.ok.retire": ("已卸任", "retired"),
    "state.invited": ("已邀请", "invited"), "state.accepted": ("已接受", "accepted"),
    "state.declined": ("已婉拒", "declined"), "state.retired": ("已卸任", "retired"),
    # T2 the ambassador programme (推广大使), on the volunteers page and member 360.
    "amb.title": ("推广大使", "Ambassadors"),
    "amb.none_plan": ("计划里还没有推广大使部分（ambassadors）：加上后，进入某一层（如「传播者」，"
                      "tier_actions 里写 do: ambassador）的成员会收到机器人的私信邀请。",
                      "The plan has no ambassadors section yet: add it, and members entering a "
                      "tier whose action is do: ambassador (spreaders, say) get the bot's "
                      "invitation by DM."),
    "amb.max": ("名额 {max} 人，已接受 {accepted} 人，邀请中 {invited} 人；每带来一位新成员 +{points} 分",
                "{max} seats, accepted {accepted}, invited {invited}; +{points} points per "
                "member brought"),
    "amb.off": ("未启用", "switched off"),
    "amb.code": ("邀请码", "Code"),
    "amb.month": ("本月带来", "Brought this month"),
    "amb.total": ("累计带来", "Brought in total"),
    "amb.empty": ("还没有人被邀请：成员进入计划邀请做推广大使的那一层后，机器人会私信邀请。",
                  "Nobody invited yet: the bot invites members by DM when they enter the "
                  "tier the plan invites to be ambassadors."),
    "amb.state.invited": ("邀请中", "invited"), "amb.state.accepted": ("推广大使", "ambassador"),
    "amb.state.declined": ("已婉拒", "declined"),
    "amb.candidates": ("推广大使候选人（计划邀请做推广大使的那一层的成员）",
                       "Ambassador candidates (members of the tier the plan invites to be "
                       "ambassadors)"),
    "vol.ok.amb_invite": ("已邀请做推广大使，私信由机器人发出",
                          "invited to be an ambassador; the bot sends the DM"),
    "amb.never": ("未被邀请过做推广大使。", "Never invited to be an ambassador."),
    "core.intro": ("带来成员、创作被回应的内容、带来收入的人：三项分开看，不合成一个分数。",
                   "Members who bring members, create content others respond to, and bring "
                   "revenue: three separate measures, not one score."),
    "core.no_revenue": ("收入：还没有记录任何成交。收入来自运营者在成员页「记录成交」里手动登记"
                        "（还没有接入支付或订单），所以这里不显示 0。",
                        "Revenue: no sale recorded yet. Revenue is what operators record by hand "
                        "on a member's page (Record a sale; no payments or orders connected), "
                        "so nobody is shown as 0."),
    "core.revenue_note": ("收入是运营者在成员页手动登记的成交（还没有接入支付或订单）。",
                          "Revenue is the sales operators recorded on members' pages (no "
                          "payments or orders connected)."),
    "core.revenue": ("带来收入（{currency}）", "Revenue brought ({currency})"),
    "core.sales_n": ("{n} 笔", "{n} sales"),
    "core.earner": ("带来收入", "brings revenue"),
    "core.sort": ("排序：", "Rank by: "),
    "core.sort.brought": ("带来成员", "members brought"),
    "core.sort.responses": ("内容被回应", "responses"),
    "core.sort.revenue": ("带来收入", "revenue"),
    "sale.title": ("记录成交（这位成员带来的收入）", "Record a sale (revenue this member brought)"),
    "sale.amount": ("金额", "Amount"),
    "sale.note": ("备注（买了什么、从哪来）", "Note (what was bought, how)"),
    "sale.submit": ("记录", "Record"),
    "sale.done": ("已记录成交", "Sale recorded"),
    "sale.list": ("成交记录", "Sales"),
    "sale.none": ("还没有记录过这位成员带来的成交。", "No sale recorded for this member."),
    "sale.by": ("登记人", "recorded by"),
    "core.brought": ("带来成员", "Members brought"),
    "core.replies": ("内容被回复", "Replies received"),
    "core.reactions": ("内容被点赞", "Reactions received"),
    "core.why": ("核心原因", "Why"),
    "core.bringer": ("带人", "brings members"), "core.creator": ("内容受欢迎", "content"),
    "core.ask": ("先问问 ta（生成待办和私信草稿）", "Ask them first (a to-do with a draft DM)"),
    "core.asked": ("已生成待办", "To-do opened"),
    "core.none": ("还没有核心用户：没有人邀请过成员，也没有人的发言被别人回复或点赞。",
                  "No core users yet: nobody brought members or got replies or reactions."),
    "core.draft": ("私信草稿", "Draft DM (in the members' language, as the bot writes to them)"),
}
