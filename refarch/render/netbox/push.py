"""`refarch netbox push`: load a plan's NetBox view into a live NetBox through its REST API (pynetbox).

Kind by kind, in dependency order: read what NetBox holds (the plan's tagged objects, or shared objects by slug),
compare field by field, create what is missing and update what differs, in bulk; a second push finds everything
equal and changes nothing. Objects carrying the plan's tag that the plan no longer has are listed, and deleted
with `prune`. NetBox's refusals become one `OutputError` naming each object, field and NetBox's message.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pynetbox
import requests

from refarch.errors import OutputError
from refarch.render.netbox.kinds import KINDS, Desired, Ids, Kind
from refarch.render.netbox.view import NetBoxView

__all__ = ["Change", "PushReport", "push_view"]

_CHUNK = 100  # objects per bulk request: NetBox validates a request in one transaction
_WORKERS = 4  # bulk requests in flight at once
_DRY_ID = -1  # stands in for the id of an object a dry run would create


@dataclass(frozen=True)
class Change:
    """One object to create, update or retire, with the fields that differ."""

    action: str
    kind: str
    key: str
    fields: tuple[str, ...] = ()


@dataclass
class PushReport:
    """What a push did (or, dry, would do), kind by kind."""

    changes: list[Change] = field(default_factory=list)
    unchanged: dict[str, int] = field(default_factory=dict)

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)


Progress = Callable[[str, int], None]


def push_view(
    view: NetBoxView, url: str, token: str, *, dry_run: bool = False, prune: bool = False,
    progress: Progress | None = None,
) -> PushReport:  # fmt: skip
    """Create or update every object of `view` in the NetBox at `url`.

    Raises:
        OutputError: NetBox cannot be reached, refuses the token, or refuses objects (each named with its field
            and NetBox's message).
    """
    api = pynetbox.api(url, token=token)
    api.http_session.headers["Accept"] = "application/json"
    report = PushReport()
    ids: Ids = {}
    try:
        for kind in KINDS:
            _push_kind(api, kind, view, ids, report, dry_run=dry_run, prune=prune)
            if progress is not None:
                progress(kind.name, len(ids[kind.name]))
    except requests.RequestException as exc:
        raise OutputError(f"NetBox at {url} cannot be reached: {exc}") from None
    return report


def _push_kind(
    api: Any, kind: Kind, view: NetBoxView, ids: Ids, report: PushReport, *, dry_run: bool, prune: bool
) -> None:
    desired = kind.desired(view, ids)
    endpoint = _endpoint(api, kind)
    existing = _existing(endpoint, kind, view, desired, ids)
    ids[kind.name] = {}
    creates: Desired = []
    updates: list[tuple[str, dict[str, Any]]] = []
    for key, payload in desired:
        record = existing.pop(key, None)
        if record is None:
            creates.append((key, payload))
            continue
        ids[kind.name][key] = int(record.id)
        # serialize() turns nested records into ids and choices into values without fetching anything; reading
        # an attribute a nested record lacks would make pynetbox fetch that record (one request per field).
        current = record.serialize()
        changed = {name: value for name, value in payload.items() if not _same(current.get(name), value)}
        if changed:
            updates.append((key, {"id": int(record.id), **changed}))
            report.changes.append(Change("update", kind.name, key, tuple(sorted(changed))))
    report.unchanged[kind.name] = len(desired) - len(creates) - len(updates)
    report.changes.extend(Change("create", kind.name, key) for key, _ in creates)
    retired = [(key, record) for key, record in existing.items() if kind.tagged]
    report.changes.extend(Change("retire" if prune else "stale", kind.name, key) for key, _ in retired)
    if dry_run:
        ids[kind.name].update(dict.fromkeys((key for key, _ in creates), _DRY_ID))
        return
    create = partial(_call, kind, request=lambda c: endpoint.create([payload for _, payload in c]))
    for chunk, made in _in_parallel(create, list(_chunks(creates))):
        ids[kind.name].update({key: int(record.id) for (key, _), record in zip(chunk, made, strict=True)})
    update = partial(_call, kind, request=lambda c: endpoint.update([payload for _, payload in c]))
    for _ in _in_parallel(update, list(_chunks(updates))):
        pass
    if prune and retired:
        _call(kind, retired, lambda c: endpoint.delete([record for _, record in c]))


def _endpoint(api: Any, kind: Kind) -> Any:
    app, name = kind.endpoint.split(".")
    return getattr(getattr(api, app), name)


def _existing(endpoint: Any, kind: Kind, view: NetBoxView, desired: Desired, ids: Ids) -> dict[str, Any]:
    """The objects of this kind NetBox holds that the plan may own, by the view's key."""
    if kind.lookup is not None:
        filters = kind.lookup(desired, ids)
        if not any(filters.values()) or any(v == _DRY_ID for values in filters.values() for v in values):
            return {}
    elif ids.get("tag", {}).get(view.tag, _DRY_ID) == _DRY_ID:
        return {}  # the plan's tag is new (or only planned in a dry run): nothing carries it yet
    else:
        filters = {"tag": view.tag}
    found = _call(kind, [], lambda _: list(endpoint.filter(**filters, limit=0)))
    names = {name: {value: key for key, value in keys.items()} for name, keys in ids.items()}
    return {kind.identity(record, names): record for record in found}


def _same(current: Any, wanted: Any) -> bool:
    """Whether NetBox's serialised value (ids for records, values for choices, lists of tags or terminations)
    equals the payload's."""
    if isinstance(wanted, list):
        return sorted(_normalise(v) for v in (current or [])) == sorted(_normalise(v) for v in wanted)
    value = _normalise(current)
    if isinstance(wanted, float) and isinstance(value, int | float):
        return abs(float(value) - wanted) < 1e-9
    if wanted is None:
        return value in (None, "")
    return bool(value == wanted)


def _normalise(value: Any) -> Any:
    """A serialised value in the payload's terms: a cable termination as (type, id), anything else as it is."""
    if isinstance(value, dict) and "object_id" in value:
        return (value.get("object_type"), value["object_id"])
    return value


def _in_parallel(
    request: Callable[[Sequence[Any]], Any], chunks: list[Sequence[Any]]
) -> Iterator[tuple[Sequence[Any], Any]]:
    """Each chunk with its response, the requests running `_WORKERS` at a time: NetBox spends most of a bulk
    request validating and logging each object, one core per request, so concurrent chunks use its workers."""
    if len(chunks) <= 1:
        yield from ((chunk, request(chunk)) for chunk in chunks)
        return
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        yield from zip(chunks, pool.map(request, chunks), strict=True)


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _call(kind: Kind, chunk: Sequence[tuple[str, Any]], request: Callable[[Any], Any]) -> Any:
    """Run one request; NetBox's refusal becomes an OutputError naming each refused object and field."""
    try:
        return request(chunk)
    except pynetbox.RequestError as exc:
        raise OutputError(_refusal(kind, [key for key, _ in chunk], exc)) from None


def _refusal(kind: Kind, keys: Sequence[str], exc: Any) -> str:
    status = getattr(getattr(exc, "req", None), "status_code", "?")
    if status in (401, 403):
        return f"NetBox refused the token ({status}): check NETBOX_TOKEN and its write permissions"
    detail = exc.error
    with contextlib.suppress(TypeError, ValueError):
        detail = json.loads(exc.error)
    if isinstance(detail, dict) and isinstance(detail.get("errors"), list):
        # NetBox 4.7's bulk answer: {"detail": "...", "errors": [{"index": i, "errors": {field: [messages]}}]}
        detail = {int(e.get("index", -1)): e.get("errors", {}) for e in detail["errors"]}
        detail = [detail.get(i, {}) for i in range(len(keys))]
    if isinstance(detail, list) and len(detail) == len(keys):
        lines = [f"{kind.name} {key}: {msg}" for key, error in zip(keys, detail, strict=True)
                 for msg in _messages(error)]  # fmt: skip
    else:
        lines = [f"{kind.name}: {msg}" for msg in _messages(detail)]
    return f"NetBox refused {len(lines)} field(s) of {kind.name} objects (HTTP {status}):\n  " + "\n  ".join(lines)


def _messages(error: Any) -> Iterable[str]:
    if isinstance(error, dict):
        for name, value in error.items():
            for message in value if isinstance(value, list) else [value]:
                yield f"{name}: {message}"
    elif error:
        yield str(error)
