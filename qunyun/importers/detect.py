"""Format detection from content, never the file name, and the one entry point: `open_export`.

JSON with `messages` or `chats` → Telegram; a CSV header of WeChatMsg or PyWxDump →
WeChat; lines shaped like WhatsApp's or QQ's headers → those. The encoding is sniffed
first (BOM, UTF-8, GBK/GB18030); binary files and unknown text are a clear error.
"""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

from qunyun.importers import qq, telegram, wechat, whatsapp
from qunyun.importers.base import DEFAULT_TZ, ImportFormatError, ParsedExport
from qunyun.importers.textfile import HEAD, looks_binary, sniff_encoding

FORMATS = ("telegram", "whatsapp", "qq", "wechat")


def detect(path: Path) -> tuple[str, str]:
    """(format, encoding) of an export, from its first 64 KB."""
    try:
        with path.open("rb") as f:
            head = f.read(HEAD)
    except OSError as exc:
        raise ImportFormatError(str(path), f"无法读取 / cannot read: {exc.strerror}") from None
    if not head.strip():
        raise ImportFormatError(str(path), "文件是空的 / the file is empty")
    if looks_binary(head):
        raise ImportFormatError(str(path), "这是二进制文件，不是聊天导出 / binary file, not a "
                                "chat export", offset=head.find(b"\x00"))
    encoding = sniff_encoding(path, head)
    text = head.decode(encoding, errors="ignore").lstrip("\ufeff")
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return "telegram", encoding
    lines = [line.rstrip("\r") for line in text.splitlines()[:200]]
    if lines and wechat.header_kind(lines[0]):
        return "wechat", encoding
    if any(whatsapp.matches(line) for line in lines):
        return "whatsapp", encoding
    if any(qq.matches(line) for line in lines) or any(
            re.match(r"^消息(记录|对象|分组)", line) for line in lines[:10]):
        return "qq", encoding
    first = next((line for line in lines if line.strip()), "")
    raise ImportFormatError(str(path), "无法识别的导出格式（支持 Telegram JSON、WhatsApp txt、QQ "
                            f"txt、微信 CSV）/ unknown export format; first line: {first[:80]!r}",
                            line=1)


def open_export(path: str | Path, *, chat: str | None = None,
                tz: ZoneInfo = DEFAULT_TZ) -> ParsedExport:
    file = Path(path)
    fmt, encoding = detect(file)
    if fmt == "telegram":
        return telegram.open_telegram(file, chat=chat, tz=tz)
    if fmt == "whatsapp":
        return whatsapp.open_whatsapp(file, encoding, tz=tz)
    if fmt == "qq":
        return qq.open_qq(file, encoding, tz=tz)
    with file.open("rb") as f:
        first = f.read(HEAD).decode(encoding, errors="ignore").splitlines()[0]
    layout = wechat.header_kind(first)
    assert layout is not None
    return wechat.open_wechat(file, encoding, layout, tz=tz)
