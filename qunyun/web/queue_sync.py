"""Moved to `qunyun.services.report_queues` (the CLI and the report cache open items too);
kept so existing imports keep working."""

from qunyun.services.report_queues import open_from_report

__all__ = ["open_from_report"]
