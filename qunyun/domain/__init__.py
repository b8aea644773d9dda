"""Pure rules with no I/O: patterns, text folding, tiers, levels, health."""
