"""Services: the use cases shared by bot, console and CLI — the only code that changes state."""
