"""Read-only analytics over the event log (H1, H2, T1, T2, T5, E1, R4, G2), columnar (Polars).

`build_report` is the one entry point; see `qunyun.analytics.build`.
"""

from qunyun.analytics.build import SCHEMA_VERSION, build_report

__all__ = ["SCHEMA_VERSION", "build_report"]
