"""`python -m qunyun` runs the CLI."""

from qunyun.cli import main

main()
