"""G2 invite attribution from history: who brought whom, the top inviters and the K-factor.

Edges come from joins that name an inviter (Telegram `invite_members` / `join_group_by_link`,
WhatsApp "added", QQ/WeChat invite lines). K-factor here is the average number of members
each member brought in: invited joins ÷ members seen. It is a floor on the real figure —
joins through a shared link that the export does not attribute are not counted.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from qunyun.analytics.log import EventLog

TOP_INVITERS = 50
MAX_EDGES = 5000


def invites(log: EventLog) -> dict[str, Any]:
    joins = log.events.filter(pl.col("kind") == "join")
    edges = joins.filter(pl.col("related_member_id").is_not_null()
                         & (pl.col("related_member_id") != pl.col("member_id"))) \
        .sort("ts_ms").unique(subset=["related_member_id", "member_id"], keep="first",
                              maintain_order=True)
    names = dict(log.members.select("member_id", "name").iter_rows())
    seen = log.events.lazy().select(pl.col("member_id").drop_nulls().n_unique()) \
        .collect(engine="streaming").item()
    top = edges.group_by("related_member_id").agg(
        invited=pl.len(), invitees=pl.col("member_id").head(20)) \
        .sort(["invited", "related_member_id"], descending=[True, False]).head(TOP_INVITERS)
    invited_set = set(edges["member_id"].to_list())
    return {
        "joins": joins.height,
        "attributed_joins": edges.height,
        "inviters": edges["related_member_id"].n_unique(),
        "k_factor": round(edges.height / seen, 4) if seen else 0.0,
        "top_inviters": [
            {"member_id": mid, "name": names.get(mid), "invited": n,
             "was_invited": mid in invited_set,
             "invitees": [{"member_id": i, "name": names.get(i)} for i in invitees]}
            for mid, n, invitees in top.iter_rows()
        ],
        "edges": [
            {"inviter": a, "invitee": b, "at": log.iso(ts)}
            for a, b, ts in edges.select("related_member_id", "member_id", "ts_ms")
            .head(MAX_EDGES).iter_rows()
        ],
        "edges_truncated": edges.height > MAX_EDGES,
    }
