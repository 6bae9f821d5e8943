"""Read rule packs from YAML, validate them, and refuse a bad pack with one clear message.

The message names the file, the key path and the problem, e.g.
``national/nd33-2023.yaml: rules[3].coefficient: phải là số dương (must be a positive number)``.
Checks beyond the schema: unique rule ids, known title codes, supersession targets, and no two rules
with the same key overlapping in time within one layer (national, or one province).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tinhgon.domain.units import in_force, periods_overlap
from tinhgon.errors import BadInput
from tinhgon.rules.results import RuleRef
from tinhgon.rules.schema import (
    RULE_KINDS,
    GroupTitlesRule,
    PackFile,
    PackInfo,
    RuleBase,
    TitleAgeLimitRule,
    TitleCatalogue,
    TitleEntry,
)

PACKS_DIR = Path(__file__).parent / "packs"
DEFAULT_DIRS = (PACKS_DIR / "national", PACKS_DIR / "provinces")
TITLES_FILE = PACKS_DIR / "titles.yaml"
ENV_EXTRA = "TINHGON_RULE_PACKS"  # extra pack files or folders, separated by os.pathsep


@dataclass(slots=True)
class LoadedRule:
    rule: RuleBase
    pack: PackInfo
    source: str          # display name: "national/nd33-2023.yaml"
    index: int           # position in the file's rules list, for messages
    valid_to: dt.date | None  # effective end after supersession

    @property
    def kind(self) -> str:
        return self.rule.kind  # type: ignore[attr-defined]

    @property
    def layer(self) -> str | None:
        return self.pack.province_code

    @property
    def valid_from(self) -> dt.date | None:
        return self.rule.valid_from

    def in_force(self, on: dt.date) -> bool:
        return in_force(self.rule.valid_from, self.valid_to, on)

    def ref(self) -> RuleRef:
        citation = self.rule.citation or self.pack.document
        return RuleRef(
            rule_id=self.rule.id, kind=self.kind, pack_id=self.pack.id, source=self.source,
            citation=citation.text(), tag=self.rule.tag, date_tag=self.rule.date_tag,
            valid_from=self.rule.valid_from, valid_to=self.valid_to, note=self.rule.note,
            example=self.pack.example, province_code=self.pack.province_code,
        )


@dataclass(slots=True)
class LoadedPack:
    info: PackInfo
    source: str
    path: Path


# --- error messages -------------------------------------------------------------------------------

def _loc_text(loc: Sequence[int | str]) -> str:
    out = ""
    parts = list(loc)
    i = 0
    while i < len(parts):
        p = parts[i]
        if isinstance(p, int):
            out += f"[{p}]"
            # the discriminated union adds the rule kind to the path: drop it, the index says enough
            if i + 1 < len(parts) and parts[i + 1] in RULE_KINDS and i > 0 and parts[i - 1] == "rules":
                i += 1
        elif p == "[key]":
            out += "(khóa)"
        else:
            out += ("." if out else "") + str(p)
        i += 1
    return out


def _problem_text(err: dict[str, Any]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    simple = {
        "missing": "thiếu khóa bắt buộc (missing key)",
        "extra_forbidden": "khóa không được phép (unknown key)",
        "int_type": "phải là số nguyên (must be an integer)",
        "float_type": "phải là số (must be a number)",
        "string_type": "phải là chuỗi (must be a string)",
        "bool_type": "phải là true/false (must be a boolean)",
        "date_type": "phải là ngày dạng YYYY-MM-DD (must be a date)",
        "list_type": "phải là danh sách (must be a list)",
        "dict_type": "phải là bảng khóa: giá trị (must be a mapping)",
        "model_type": "phải là bảng khóa: giá trị (must be a mapping)",
        "model_attributes_type": "phải là bảng khóa: giá trị (must be a mapping)",
        "union_tag_not_found": "thiếu khóa kind (missing key 'kind')",
    }
    if kind in simple:
        return simple[kind]
    if kind == "greater_than":
        gt = ctx.get("gt")
        if gt == 0:
            return "phải là số dương (must be a positive number)"
        return f"phải lớn hơn {gt} (must be greater than {gt})"
    if kind == "greater_than_equal":
        return f"phải ≥ {ctx.get('ge')} (must be at least {ctx.get('ge')})"
    if kind == "less_than_equal":
        return f"phải ≤ {ctx.get('le')} (must be at most {ctx.get('le')})"
    if kind == "literal_error":
        return f"giá trị {err.get('input')!r} không hợp lệ, cần một trong: {ctx.get('expected')} (invalid value)"
    if kind == "union_tag_invalid":
        return (f"kind {ctx.get('tag')!r} không hợp lệ, cần một trong: {', '.join(RULE_KINDS)} "
                f"(unknown rule kind)")
    if kind == "string_pattern_mismatch":
        return f"sai định dạng, cần khớp {ctx.get('pattern')} (bad format)"
    if kind in ("too_short", "too_long"):
        return f"số phần tử không hợp lệ ({err.get('msg')})"
    if kind == "value_error":
        msg = str(err.get("msg", ""))
        return msg.removeprefix("Value error, ")
    return f"{err.get('msg')} ({kind})"


def _fail(source: str, where: str, problem: str) -> BadInput:
    return BadInput(f"{where}: {problem}" if where else problem, file=source)


def _display_name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


# --- reading --------------------------------------------------------------------------------------

def _read_yaml(path: Path, source: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BadInput(f"không đọc được tệp (cannot read file): {exc.strerror}", file=source) from exc
    except UnicodeDecodeError as exc:
        raise BadInput("tệp không phải UTF-8 (not UTF-8)", file=source) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise BadInput(f"YAML sai cú pháp (YAML syntax error): {problem}", file=source,
                       row=(mark.line + 1) if mark else None) from exc


def load_titles(path: Path = TITLES_FILE) -> dict[str, TitleEntry]:
    source = _display_name(path)
    data = _read_yaml(path, source)
    try:
        cat = TitleCatalogue.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise _fail(source, _loc_text(err["loc"]), _problem_text(dict(err))) from None
    titles: dict[str, TitleEntry] = {}
    for i, t in enumerate(cat.titles):
        if t.code in titles:
            raise _fail(source, f"titles[{i}].code", f"mã chức danh {t.code!r} lặp lại (duplicate title code)")
        titles[t.code] = t
    return titles


def parse_pack(path: Path, source: str | None = None) -> tuple[PackFile, str]:
    """Validate one pack file; raises BadInput with the file, key path and problem."""
    source = source or _display_name(path)
    data = _read_yaml(path, source)
    if not isinstance(data, dict):
        raise BadInput("tệp phải là bảng có khóa pack và rules (must be a mapping with 'pack' and 'rules')",
                       file=source)
    try:
        return PackFile.model_validate(data), source
    except ValidationError as exc:
        errors = exc.errors()
        err = errors[0]
        more = f" (và {len(errors) - 1} lỗi khác)" if len(errors) > 1 else ""
        raise _fail(source, _loc_text(err["loc"]), _problem_text(dict(err)) + more) from None


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files as given; folders give their *.yaml / *.yml files in name order (not sub-folders)."""
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(sorted(f for f in p.iterdir() if f.suffix in (".yaml", ".yml") and f.is_file()))
        elif p.is_file():
            files.append(p)
        else:
            raise BadInput("không tìm thấy tệp hoặc thư mục gói quy định (rule pack path not found)",
                           file=str(p))
    return files


def env_paths() -> list[Path]:
    raw = os.environ.get(ENV_EXTRA, "")
    return [Path(p) for p in raw.split(os.pathsep) if p.strip()]


# --- cross-file checks ----------------------------------------------------------------------------

def _fmt_period(a: dt.date | None, b: dt.date | None) -> str:
    return f"[{a.isoformat() if a else '…'}, {b.isoformat() if b else '…'})"


def build(files: Sequence[Path], titles: dict[str, TitleEntry]) -> tuple[list[LoadedPack], list[LoadedRule],
                                                                         list[LoadedPack]]:
    """Parse and check all files. Returns (packs in use, their rules, packs skipped as disabled)."""
    packs: list[LoadedPack] = []
    skipped: list[LoadedPack] = []
    rules: list[LoadedRule] = []
    seen_pack: dict[str, str] = {}
    by_id: dict[str, LoadedRule] = {}
    for path in files:
        parsed, source = parse_pack(path)
        info = parsed.pack
        if not info.enabled:
            skipped.append(LoadedPack(info, source, path))
            continue
        if info.id in seen_pack:
            raise _fail(source, "pack.id", f"mã gói {info.id!r} đã dùng ở {seen_pack[info.id]} (duplicate pack id)")
        seen_pack[info.id] = source
        packs.append(LoadedPack(info, source, path))
        for i, rule in enumerate(parsed.rules):
            where = f"rules[{i}]"
            if rule.id in by_id:
                other = by_id[rule.id]
                raise _fail(source, f"{where}.id",
                            f"mã quy tắc {rule.id!r} đã dùng ở {other.source} (duplicate rule id)")
            if isinstance(rule, TitleAgeLimitRule):
                for j, code in enumerate(rule.titles):
                    if code not in titles:
                        raise _fail(source, f"{where}.titles[{j}]",
                                    f"mã chức danh {code!r} không có trong titles.yaml (unknown title code)")
            if isinstance(rule, GroupTitlesRule):
                for j, code in enumerate(rule.titles):
                    if code not in titles:
                        raise _fail(source, f"{where}.titles[{j}]",
                                    f"mã chức danh {code!r} không có trong titles.yaml (unknown title code)")
                for j, pair in enumerate(rule.encouraged_pairs):
                    for k, code in enumerate(pair):
                        if code not in rule.titles:
                            raise _fail(source, f"{where}.encouraged_pairs[{j}][{k}]",
                                        f"mã chức danh {code!r} không thuộc titles của quy tắc (unknown title code)")
            lr = LoadedRule(rule, info, source, i, rule.valid_to)
            by_id[rule.id] = lr
            rules.append(lr)

    # supersession: a later document ends an earlier rule without editing the earlier pack
    for lr in rules:
        for j, target_id in enumerate(lr.rule.supersedes):
            where = f"rules[{lr.index}].supersedes[{j}]"
            target = by_id.get(target_id)
            if target is None:
                raise _fail(lr.source, where, f"không tìm thấy quy tắc {target_id!r} (unknown rule id)")
            start = lr.rule.valid_from
            assert start is not None  # schema: supersedes needs valid_from
            if target.valid_from is not None and target.valid_from >= start:
                raise _fail(lr.source, where,
                            f"quy tắc {target_id!r} bắt đầu từ {target.valid_from.isoformat()}, không sớm hơn "
                            f"{start.isoformat()} (cannot supersede a rule that starts later)")
            if target.valid_to is None or target.valid_to > start:
                target.valid_to = start

    # overlap: within one layer, one rule per key on any day (an age limit: one per title)
    groups: dict[tuple[str | None, tuple[str, ...]], list[LoadedRule]] = {}
    for lr in rules:
        if isinstance(lr.rule, TitleAgeLimitRule):
            for code in set(lr.rule.titles):
                groups.setdefault((lr.layer, (lr.rule.kind, code)), []).append(lr)
            continue
        groups.setdefault((lr.layer, lr.rule.key()), []).append(lr)
    for (_, key), members in groups.items():
        for a_i, a in enumerate(members):
            for b in members[a_i + 1:]:
                if periods_overlap(a.valid_from, a.valid_to, b.valid_from, b.valid_to):
                    raise _fail(
                        b.source, f"rules[{b.index}]",
                        f"hiệu lực {_fmt_period(b.valid_from, b.valid_to)} chồng lấn với quy tắc {a.rule.id!r} "
                        f"({a.source}, {_fmt_period(a.valid_from, a.valid_to)}) cùng khóa {'/'.join(key)}; "
                        f"dùng supersedes hoặc valid_to (overlapping validity for the same rule key)")
    return packs, rules, skipped
