"""The event log (source of truth): live appends, bulk staging of imports, and
columnar reads into Polars."""
