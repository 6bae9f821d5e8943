"""The title catalogue (rules/packs/titles.yaml) as domain TitleType objects, and its table rows."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from tinhgon.domain.people import TitleGroup, TitleType
from tinhgon.domain.units import Level
from tinhgon.errors import BadInput

CATALOGUE = Path(__file__).resolve().parent.parent / "rules" / "packs" / "titles.yaml"


@cache
def load_title_types(path: Path = CATALOGUE) -> dict[str, TitleType]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out = {}
        for i, t in enumerate(data["titles"]):
            try:
                out[t["code"]] = TitleType(
                    code=t["code"], name_vi=t["name_vi"], name_en=t["name_en"], level=Level(t["level"]),
                    group=TitleGroup(t["group"]), requires_party_member=bool(t.get("requires_party_member", False)),
                    sort_order=int(t.get("sort_order", 0)))
            except (KeyError, ValueError) as exc:
                raise BadInput(f"titles[{i}]: {exc}", file=str(path)) from exc
        return out
    except (OSError, yaml.YAMLError, TypeError, KeyError) as exc:
        raise BadInput(f"danh mục chức danh không đọc được: {exc}", file=str(path)) from exc
