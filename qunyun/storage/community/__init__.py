"""Communities, groups, members, their platform identities, nickname history and memberships."""
