"""A frozen copy of `qunyun.analytics` as of commit 2d648cf: the report computed the old way,
from the whole event log in memory (texts, reply ids and all), kept only as the oracle that
`tests/analytics/test_scale.py` compares the column-pruned, chunked report against.

Never import this from `qunyun`. If a section's *semantics* change on purpose, change
them here the same way (wording is not compared).
"""

from tests.analytics.reference.build import SCHEMA_VERSION, build_report

__all__ = ["SCHEMA_VERSION", "build_report"]
