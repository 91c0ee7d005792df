"""review.pdf: the print HTML laid out by WeasyPrint.

WeasyPrint writes no creation date unless the HTML names one, and derives the PDF's identifier from its content,
so the same HTML gives the same bytes. The PDF carries a date only when SOURCE_DATE_EPOCH gives one (read by
refarch.render.dates, the house rule for timestamps).
"""

from __future__ import annotations

import logging

from refarch.errors import OutputError

__all__ = ["html_to_pdf"]


def html_to_pdf(html: str) -> bytes:
    """The PDF of `html`, which must be self-contained (styles inline, images as data URIs): no file or URL is read.

    Raises:
        OutputError: WeasyPrint fails.
    """
    try:  # here, not at the top: loading Pango through cffi takes 0.5 s of every command
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: cffi could not load Pango
        raise OutputError(
            f"review.pdf: WeasyPrint cannot be loaded: {exc}",
            hint="install it (Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0), or leave the review out: "
            "--outputs plan,summary,...",
        ) from exc

    # WeasyPrint logs every CSS property it ignores at WARNING; those are for template authors, not users.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    try:
        # Data URIs only: any other URL in the HTML is a template bug, and a review must not fetch anything.
        fetcher = weasyprint.URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
        document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None)
        return bytes(document.write_pdf())
    except Exception as exc:  # WeasyPrint raises many kinds; each is a failed render of our own HTML
        raise OutputError(f"review.pdf: WeasyPrint failed: {type(exc).__name__}: {exc}") from exc
