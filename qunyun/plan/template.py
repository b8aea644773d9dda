"""A starting plan for a community that has none (the console's plan editor, issue 11).

It loads (so the editor can show its findings at once) and names every question of seed
000 the operator still has to answer, with a comment on what a good answer looks like;
`plan check` then lists what is missing, in the playbook's words.
"""

from __future__ import annotations

import json

PLATFORMS = ("wechat", "wecom", "qq", "telegram", "whatsapp", "matrix")

TEMPLATE = """\
# {name} 的社群计划（起步模板）：按 seed 000 的八个问题填写，右侧会列出还缺什么。
version: 1
community:
  name: {name_json}
  slug: {slug_json}
  platform: {platform}             # wechat / wecom / qq / telegram / whatsapp / matrix
  positioning: auxiliary           # commercial（社群就是产品）/ auxiliary（为业务服务）/ free
  group_type: engagement           # engagement（交流群，≤200 人最好）/ broadcast（通知群）
  purpose:                         # 一句话：这个群帮谁解决什么问题
  goals: []                        # 可衡量的目标，如 “每天有效讨论 ≥ 30 条”
  values: []                       # 群的价值观，如 “先动手再提问”
  size_cap: 200

service:                           # ① 为谁服务、提供什么
  audience: {{}}                   # 2–4 个维度：age / occupation / city / income / family / interests / education
  offering:                        # 群里有什么：课程、答疑、福利……
  cycle_days: 90                   # 服务周期（天）

revenue:                           # ② 靠什么活下来
  models: []                       # membership_fee / own_products / ads / commission / crowdfunding / tips

rules:                             # ③ 群规：七个部分
  revised_on: {today}
  intro:                           # 这是什么群
  services: []                     # 群里提供的服务
  forbidden: []                    # 禁止的行为，如 “发广告、二维码、外部群链接”
  encouraged: []                   # 鼓励的行为
  faq: []                          # 常见问题：- q: 问题  a: 回答  keywords: [关键词]
  admins: []                       # 管理员
  feedback:                        # 意见反馈渠道

welcome:                           # ④ 新人欢迎
  greeting:                        # 第一句话
  offer:                           # 群里能得到什么
  hosts:                           # 谁在运营这个群
  benefit:                         # 当前福利
  next_steps: []                   # 新人接下来要做的事

elimination:                       # ⑤ 淘汰
  enabled: true
  silent_days: 30
  notice_days: 3                   # 先提醒，再移出

revival:                           # ⑤ 复活
  ways: [task]
  task:                            # 复活任务：日历或营期里某个任务的名字（task.name）
  description:                     # 被移出的人怎样回来

volunteers:                        # ⑥ 志愿者
  target: 3
  roles: []                        # - name: 角色  duties: 职责  privileges: [pin]

threshold:                         # ⑦ 门槛
  type: free                       # free / paid / invite / application

future:                            # ⑧ 一年后这个群是什么样子
"""


def starting_plan(*, name: str, slug: str, platform: str | None, today: str) -> str:
    """The template filled with the community's name and slug (JSON strings are valid
    YAML scalars, so any name stays one safe line)."""
    return TEMPLATE.format(name=name.replace("\n", " "),
                           name_json=json.dumps(name, ensure_ascii=False),
                           slug_json=json.dumps(slug), today=today,
                           platform=platform if platform in PLATFORMS else "wechat")
