"""Fixtures of the coordination tests: a connection to a fresh demo database (SQLite and PostgreSQL)
with the Hà Nội urban-government pilot seeded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection

from tinhgon.coordination.governance import seed_hanoi_pilot
from tinhgon.registry import db

PILOT_DAY = dt.date(2022, 1, 1)


@pytest.fixture
def conn(demo_url: str) -> Iterator[Connection]:
    with db.get_engine(demo_url).begin() as c:
        seed_hanoi_pilot(c)
        yield c


@pytest.fixture
def seeded_conn(seeded_url: str) -> Iterator[Connection]:
    with db.get_engine(seeded_url).begin() as c:
        yield c
