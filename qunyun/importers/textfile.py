"""Reading text exports: encoding sniffing (BOM, UTF-8, GBK/GB18030) and numbered lines."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

from qunyun.importers.base import ImportFormatError

HEAD = 64 * 1024


def sniff_encoding(path: Path, head: bytes) -> str:
    """UTF-16/UTF-8 by BOM; else UTF-8 if the head decodes; else GB18030 (a superset of GBK,
    which QQ message managers on Chinese Windows write, often with no BOM)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # cut in the middle of a character at the end
            return "utf-8"
    try:
        head.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise ImportFormatError(str(path), "无法识别的文本编码（不是 UTF-8、UTF-16 或 GBK）/ "
                                "unknown text encoding", offset=exc.start) from None


def looks_binary(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return b"\x00" in head[:8192]


def read_lines(path: Path, encoding: str, position: list[int]) -> Iterator[tuple[int, str]]:
    """(line number, line without its newline); LF, CRLF and CR, mixed in one file too, and
    numbered as an editor does (only those three end a line, not U+2028 or form feeds); a
    CRLF split across two reads is one line end. Bytes read so far in `position`."""
    with path.open("rb") as raw:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        pending = ""
        number = 0
        while chunk := raw.read(1 << 20):
            position[0] += len(chunk)
            try:
                pending += decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise ImportFormatError(
                    str(path), f"按 {encoding} 解码失败 / cannot decode as {encoding}",
                    offset=position[0] - len(chunk) + exc.start) from None
            lines, pending = _split(pending)
            for line in lines:
                number += 1
                yield number, line
        try:
            pending += decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            # The file ends inside a character (a cut-off copy): say where, read nothing.
            raise ImportFormatError(
                str(path), f"文件在一个字符中间结束（不完整）/ the file ends inside a character "
                f"(truncated?); cannot decode as {encoding}",
                offset=position[0] - len(exc.object) + exc.start) from None
        lines, pending = _split(pending)
        if pending:  # the last line, with no line end, or ended by a lone CR
            lines.append(pending.removesuffix("\r"))
        for line in lines:
            number += 1
            yield number, line


def _split(text: str) -> tuple[list[str], str]:
    """Whole lines of `text`, and the unfinished rest (a trailing CR waits for its LF)."""
    held = ""
    if text.endswith("\r"):
        text, held = text[:-1], "\r"
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    return lines, lines.pop() + held
