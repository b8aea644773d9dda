"""A5 events (活动) a community runs: the events, and who registered, came and rated them.

Not to be confused with `storage/events/`, the event LOG of everything that happened."""
