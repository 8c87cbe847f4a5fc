"""Helpers shared by the tests (free ports, pgbouncer, README blocks...).

Tests import helpers from here, never from another test module.
"""
