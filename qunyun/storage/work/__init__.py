"""Work shared by the bot and the console: the audit log (the effects outbox) and
work queues."""
