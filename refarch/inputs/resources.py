"""Where the built-in catalog and templates live: inside the wheel, or at the repository root in a checkout."""

from __future__ import annotations

from pathlib import Path

__all__ = ["builtin_catalog_dir", "builtin_templates_dir"]

_PACKAGE = Path(__file__).resolve().parent.parent  # refarch/, the package root


def _data_dir(name: str) -> Path:
    # A wheel carries the data under refarch/_data/ (see pyproject's force-include); a source checkout or an
    # editable install finds it at the repository root, next to the package.
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"refarch installation is missing its '{name}' directory (looked in {_PACKAGE})")


def builtin_catalog_dir() -> Path:
    """Directory of the shipped hardware catalog."""
    return _data_dir("catalog")


def builtin_templates_dir() -> Path:
    """Directory of the shipped Jinja templates."""
    return _data_dir("templates")
