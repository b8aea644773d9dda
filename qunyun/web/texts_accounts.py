"""Console words for the platform accounts' status on the home page (I1, issue 16)."""

ACCOUNT_TEXTS: dict[str, tuple[str, str]] = {
    "accounts": ("机器人账号", "Bot accounts"),
    "accounts_none": ("还没有机器人账号在运行。用 qunyun account-add 保存账号，再运行 qunyun bot。",
                      "No bot account has run yet. Store one with qunyun account-add, then run qunyun bot."),
    "account.platform": ("平台", "Platform"),
    "account.account": ("账号", "Account"),
    "account.state": ("连接", "Connection"),
    "account.connected": ("已连接", "connected"),
    "account.disconnected": ("未连接", "not connected"),
    # The technical reason is the cell's hover text (for whoever fixes the connection).
    "account.error": ("上次连接出错", "last connection attempt failed"),
    "account.since": ("状态起始", "Since"),
    "account.last_sync": ("最后同步", "Last synced"),
    "platform.telegram": ("Telegram", "Telegram"),
    "platform.onebot": ("QQ（OneBot 11）", "QQ (OneBot 11)"),
    "platform.matrix": ("Matrix", "Matrix"),
}
