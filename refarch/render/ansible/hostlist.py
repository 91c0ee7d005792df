"""Slurm hostlist expressions (`dgx-h100-[001-031]`): exact compression, expansion and natural ordering.

Compression keeps one bracket per expression (the form every Slurm version parses) and only groups names whose
varying number has the same width, so expanding the expression gives back exactly the names given.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

__all__ = ["compress_hostlist", "expand_hostlist", "natural_key"]

_DIGITS = re.compile(r"(\d+)")
_BRACKET = re.compile(r"^(?P<prefix>[^\[\]]*)\[(?P<ranges>[^\[\]]+)\](?P<suffix>.*)$")

# A name split at its digit runs: text at even positions, digits at odd ones (`a01b` -> ["a", "01", "b"]).
Tokens = tuple[str, ...]


def natural_key(name: str) -> tuple[tuple[str, int, int], ...]:
    """Sort key ordering `n2` before `n10`; the width breaks ties so `n01` and `n1` stay distinct and stable."""
    parts = _DIGITS.split(name)
    return tuple(
        (parts[i], int(parts[i + 1]) if i + 1 < len(parts) else -1, len(parts[i + 1]) if i + 1 < len(parts) else 0)
        for i in range(0, len(parts), 2)
    )


def compress_hostlist(names: Iterable[str]) -> str:
    """The shortest exact hostlist of `names` with one bracket per expression, in natural order."""
    by_shape: dict[tuple[str, ...], list[Tokens]] = defaultdict(list)
    for name in set(names):
        tokens = tuple(_DIGITS.split(name))
        by_shape[tokens[0::2]].append(tokens)
    expressions: list[tuple[tuple[tuple[str, int, int], ...], str]] = []
    for group in by_shape.values():
        expressions.extend(_compress_shape(group))
    return ",".join(text for _, text in sorted(expressions))


def _compress_shape(group: list[Tokens]) -> list[tuple[tuple[tuple[str, int, int], ...], str]]:
    """Names sharing their text between digit runs, bracketed along the digit run giving the fewest expressions."""
    fields = range(1, len(group[0]), 2)
    if not fields:
        return [(natural_key(group[0][0]), group[0][0])]
    # On a tie the last digit run wins: it is the one that counts devices (`r001-pdu01`, `n01` of a tray).
    best = min(reversed(fields), key=lambda field: len(_bracket_along(group, field)))
    return _bracket_along(group, best)


def _bracket_along(group: list[Tokens], field: int) -> list[tuple[tuple[tuple[str, int, int], ...], str]]:
    """Group `group` by everything but digit run `field` and its width, then bracket each group's numbers."""
    runs: dict[tuple[str, str, int], list[int]] = defaultdict(list)
    for tokens in group:
        prefix, suffix = "".join(tokens[:field]), "".join(tokens[field + 1 :])
        runs[(prefix, suffix, len(tokens[field]))].append(int(tokens[field]))
    out = []
    for (prefix, suffix, width), numbers in runs.items():
        first = f"{prefix}{min(numbers):0{width}d}{suffix}"
        if len(numbers) == 1:
            out.append((natural_key(first), first))
        else:
            out.append((natural_key(first), f"{prefix}[{_ranges(sorted(numbers), width)}]{suffix}"))
    return out


def _ranges(numbers: list[int], width: int) -> str:
    """`1,2,3,5` -> `01-03,05` at `width` digits."""
    spans: list[list[int]] = []
    for number in numbers:
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ",".join(f"{lo:0{width}d}" if lo == hi else f"{lo:0{width}d}-{hi:0{width}d}" for lo, hi in spans)


def expand_hostlist(expression: str) -> list[str]:
    """The names of a hostlist expression, in the order written; raises ValueError on a malformed one."""
    names: list[str] = []
    for item in _split_top_level(expression):
        names.extend(_expand_item(item))
    return names


def _split_top_level(expression: str) -> list[str]:
    """Split at commas outside brackets (`a[1-2,4],b` -> [`a[1-2,4]`, `b`])."""
    items, depth, start = [], 0, 0
    for i, char in enumerate(expression):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if depth not in (0, 1):
            raise ValueError(f"unbalanced brackets in hostlist {expression!r}")
        if char == "," and depth == 0:
            items.append(expression[start:i])
            start = i + 1
    if depth != 0:
        raise ValueError(f"unbalanced brackets in hostlist {expression!r}")
    items.append(expression[start:])
    if any(not item for item in items):
        raise ValueError(f"empty name in hostlist {expression!r}")
    return items


def _expand_item(item: str) -> list[str]:
    """One expression: a plain name, or `prefix[ranges]suffix` (the suffix may hold further brackets)."""
    match = _BRACKET.match(item)
    if match is None:
        if "[" in item or "]" in item:
            raise ValueError(f"malformed hostlist item {item!r}")
        return [item]
    heads = [f"{match['prefix']}{number}" for number in _expand_ranges(match["ranges"], item)]
    tails = _expand_item(match["suffix"]) if match["suffix"] else [""]
    return [head + tail for head in heads for tail in tails]


def _expand_ranges(ranges: str, item: str) -> list[str]:
    """`01-03,05` -> [`01`, `02`, `03`, `05`]; the width of each range is that of its lower bound, as in Slurm."""
    numbers: list[str] = []
    for part in ranges.split(","):
        lo, _, hi = part.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()) or (hi and int(hi) < int(lo)):
            raise ValueError(f"malformed range {part!r} in hostlist item {item!r}")
        numbers.extend(f"{n:0{len(lo)}d}" for n in range(int(lo), int(hi or lo) + 1))
    return numbers
