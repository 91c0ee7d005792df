"""The one date a bundle may carry: SOURCE_DATE_EPOCH (reproducible-builds.org), read in one place for every output
that stamps a date (bom.xlsx's creation date, review.pdf's metadata)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final

from refarch.errors import InputError

__all__ = ["LAST_SECOND", "source_date"]

# The last second both Excel and Python's datetime can write (Excel stops at 9999-12-31).
LAST_SECOND: Final = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())


def source_date(environ: Mapping[str, str]) -> datetime | None:
    """SOURCE_DATE_EPOCH as a UTC time, or None when it is unset.

    Raises:
        InputError: it is not a whole number of seconds between 1970 and the end of 9999.
    """
    text = environ.get("SOURCE_DATE_EPOCH")
    if text is None:
        return None
    stripped = text.strip()
    if not stripped.isdigit() or int(stripped) > LAST_SECOND:
        raise InputError(
            f"environment variable SOURCE_DATE_EPOCH={text!r} is not a date",
            hint="give the seconds since 1970-01-01 00:00 UTC as a whole number, e.g. SOURCE_DATE_EPOCH=1700000000",
        )
    return datetime.fromtimestamp(int(stripped), tz=UTC)
