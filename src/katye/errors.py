"""Errors katye raises for users.

Every message says what was passed, what was expected, and how to fix it. The CLI
prints the message without a traceback and exits with ``exit_code``.
"""

from __future__ import annotations


class KatyeError(Exception):
    """Base class of every error katye raises on purpose."""

    exit_code = 1


class UsageError(KatyeError, ValueError):
    """An argument or option that katye cannot use (exit code 1)."""

    exit_code = 1


class InputError(KatyeError, ValueError):
    """An input file or table that katye cannot read or trust (exit code 2)."""

    exit_code = 2


class CRSError(InputError):
    """A missing, unknown or mismatched coordinate reference system."""


def at_rows(rows, *, unit: str = "row", limit: int = 10, offset: int = 0) -> str:
    """Format row numbers for a message: ``lines 3, 7, 9 and 12 more``."""
    rows = [int(r) + offset for r in rows]
    shown = ", ".join(str(r) for r in rows[:limit])
    more = len(rows) - limit
    word = unit if len(rows) == 1 else f"{unit}s"
    return f"{word} {shown}" + (f" and {more} more" if more > 0 else "")


def plural(count: int, noun: str) -> str:
    """``1 row``, ``1,240 rows``."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
