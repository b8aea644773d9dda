"""The pipeline: every event, live or imported, goes through ordered policies.

`policy` defines what a policy is and what it may answer, `context` what it sees,
`dispatcher` how policies run (order, stop verdicts, error isolation, audit).
"""
