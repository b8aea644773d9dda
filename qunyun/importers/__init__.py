"""History importers (I2): one module per export format, each a generator of events.

`detect.open_export` sniffs the format from the content (never the file name) and
returns a `ParsedExport` whose `events` feed `services.importing.import_events`.
"""
