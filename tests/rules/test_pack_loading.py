"""Packs are data: a new file changes answers with no code change; a malformed file is refused with one
clear message naming the file, the key path and the problem."""

import datetime as dt
import shutil
import textwrap
from pathlib import Path

import pytest
import yaml
from rules_builders import PACKS, group

from tinhgon.domain.units import Kind
from tinhgon.errors import BadInput
from tinhgon.rules import RuleBook

DEFAULT_DIRS = [PACKS / "national", PACKS / "provinces"]

HEADER = """
pack:
  id: test-pack
  title: Gói thử
  scope: national
  document: {document: Văn bản thử}
rules:
"""


def write_pack(folder: Path, name: str, rules_yaml: str, header: str = HEADER) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(header).lstrip() + textwrap.indent(textwrap.dedent(rules_yaml).strip(), "  ")
                    + "\n", encoding="utf-8")
    return path


def refused(paths: list[Path]) -> str:
    with pytest.raises(BadInput) as info:
        RuleBook.load(paths)
    assert info.value.exit_code == 2
    return str(info.value)


# --- a new pack changes answers --------------------------------------------------------------------

def test_new_base_salary_pack_in_a_temp_dir_changes_answers_without_code_change(tmp_path):
    write_pack(tmp_path / "extra", "base-salary-2026.yaml", """
        - id: base-salary.2026-test
          kind: base_salary
          amount: 2600000
          tag: M
          valid_from: 2026-07-01
          supersedes: [base-salary.2024]
    """)
    before = RuleBook.load(DEFAULT_DIRS)
    after = RuleBook.load([*DEFAULT_DIRS, tmp_path / "extra"])
    thon = group(Kind.THON, 100, province="40")
    assert before.base_salary(dt.date(2026, 7, 1)).amount == 2_340_000
    assert after.base_salary(dt.date(2026, 7, 1)).amount == 2_600_000
    assert after.base_salary(dt.date(2026, 6, 30)).amount == 2_340_000
    assert after.group_fund(thon, dt.date(2026, 7, 1)).monthly == 11_700_000  # 4.5 × 2,600,000
    assert after.rule("base-salary.2024").valid_to == dt.date(2026, 7, 1)


def test_env_variable_adds_pack_folders(tmp_path, monkeypatch):
    write_pack(tmp_path, "base-salary-2026.yaml", """
        - id: base-salary.2026-env
          kind: base_salary
          amount: 2500000
          tag: M
          valid_from: 2026-07-01
          supersedes: [base-salary.2024]
    """)
    monkeypatch.setenv("TINHGON_RULE_PACKS", str(tmp_path))
    assert RuleBook.load_default().base_salary(dt.date(2027, 1, 1)).amount == 2_500_000
    assert RuleBook.load_default(use_env=False).base_salary(dt.date(2027, 1, 1)).amount == 2_340_000


def test_example_draft_2026_pack_is_off_by_default(book):
    assert all(not p.info.example for p in book.packs)
    example = RuleBook.load([*DEFAULT_DIRS, PACKS / "examples"])
    assert [p.info.id for p in example.skipped] == ["example-draft-2026-thon-tdp"]
    tdp = group(Kind.TO_DAN_PHO, 450, province="31")
    assert example.household_standard(tdp, dt.date(2026, 7, 1)).standard == 350


def test_example_draft_2026_pack_once_enabled_changes_standard_fund_and_oversize(tmp_path):
    data = yaml.safe_load((PACKS / "examples" / "draft-2026-thon-tdp.yaml").read_text(encoding="utf-8"))
    data["pack"]["enabled"] = True
    (tmp_path / "draft.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    book = RuleBook.load([*DEFAULT_DIRS, tmp_path])
    tdp = group(Kind.TO_DAN_PHO, 450, province="31")
    ans = book.household_standard(tdp, dt.date(2026, 7, 1))
    assert ans.standard == 500
    assert "VÍ DỤ" in ans.explain()
    assert book.household_standard(tdp, dt.date(2026, 6, 30)).standard == 350
    assert book.group_fund(tdp, dt.date(2026, 7, 1)).coefficient == 5
    assert book.group_size_max(tdp, dt.date(2026, 7, 1)).households == 1500
    assert book.group_size_max(tdp, dt.date(2026, 6, 30)) is None
    assert any(r.example for r in book.assumptions())


def test_every_m_rule_is_listed_as_an_assumption(book):
    ids = {r.rule_id for r in book.assumptions()}
    assert {"ho-chi-minh.hh.tdp", "ha-noi.release-support.default", "regions.legacy-63", "regions.new-34",
            "lcq2025.procedure.group", "nd33-2023.group-fund"} <= ids
    assert "base-salary.2019" not in ids


def test_every_shipped_rule_has_citation_tag_and_validity(book):
    for ref in book.refs():
        assert ref.citation and ref.tag in ("C", "C-2", "M")
        assert ref.valid_from is not None or ref.kind == "province_regions"


# --- malformed packs -------------------------------------------------------------------------------

def test_missing_key_is_named_with_file_and_path(tmp_path):
    path = write_pack(tmp_path / "national", "nd99.yaml", """
        - id: x.base
          kind: base_salary
          amount: 1000
          valid_from: 2030-01-01
    """)
    msg = refused([path])
    assert msg.startswith("national/nd99.yaml: rules[0].tag: thiếu khóa bắt buộc")


def test_wrong_type_is_named(tmp_path):
    path = write_pack(tmp_path / "national", "nd99.yaml", """
        - id: x.hh
          kind: household_standard
          area: mien_trung
          group_type: thon
          households: "nhiều"
          tag: C
          valid_from: 2030-01-01
    """)
    assert refused([path]) == "national/nd99.yaml: rules[0].households: phải là số nguyên (must be an integer)"


def test_non_positive_coefficient_is_refused(tmp_path):
    path = write_pack(tmp_path / "national", "nd33-2023.yaml", """
        - id: x.a
          kind: base_salary
          amount: 1000
          tag: C
          valid_from: 2030-01-01
        - id: x.b
          kind: base_salary
          amount: 1000
          tag: C
          valid_from: 2031-01-01
        - id: x.c
          kind: base_salary
          amount: 1000
          tag: C
          valid_from: 2032-01-01
        - id: x.fund
          kind: group_fund
          tag: C
          valid_from: 2030-01-01
          tiers:
            - {id: only, label: tất cả, coefficient: -6.0}
    """)
    assert refused([path]) == ("national/nd33-2023.yaml: rules[3].tiers[0].coefficient: phải là số dương "
                               "(must be a positive number)")


def test_overlapping_validity_for_the_same_key_is_refused(tmp_path):
    path = write_pack(tmp_path / "extra", "salary.yaml", """
        - id: x.salary
          kind: base_salary
          amount: 2500000
          tag: M
          valid_from: 2025-01-01
    """)
    msg = refused([*DEFAULT_DIRS, path])
    assert msg.startswith("extra/salary.yaml: rules[0]: hiệu lực [2025-01-01, …) chồng lấn "
                          "với quy tắc 'base-salary.2024'")
    assert "overlapping validity" in msg


def test_overlap_inside_one_file_is_refused(tmp_path):
    path = write_pack(tmp_path / "p", "a.yaml", """
        - id: x.one
          kind: household_standard
          area: mien_trung
          group_type: thon
          households: 100
          tag: C
          valid_from: 2020-01-01
          valid_to: 2022-01-01
        - id: x.two
          kind: household_standard
          area: mien_trung
          group_type: thon
          households: 120
          tag: C
          valid_from: 2021-12-31
    """)
    assert "rules[1]: hiệu lực [2021-12-31, …) chồng lấn với quy tắc 'x.one'" in refused([path])


def test_same_key_in_different_provinces_is_not_an_overlap(tmp_path):
    for code in ("31", "48"):
        write_pack(tmp_path, f"{code}.yaml", f"""
            - id: p{code}.hh
              kind: household_standard
              area: mien_trung
              group_type: thon
              households: 111
              tag: M
              valid_from: 2020-01-01
        """, header=HEADER.replace("scope: national", f'scope: province\n  province_code: "{code}"')
                                .replace("id: test-pack", f"id: test-{code}"))
    book = RuleBook.load([*DEFAULT_DIRS, tmp_path])
    assert book.household_standard(group(Kind.THON, 100, province="48"), dt.date(2021, 1, 1)).standard == 111
    assert book.household_standard(group(Kind.THON, 100, province="40"), dt.date(2021, 1, 1)).standard == 250


def test_unknown_title_code_is_refused(tmp_path):
    path = write_pack(tmp_path / "national", "titles-rule.yaml", """
        - id: x.titles
          kind: group_titles
          titles: [bi_thu_chi_bo, pho_bi_thu_chi_bo]
          max_titles: 2
          concurrency_encouraged: true
          tag: C
          valid_from: 2030-01-01
    """)
    assert refused([path]) == ("national/titles-rule.yaml: rules[0].titles[1]: mã chức danh 'pho_bi_thu_chi_bo' "
                               "không có trong titles.yaml (unknown title code)")


def test_unknown_key_is_refused(tmp_path):
    path = write_pack(tmp_path / "national", "a.yaml", """
        - id: x.salary
          kind: base_salary
          amount: 1000
          amout: 1000
          tag: C
          valid_from: 2030-01-01
    """)
    assert refused([path]) == "national/a.yaml: rules[0].amout: khóa không được phép (unknown key)"


def test_unknown_rule_kind_is_refused(tmp_path):
    path = write_pack(tmp_path / "national", "a.yaml", """
        - id: x.salary
          kind: luong
          tag: C
          valid_from: 2030-01-01
    """)
    assert "rules[0]: kind 'luong' không hợp lệ" in refused([path])


def test_bad_tag_and_quoted_date_are_refused(tmp_path):
    bad_tag = write_pack(tmp_path / "a", "a.yaml", """
        - {id: x.s, kind: base_salary, amount: 1000, tag: X, valid_from: 2030-01-01}
    """)
    assert "rules[0].tag: giá trị 'X' không hợp lệ" in refused([bad_tag])
    quoted = write_pack(tmp_path / "b", "b.yaml", """
        - {id: x.s, kind: base_salary, amount: 1000, tag: C, valid_from: "1/1/2030"}
    """)
    assert refused([quoted]) == "b/b.yaml: rules[0].valid_from: phải là ngày dạng YYYY-MM-DD (must be a date)"


def test_valid_to_before_valid_from_is_refused(tmp_path):
    path = write_pack(tmp_path / "a", "a.yaml", """
        - {id: x.s, kind: base_salary, amount: 1000, tag: C, valid_from: 2030-01-01, valid_to: 2029-01-01}
    """)
    assert "valid_to phải sau valid_from" in refused([path])


def test_supersedes_an_unknown_rule_is_refused(tmp_path):
    path = write_pack(tmp_path / "a", "a.yaml", """
        - {id: x.s, kind: base_salary, amount: 1000, tag: C, valid_from: 2030-01-01, supersedes: [no.such]}
    """)
    assert refused([path]) == "a/a.yaml: rules[0].supersedes[0]: không tìm thấy quy tắc 'no.such' (unknown rule id)"


def test_duplicate_rule_id_is_refused(tmp_path):
    path = write_pack(tmp_path / "a", "a.yaml", """
        - {id: base-salary.2024, kind: base_salary, amount: 1000, tag: C, valid_from: 2030-01-01}
    """)
    assert "rules[0].id: mã quy tắc 'base-salary.2024' đã dùng ở national/base-salary.yaml" in \
        refused([*DEFAULT_DIRS, path])


def test_province_pack_without_code_is_refused(tmp_path):
    path = write_pack(tmp_path / "a", "a.yaml", """
        - {id: x.s, kind: base_salary, amount: 1000, tag: C, valid_from: 2030-01-01}
    """, header=HEADER.replace("scope: national", "scope: province"))
    assert refused([path]).startswith("a/a.yaml: pack: pack.province_code: bắt buộc")


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "a" / "broken.yaml"
    path.parent.mkdir()
    path.write_text("pack:\n  id: x\n rules: [\n", encoding="utf-8")
    msg = refused([path])
    assert msg.startswith("a/broken.yaml, dòng ") and "YAML sai cú pháp" in msg


def test_missing_path_is_refused(tmp_path):
    assert "không tìm thấy" in refused([tmp_path / "nowhere"])


def test_shipped_packs_all_load_and_copy_cleanly(tmp_path):
    # the shipped folders are self-contained: a copy loads the same rules
    for d in DEFAULT_DIRS:
        shutil.copytree(d, tmp_path / d.name)
    copy = RuleBook.load([tmp_path / "national", tmp_path / "provinces"])
    assert len(copy.refs()) == len(RuleBook.load(DEFAULT_DIRS).refs())


def test_docs_list_every_m_assumption_of_the_shipped_packs(book):
    docs = (PACKS.parents[3] / "docs" / "rules.md").read_text(encoding="utf-8")
    missing = [r.rule_id for r in book.assumptions() if f"`{r.rule_id}`" not in docs]
    assert missing == []
