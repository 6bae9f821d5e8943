"""What the web processes keep between requests, valid exactly as long as the data it was read from.

Every entry is tied to the registry's data version (``tinhgon.reliability.dataversion``): a counter
that every committed change raises, whichever process made it (another web worker, the CLI, an
import). Work on top of the registry (ballots, plans, staffing) raises a second counter instead, so
entering a ballot does not throw away every ward's cached page. A request reads the counters once;
an entry stored under an older number is never served. So a unit's figures, scopes and accounts are
read from the database once per change, not once per page, and no page ever shows data older than
the request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Connection
from starlette.responses import Response

from tinhgon.reliability import dataversion

T = TypeVar("T")
_MISSING = object()


class VersionedCache:
    """A memo for one database: entries live while the data version they were read at is current."""

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self.version = -1
        self._data: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def get(self, version: int, key: Hashable) -> Any:
        with self._lock:
            if version != self.version:
                return _MISSING
            return self._data.get(key, _MISSING)

    def put(self, version: int, key: Hashable, value: Any) -> None:
        with self._lock:
            if version > self.version:  # the data moved on: everything kept so far is stale
                self.version = version
                self._data.clear()
            if version != self.version:
                return  # read at an older version by a request that started before the change
            if len(self._data) >= self.size:
                self._data.clear()
            self._data[key] = value

    def memo(self, version: int, key: Hashable, compute: Callable[[], T]) -> T:
        hit = self.get(version, key)
        if hit is not _MISSING:
            return hit
        value = compute()
        self.put(version, key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_CACHES: dict[tuple[str, int], VersionedCache] = {}
_CACHES_LOCK = threading.Lock()


def for_connection(conn: Connection, domain: int = dataversion.REGISTRY) -> VersionedCache:
    """The cache of DOMAIN's data on the database CONN is on (one per database URL in this process)."""
    key = (str(conn.engine.url), domain)
    cache = _CACHES.get(key)
    if cache is None:
        with _CACHES_LOCK:
            cache = _CACHES.setdefault(key, VersionedCache())
    return cache


def version_of(conn: Connection, domain: int = dataversion.REGISTRY) -> int:
    """DOMAIN's data version as this connection sees it (read once per transaction: one small query)."""
    return dataversion.seen(conn)[domain - 1]


def memo(conn: Connection, key: Hashable, compute: Callable[[], T], domain: int = dataversion.REGISTRY) -> T:
    """COMPUTE() once per version of DOMAIN's data (by default the registry's: units, people, holdings,
    accounts) for KEY, on CONN's database.

    A transaction that has written that data sees its own uncommitted rows: what it reads is computed
    afresh and never stored, so no other request can be shown data that may yet be rolled back."""
    if dataversion.wrote(conn, domain):
        return compute()
    return for_connection(conn, domain).memo(version_of(conn, domain), key, compute)


def remember(conn: Connection, key: Hashable, value: Any, domain: int = dataversion.REGISTRY) -> None:
    """Keep VALUE under KEY as memo() would have computed it (a query that answered for several keys at
    once); nothing is kept from a transaction that has written DOMAIN's data."""
    if not dataversion.wrote(conn, domain):
        for_connection(conn, domain).put(version_of(conn, domain), key, value)


def json_response(conn: Connection, key: Hashable, build: Callable[[], BaseModel],
                  domain: int = dataversion.REGISTRY) -> Response:
    """An API answer serialised once per data version: BUILD() makes the response model, whose JSON is
    kept and sent as it is (FastAPI would otherwise validate and serialise the model again on every
    request). The route keeps its response_model, so the OpenAPI schema still says what is sent."""
    body = memo(conn, ("json", key), lambda: build().model_dump_json().encode(), domain=domain)
    return Response(content=body, media_type="application/json")
