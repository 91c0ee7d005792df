"""review.pdf: the print HTML laid out by WeasyPrint.

WeasyPrint writes no creation date unless the HTML names one, and derives the PDF's identifier from its content,
so the same HTML gives the same bytes. The date is the plan's only when SOURCE_DATE_EPOCH asks for one (the house
rule for timestamps); the document otherwise carries none.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime

from refarch.errors import OutputError

__all__ = ["html_to_pdf", "source_date"]


def source_date() -> datetime | None:
    """SOURCE_DATE_EPOCH as a UTC time, or None when it is unset.

    Raises:
        OutputError: it is set but not a whole number of seconds.
    """
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise OutputError(f"SOURCE_DATE_EPOCH={value!r} is not a time in whole seconds since 1970") from exc


def html_to_pdf(html: str) -> bytes:
    """The PDF of `html`, which must be self-contained (styles inline, images as data URIs): no file or URL is read.

    Raises:
        OutputError: WeasyPrint fails.
    """
    import weasyprint  # here, not at the top: loading Pango through cffi takes 0.5 s of every command

    # WeasyPrint logs every CSS property it ignores at WARNING; those are for template authors, not users.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    try:
        # Data URIs only: any other URL in the HTML is a template bug, and a review must not fetch anything.
        fetcher = weasyprint.URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
        document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None)
        return bytes(document.write_pdf())
    except Exception as exc:  # WeasyPrint raises many kinds; each is a failed render of our own HTML
        raise OutputError(f"review.pdf: WeasyPrint failed: {type(exc).__name__}: {exc}") from exc
