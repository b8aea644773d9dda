"""Growth (T1, T3): the tier each member holds, its history, and operators' locks."""
