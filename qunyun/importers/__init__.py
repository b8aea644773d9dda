"""History importers (I2): one module per export format, each a generator of event batches.

`detect.open_export` sniffs the format from the content (never the file name) and
returns a `ParsedExport` whose `batches` feed `services.importing.import_batches`.
Telegram fills its batches column by column; the line-based formats (WhatsApp, QQ,
WeChat) build event objects and batch them with `event_batch.batched`.
"""
