"""Accounts of the analyst side: users and roles, sessions, API tokens, login rate limits and the audit log.

Everything lives in MongoDB (collections named in :mod:`crawler.storage.schema`), so several
``trawler serve`` processes share sessions, rate limits and the audit trail, and a restart forgets
nothing. This package knows nothing about HTTP: :mod:`crawler.web` and the ``users`` CLI call it.
"""
