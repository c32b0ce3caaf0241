"""The coach: every decision the bot makes, pure and testable without Telegram or a database.

Imports only the standard library and ``content.schema``; never reads the clock
(``now`` and ``today`` are parameters). ``tests/coach/test_purity.py`` checks both.
"""
