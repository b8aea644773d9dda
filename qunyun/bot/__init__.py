"""The live bot, platform-neutral: which policies run in which order, and the scheduler."""
