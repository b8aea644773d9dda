"""Group size limits per platform (P4), from seeds 001 and 004."""

from __future__ import annotations

# Hard caps: a group cannot grow past these on the platform.
PLATFORM_CAPS: dict[str, int] = {
    "wechat": 500,
    "wecom": 500,  # 企业微信 customer groups
    "qq": 2000,
    "telegram": 200_000,
    "whatsapp": 1024,
    "matrix": 100_000,  # no protocol cap; large rooms get slow on a homeserver
}

# Seeds 001/004: beyond ~200 members an engagement group stops being a conversation.
RECOMMENDED_ENGAGEMENT_CAP = 200

PLATFORM_NAMES: dict[str, tuple[str, str]] = {
    "wechat": ("微信", "WeChat"),
    "wecom": ("企业微信", "WeCom"),
    "qq": ("QQ", "QQ"),
    "telegram": ("Telegram", "Telegram"),
    "whatsapp": ("WhatsApp", "WhatsApp"),
    "matrix": ("Matrix", "Matrix"),
}
