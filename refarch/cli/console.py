"""The consoles the commands print through.

rich cuts output to 80 columns when no standard stream is a terminal (CI logs, `> file`, a pipe from a script),
which truncates every wide table to "wor…" cells. Such output gets a width that fits the tables whole instead;
a terminal, or an explicit COLUMNS, keeps rich's own choice.
"""

from __future__ import annotations

import os
import sys
from typing import Final

from rich.console import Console

__all__ = ["HELP_MARKUP", "UNATTENDED_WIDTH", "make_console"]

# How typer renders --help text: markdown reflows docstring paragraphs to the terminal's width and leaves
# "[default: ...]" alone, which rich markup would swallow as a style tag.
HELP_MARKUP: Final = "markdown"

# Wide enough for the widest table refarch prints (the compare table, about 200 columns).
UNATTENDED_WIDTH = 240


def _unattended() -> bool:
    """No terminal to fit and no width asked for."""
    streams = (sys.stdin, sys.stdout, sys.stderr)
    attached = any(stream is not None and stream.isatty() for stream in streams)
    return not attached and "COLUMNS" not in os.environ


def make_console(stderr: bool = False) -> Console:
    """A console for messages and tables (no syntax highlighting; long messages wrap rather than fold)."""
    width = UNATTENDED_WIDTH if _unattended() else None
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=width)
