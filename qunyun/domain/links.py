"""What a link in chat text is: one rule for the bot's moderation (R1), `!作业` (T3), the
command parser and the report's advert signal (R4). Pure: no I/O, no Polars.

A link is what `LINK` finds (`first_link` for the first one): `http(s)://…`, `www.…`, or a
bare address with a path (`github.com/a/b`, `t.me/…`, `matrix.to/#/…`: a last label in
`BARE_TLDS`, then `/`). It may follow Chinese text directly (「作业在这https://github.com/x」,
「链接：github.com/a/b」): word boundaries are ASCII ones, so a CJK character is no word to
stick to. Its host may hold Chinese labels (`https://站点.example.cn`); what follows the
host is ASCII, as browsers copy it, so it ends at white space, quotes, angle brackets, the
first character beyond ASCII (the Chinese after it, full-width punctuation:
「https://github.com/x/y谢谢」 is a link to github.com/x/y) or a trailing `.,;:!?)]`.
`LINK_POLARS` is the same pattern in the spelling of Polars' Rust regex engine.
"""

from __future__ import annotations

from qunyun.domain.patterns import compile_pattern

# A bare address (no scheme, no `www.`) is a link when its last label is one of these and a
# `/` follows: 「链接：github.com/a/b，请看」, 「进群 t.me/joinchat/…」. Without the `/`,
# 「去 python.org 看看」 or a file name like `main.py` reads as text.
BARE_TLDS = ("com", "cn", "net", "org", "io", "me", "to", "cc", "co", "top", "xyz", "info",
             "vip", "app", "dev", "ai", "tv", "link", "site", "club", "shop", "online", "tech",
             "pro", "wang", "ink", "fun", "live", "xin", "ren", "hk", "tw", "uk", "us", "jp",
             "de", "ru", "edu", "gov", "biz", "ly", "gg", "so", "im")  # fmt: skip
# The part after the host is ASCII (browsers copy a path percent-encoded): it ends at white
# space, quotes, angle brackets and at the first character beyond ASCII, so neither the
# Chinese after it (「…/x/y谢谢」) nor full-width punctuation (「…/a/b，」) is swallowed;
# a trailing ASCII `.,;:!?)]` is the sentence's, not the link's.
_URL_CHAR = r"[!#-&(-;=?-~]"
_URL_END = r"[#$%&(*+\-/0-9=@-\\^-~]"  # not `.,;:!?)]`
_PATH = rf"[/?#](?:{_URL_CHAR}*{_URL_END})?"
# After a scheme or `www.`: labels (the last one ASCII, earlier ones may be 中文 names),
# `user:pass@` first when there is one (so `docs.python.org@evil.cn` is evil.cn's link).
_USER = r"(?:[\p{L}\p{N}_.:%+~-]*@)?"
_HOST = r"(?:[\p{L}\p{N}_-]+\.)*[a-z0-9-]+"
_PORT = r"(?::[0-9]+)?"


def _link_pattern(boundary: str) -> str:
    bare = r"(?:[a-z0-9-]+\.)+(?:" + "|".join(BARE_TLDS) + ")"
    return (
        rf"(?:https?://|{boundary}www\.){_USER}{_HOST}{_PORT}(?:{_PATH})?"
        rf"|{boundary}{bare}{_PORT}{_PATH}"
    )


# RE2 (linear time: a 20,000-character 「a.a.a.…」 took Python's `re` 38 s) for the bot,
# Polars' Rust regex for the report; they spell an ASCII-only word boundary differently.
LINK = compile_pattern("(?i)" + _link_pattern(r"\b"))
LINK_POLARS = "(?i)" + _link_pattern(r"(?-u:\b)")


def first_link(text: str) -> str | None:
    """The first link in `text` (the bot's and the report's rule), or None."""
    found = LINK.search(text)
    return found.group(0) if found else None


# Every link contains one of these (lower case), for a report's literal prefilter.
LINK_LITERALS = ["://", "www.", *(f".{tld}{end}" for tld in BARE_TLDS for end in "/:")]
