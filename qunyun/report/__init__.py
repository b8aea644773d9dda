"""Renderers of the community report: self-contained offline HTML, JSON, members CSV."""
