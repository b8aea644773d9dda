"""Bot state: warnings, points ledger, onboarding, check-ins, polls, adapter cursors,
and the look-ups the bot needs."""
