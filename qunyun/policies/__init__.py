"""Policies: one small module per playbook concern. No SQL here — policies call services.

The order they run in is wired explicitly in `qunyun.bot.wiring.build_policies`.
"""
