"""Repositories: every SQL statement of Alice, one module per table (or group of tables).

A repository is bound to the transaction of a unit of work (`uow.memories`,
`uow.calls`, `uow.callers`, `uow.customers`; see `alice_server.storage.unit_of_work`)
and returns the frozen dataclasses of `alice_server.domain`, never driver rows.
How to add one: docs/ARCHITECTURE.md.
"""
