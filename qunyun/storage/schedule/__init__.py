"""The durable schedule's tables and repositories (issue 14): entries and their slots."""
