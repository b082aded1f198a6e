"""Pure helpers every stage may use: ISO weeks, chat messages, SVG charts, table export and paging,
URL converters. lib imports no stage (tests/test_layers.py keeps it so), so any stage can import it."""
