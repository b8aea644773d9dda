"""One route module per resource of the console."""
