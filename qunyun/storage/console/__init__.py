"""Console: operator accounts and the read-only queries behind the console pages."""
