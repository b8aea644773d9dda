"""The community plan (P1–P4): YAML → pydantic models, `plan check`, rendered texts."""
