"""Read and write the plain-file formats of FORMATS.md; every refusal is a BadInput naming file and row."""

from __future__ import annotations

import csv
import io
import math
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from tinhgon.errors import BadInput
from tinhgon.planner.problem import PlanningProblem, nbrs_from_edges

_TRUE = {"1", "true", "yes", "x", "có"}
_FALSE = {"", "0", "false", "no", "không"}


def _rows(path: Path, required: Sequence[str], optional: Sequence[str] = ()
          ) -> Iterator[tuple[int, list[str]]]:
    """(line number, values) of a UTF-8 CSV (a byte-order mark is accepted). The first item yielded
    is (1, column names in the order `required` + `optional`, "" for an absent optional column);
    every later item holds those columns' values, stripped, in the same order."""
    name = str(path)
    if not path.is_file():
        raise BadInput("không tìm thấy tệp", file=name)
    try:
        fh = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise BadInput(f"không đọc được tệp ({exc.strerror})", file=name) from exc
    with fh:
        try:
            text = fh.read()
            if '"' not in text:
                # no quoting: plain splitting is several times faster than the csv module
                yield from _split_rows(text, name, required, optional)
                return
            reader = csv.reader(io.StringIO(text, newline=""))
            header = next(reader, None)
            if header is None or not any(h.strip() for h in header):
                raise BadInput("tệp rỗng (thiếu dòng tiêu đề)", file=name)
            cols = [h.strip().lower() for h in header]
            for col in required:
                if col not in cols:
                    raise BadInput(f"thiếu cột bắt buộc {col!r}", file=name, row=1, field=col)
            wanted = [*required, *optional]
            idx = [cols.index(c) if c in cols else -1 for c in wanted]
            yield 1, [c if i >= 0 else "" for c, i in zip(wanted, idx, strict=True)]
            width = max(idx) + 1
            any_row = False
            for rec in reader:
                if len(rec) < width:
                    if not any(x.strip() for x in rec):
                        continue  # blank line
                    rec = rec + [""] * (width - len(rec))
                any_row = True
                yield reader.line_num, [rec[i].strip() if i >= 0 else "" for i in idx]
            if not any_row:
                raise BadInput("tệp không có dòng dữ liệu nào", file=name)
        except UnicodeDecodeError as exc:
            raise BadInput("tệp không phải UTF-8", file=name) from exc
        except csv.Error as exc:
            raise BadInput(f"CSV lỗi: {exc}", file=name) from exc


def _split_rows(text: str, name: str, required: Sequence[str], optional: Sequence[str]
                ) -> Iterator[tuple[int, list[str]]]:
    lines = text.splitlines()
    if not lines or not lines[0].strip().strip(","):
        raise BadInput("tệp rỗng (thiếu dòng tiêu đề)", file=name)
    cols = [h.strip().lower() for h in lines[0].split(",")]
    for col in required:
        if col not in cols:
            raise BadInput(f"thiếu cột bắt buộc {col!r}", file=name, row=1, field=col)
    wanted = [*required, *optional]
    idx = [cols.index(c) if c in cols else -1 for c in wanted]
    yield 1, [c if i >= 0 else "" for c, i in zip(wanted, idx, strict=True)]
    width = max(idx) + 1
    any_row = False
    for k in range(1, len(lines)):
        rec = lines[k].split(",")
        if len(rec) < width:
            if not lines[k].strip(" ,\t"):
                continue
            rec += [""] * (width - len(rec))
        any_row = True
        yield k + 1, [rec[i].strip() if i >= 0 else "" for i in idx]
    if not any_row:
        raise BadInput("tệp không có dòng dữ liệu nào", file=name)


def _int(value: str, name: str, line: int, col: str) -> int:
    try:
        x = int(value)
    except ValueError:
        try:
            f = float(value)
        except ValueError:
            raise BadInput(f"{value!r} không phải số nguyên", file=name, row=line, field=col) from None
        if not math.isfinite(f) or f != int(f):
            raise BadInput(f"{value!r} không phải số nguyên", file=name, row=line, field=col) from None
        x = int(f)
    if x < 0:
        raise BadInput(f"{value!r} là số âm", file=name, row=line, field=col)
    return x


def read_problem(units: Path, adjacency: Path, threshold: int, pairs: Path | None = None,
                 max_size: int | None = None) -> PlanningProblem:
    """Read units.csv, adjacency.csv and optionally pairs.csv into a PlanningProblem."""
    if threshold <= 0:
        raise BadInput(f"--threshold phải là số nguyên dương (nhận {threshold})")
    if max_size is not None and max_size < threshold:
        raise BadInput(f"--max-size ({max_size}) nhỏ hơn ngưỡng {threshold}: không nhóm nào đạt ngưỡng được")
    uname = str(units)
    codes: list[str] = []
    index: dict[str, int] = {}
    hh: list[int] = []
    parent_names: list[str] = []
    locked: list[bool] = []
    lat: list[float] = []
    lon: list[float] = []
    has_coords = True
    rows = _rows(units, ["code", "households"], ["parent_code", "locked", "lat", "lon"])
    next(rows)
    for line, (code, hh_s, parent, lk, la, lo) in rows:
        if not code:
            raise BadInput("mã đơn vị trống", file=uname, row=line, field="code")
        if code in index:
            raise BadInput(f"mã đơn vị {code!r} bị trùng (đã có ở trên)", file=uname, row=line, field="code")
        h = int(hh_s) if hh_s.isdigit() else _int(hh_s, uname, line, "households")
        if max_size is not None and h > max_size:
            raise BadInput(f"đơn vị {code} có {h} hộ, vượt --max-size {max_size}: không thể có phương án hợp lệ",
                           file=uname, row=line, field="households")
        lk = lk.lower()
        if lk not in _TRUE and lk not in _FALSE:
            raise BadInput(f"giá trị locked {lk!r} không hợp lệ (dùng 1 hoặc 0)", file=uname, row=line,
                           field="locked")
        if la and lo:
            try:
                fla, flo = float(la), float(lo)
            except ValueError:
                raise BadInput(f"toạ độ {la!r}, {lo!r} không phải số", file=uname, row=line,
                               field="lat") from None
            if not (math.isfinite(fla) and math.isfinite(flo)):
                raise BadInput("toạ độ không hữu hạn", file=uname, row=line, field="lat")
            lat.append(fla)
            lon.append(flo)
        else:
            has_coords = False
        index[code] = len(codes)
        codes.append(code)
        hh.append(h)
        parent_names.append(parent)
        locked.append(lk in _TRUE)
    pid: dict[str, int] = {}
    parents = [-1 if not p else pid.setdefault(p, len(pid)) for p in parent_names]

    aname = str(adjacency)
    edges: list[tuple[int, int]] = []
    rows = _rows(adjacency, ["a", "b"])
    next(rows)
    get = index.get
    for line, (a, b) in rows:
        ia, ib = get(a), get(b)
        if ia is None or ib is None:
            col, c = ("a", a) if ia is None else ("b", b)
            raise BadInput(f"mã {c!r} không có trong {units.name}", file=aname, row=line, field=col)
        if ia == ib:
            raise BadInput(f"đơn vị {a} kề với chính nó", file=aname, row=line)
        edges.append((ia, ib))

    forbid: list[tuple[int, int]] = []
    prefer: list[tuple[int, int]] = []
    if pairs is not None:
        pname = str(pairs)
        kinds: dict[tuple[int, int], str] = {}
        rows = _rows(pairs, ["a", "b", "relation"])
        next(rows)
        for line, (a, b, rel) in rows:
            rel = rel.lower()
            for col, c in (("a", a), ("b", b)):
                if c not in index:
                    raise BadInput(f"mã {c!r} không có trong {units.name}", file=pname, row=line, field=col)
            if rel not in ("forbid", "prefer"):
                raise BadInput(f"quan hệ {rel!r} không hợp lệ (chỉ nhận forbid hoặc prefer)", file=pname,
                               row=line, field="relation")
            if a == b:
                raise BadInput(f"cặp một đơn vị với chính nó ({a})", file=pname, row=line)
            key = (min(index[a], index[b]), max(index[a], index[b]))
            if kinds.get(key, rel) != rel:
                raise BadInput(f"cặp {a}–{b} vừa forbid vừa prefer", file=pname, row=line, field="relation")
            if key in kinds:
                continue
            kinds[key] = rel
            (forbid if rel == "forbid" else prefer).append(key)

    n = len(codes)
    return PlanningProblem(
        households=hh, nbrs=nbrs_from_edges(n, edges), threshold=threshold, parents=parents,
        locked=locked, forbid=forbid, prefer=prefer, max_size=max_size,
        coords=list(zip(lat, lon, strict=True)) if has_coords and n else None, codes=codes)


def read_plan(path: Path) -> list[tuple[int, str, str]]:
    """(line, code, group) rows of plan.csv."""
    rows = _rows(path, ["code", "group"])
    next(rows)
    return [(line, code, group) for line, (code, group) in rows]


def check_writable(path: Path) -> None:
    """Refuse early (exit 2, nothing written) when an output cannot be created."""
    parent = path.resolve().parent
    if not parent.is_dir():
        raise BadInput("thư mục chứa tệp kết quả không tồn tại", file=str(path))
    if path.is_dir():
        raise BadInput("đường dẫn kết quả là một thư mục", file=str(path))


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder, so a failure leaves nothing half-written."""
    fd, tmp = tempfile.mkstemp(prefix=".tinhgon-", dir=str(path.resolve().parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def plan_csv(codes: Sequence[str], labels: Sequence[int]) -> str:
    """plan.csv text: code,group with groups named N0001, N0002... in order of first appearance."""
    width = max(4, len(str(max(labels, default=0) + 1)))
    out = ["code,group"]
    for c, g in zip(codes, labels, strict=True):
        out.append(f"{_csv_field(c)},N{g + 1:0{width}d}")
    return "\n".join(out) + "\n"


def _csv_field(s: str) -> str:
    if any(ch in s for ch in ',"\n\r'):
        return '"' + s.replace('"', '""') + '"'
    return s
