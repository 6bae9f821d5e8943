"""Shared fixtures: the default rule book and the title catalogue."""

from __future__ import annotations

import pytest
import yaml
from rules_builders import PACKS

from tinhgon.domain.people import TitleGroup, TitleType
from tinhgon.domain.units import Level
from tinhgon.rules import RuleBook


@pytest.fixture(scope="session")
def book() -> RuleBook:
    return RuleBook.load_default(use_env=False)


@pytest.fixture(scope="session")
def title_types() -> dict[str, TitleType]:
    data = yaml.safe_load((PACKS / "titles.yaml").read_text(encoding="utf-8"))
    return {t["code"]: TitleType(t["code"], t["name_vi"], t["name_en"], Level(t["level"]), TitleGroup(t["group"]),
                                 t.get("requires_party_member", False), t.get("sort_order", 0))
            for t in data["titles"]}
