"""A member's life cycle in the community: elimination cases (E1) and their revival (E2)."""
