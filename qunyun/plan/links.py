"""Which links a plan allows: one rule for the bot (R1 moderation) and the report (R4 ads).

A link is what `domain.links.LINK` finds (the one rule: 「作业在这https://github.com/x/y谢谢」
is a link to github.com/x/y; a bare `github.com/a/b` is a link; see that module).

A link is forbidden when it is an invite to another group (`INVITE`, whatever the allow
list says) or no entry of `moderation.links.allow` allows it. An entry is a host, with or
without a path (`docs.python.org`, `t.me/spam`; a scheme, `www.` or a trailing `/` are
ignored). It allows a link whose host is that host or one under it (`docs.python.org`
allows `bugs.docs.python.org`, not `docs.python.org.evil.cn`), and, when the entry has a
path, whose path starts with that path at a segment boundary (`t.me/spam` allows
`t.me/spam`, `t.me/spam/12`, not `t.me/spammer` or `t.me/other`). Text around the link
does not matter: 「加微信 https://docs.python.org」 holds an allowed link, and is judged
by the ad keywords as any other text.

The bot asks `AllowedLinks.forbidden(text)` per message; the report runs the same rule
over millions of texts as one Polars expression (`AllowedLinks.forbidden_expr`), built
from the same entries; tests/plan/test_links.py holds the two equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

import polars as pl

from qunyun.domain.links import LINK, LINK_POLARS
from qunyun.plan.model import Plan

INVITE_PATTERN = (r"(?i)(?:t\.me/(?:joinchat/|\+)|matrix\.to/#/[#!]|qm\.qq\.com/|"
                  r"weixin\.qq\.com/g/|chat\.whatsapp\.com/)")
INVITE = re.compile(INVITE_PATTERN)
ENTRIES_PER_PATTERN = 400
_ASCII = "".join(map(chr, range(0x21, 0x7F)))
_LEAD = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:www\.)?")


@dataclass(frozen=True, slots=True)
class Entry:
    host: str  # lower case, no `www.`, no port
    path: str  # "" or "/spam" (no trailing slash)


def entry(raw: str) -> Entry | None:
    """An allow-list entry as host and path prefix; None for an empty one."""
    bare = _LEAD.sub("", raw.strip().lower()).lstrip(".").rstrip("/")
    host, _slash, path = bare.partition("/")
    host = host.split(":", 1)[0]
    # A link's path is ASCII (see `LINK`): an entry's `/课程` is the `/%e8%af%be…` it reads.
    path = quote(path, safe=_ASCII).lower()
    return Entry(host, "/" + path if path else "") if host else None


def parts(link: str) -> tuple[str, str]:
    """(host, the rest from the first `/`, `?` or `#`) of a link `LINK` found."""
    bare = _LEAD.sub("", link.lower())
    cut = next((i for i, c in enumerate(bare) if c in "/?#"), len(bare))
    # `user:pass@host:port`: the host is after the last `@` (a link to evil.cn may
    # start with `docs.python.org@`).
    return bare[:cut].rsplit("@", 1)[-1].split(":", 1)[0], bare[cut:]


@dataclass(frozen=True, slots=True)
class AllowedLinks:
    entries: tuple[Entry, ...]

    @classmethod
    def of(cls, plan: Plan) -> AllowedLinks:
        return cls.from_entries(plan.moderation.links.allow)

    @classmethod
    def from_entries(cls, raw: list[str]) -> AllowedLinks:
        return cls(tuple(e for e in map(entry, raw) if e is not None))

    def allows(self, link: str) -> bool:
        host, rest = parts(link)
        for e in self.entries:
            if host != e.host and not host.endswith("." + e.host):
                continue
            if not e.path or rest == e.path or (rest.startswith(e.path)
                                                 and rest[len(e.path)] in "/?#"):
                return True
        return False

    def forbidden(self, text: str) -> tuple[str, str] | None:
        """The first forbidden link in `text` as ("invite_link" | "link", link), or None."""
        for link in LINK.findall(text):
            if INVITE.search(link):
                return "invite_link", link
            if not self.allows(link):
                return "link", link
        return None

    def allowed_patterns(self) -> list[str]:
        """Regexes (lower-case input) one of which matches exactly the links `allows`
        allows; several, so a long allow list stays far inside Polars' regex size limit."""
        alternatives = [
            re.escape(e.host) + r"(?::[^/?#@]*)?" + re.escape(e.path) + r"(?:[/?#]|$)"
            for e in self.entries]
        return [rf"^(?:[a-z][a-z0-9+.-]*://)?(?:www\.)?(?:[^/?#]*@)?(?:[^/?#@]*\.)?"
                rf"(?:{'|'.join(alternatives[i:i + ENTRIES_PER_PATTERN])})"
                for i in range(0, len(alternatives), ENTRIES_PER_PATTERN)]

    def forbidden_expr(self, column: str = "text") -> pl.Expr:
        """True for each text holding a forbidden link: the links are extracted with
        `LINK` and each is tested against the allow list, all in Polars."""
        allowed = self.allowed_patterns()
        if not allowed:  # nothing allowed: any link is forbidden
            return pl.col(column).str.contains(LINK_POLARS).fill_null(False)
        element = pl.element().str.to_lowercase()
        bad = element.str.contains(INVITE_PATTERN) \
            | ~pl.any_horizontal(element.str.contains(p) for p in allowed)
        return pl.col(column).str.extract_all(LINK_POLARS).list.eval(bad).list.any() \
            .fill_null(False)
