"""Article 004 as data: Phường Ngọc Lâm's 29 residential groups sign the coordination rules between the
group head and the Front-committee head in 9/2014, are evaluated in 2015 and at the two-year review of
29/9/2016, and re-sign the revised rules in 1/2017.

The demo registry's groups start on 2019-10-05 (after Long Biên's 2019 merger), so the example adds
the ward's 29 groups as they stood before: 2014-01-01 until 2019-10-05, with their title holders.
Scores come from one seeded generator: two runs give the same data.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import Connection, func, insert, select

from tinhgon.coordination import service
from tinhgon.coordination import tables as t
from tinhgon.coordination.model import Party, PartyKind, Score
from tinhgon.demo.names import person_name
from tinhgon.domain.units import Kind, Level, Region
from tinhgon.errors import BadInput
from tinhgon.registry import repo
from tinhgon.registry import schema as s

RULE_CODE = "QCPH-TT-CTMT"
WARD_CODE = "00133"          # Phường Ngọc Lâm (legacy code)
GROUPS = 29
GROUPS_FROM = dt.date(2014, 1, 1)
GROUPS_TO = dt.date(2019, 10, 5)   # Long Biên's 2019 merger (article 003)
ADOPTED_V1 = dt.date(2014, 9, 5)
SIGNED_V1 = dt.date(2014, 9, 20)
EVALUATIONS = ((2015, dt.date(2015, 12, 18)), (2016, dt.date(2016, 9, 29)))
ADOPTED_V2 = dt.date(2017, 1, 6)
SIGNED_V2 = dt.date(2017, 1, 16)
HEAD_CHANGE = (7, dt.date(2016, 6, 1))  # group 7 elects a new head before the re-signing
SEED = 20160929

DUTIES_V1 = (
    "Phối hợp thực hiện 5 quy chế dân chủ ở cơ sở của quận",
    "Vận động nhân dân phát triển kinh tế",
    "Thực hiện các tiêu chí xây dựng tổ dân phố văn hóa",
    "Hòa giải các mâu thuẫn trong nội bộ nhân dân",
    "Thực hiện các cuộc vận động, các phong trào thi đua",
    "Tổ chức hội nghị đại biểu nhân dân, ngày hội đại đoàn kết toàn dân",
    "Thực hiện quy định quản lý, sử dụng, khai thác, duy tu, duy trì nhà văn hóa tổ dân phố",
)
DUTIES_V2 = (
    "Phối hợp thực hiện quy chế dân chủ ở cơ sở, trong đó có quy chế dân chủ trong bảo vệ môi trường",
    "Vận động nhân dân phát triển kinh tế, thực hiện các cuộc vận động và phong trào thi đua",
    "Xây dựng tổ dân phố văn hóa; tổ chức hội nghị đại biểu nhân dân, ngày hội đại đoàn kết toàn dân",
    "Hòa giải các mâu thuẫn trong nội bộ nhân dân",
    "Nhận xét, đánh giá đảng viên sinh hoạt nơi cư trú",
    "Tuyên truyền, vận động nhân dân thông qua mô hình điểm nhà văn hóa tổ dân phố",
    "Quản lý, sử dụng, khai thác, duy tu, duy trì nhà văn hóa tổ dân phố",
)
CRITERIA = (
    "Thực hiện quy chế dân chủ ở cơ sở",
    "Vận động nhân dân, phong trào thi đua",
    "Xây dựng tổ dân phố văn hóa",
    "Hòa giải ở cơ sở",
    "Quản lý nhà văn hóa tổ dân phố",
)


def build_article_004(conn: Connection, *, ward_code: str = WARD_CODE, resign: int = GROUPS) -> dict[str, Any]:
    """Add the groups, holders, rule, signings, evaluations and re-signings of article 004. RESIGN groups
    (the first ones) re-sign in 1/2017; the others are left to show in the report as not re-signed."""
    if not 0 <= resign <= GROUPS:
        raise BadInput(f"số tổ ký lại phải từ 0 đến {GROUPS}: {resign}", field="--resign")
    if conn.execute(select(t.coord_rule.c.id).where(t.coord_rule.c.code == RULE_CODE)).first():
        raise BadInput(f"đã có quy chế {RULE_CODE}: ví dụ đã được dựng", field="--rule")
    ward = repo.resolve_unit(conn, ward_code, SIGNED_V1, Level.COMMUNE)
    rng = random.Random(SEED)

    # the 29 groups of 2014-2019 and their two signing titles
    group_ids = [int(r[0]) for r in conn.execute(
        insert(s.unit).returning(s.unit.c.id, sort_by_parameter_order=True),
        [{"level": Level.RESIDENTIAL_GROUP.value, "source_id": None} for _ in range(GROUPS)])]
    conn.execute(insert(s.unit_version), [{
        "unit_id": gid, "level": Level.RESIDENTIAL_GROUP.value, "code": f"{ward.code}-{n:02d}",
        "name": f"Tổ dân phố số {n}", "kind": Kind.TO_DAN_PHO.value, "parent_id": ward.id,
        "valid_from": GROUPS_FROM, "valid_to": GROUPS_TO, "households": rng.randint(120, 420),
        "region": Region.RED_RIVER_DELTA.value, "province_code": ward.province_code, "urban": True,
        "mountainous": False, "border": False, "island": False, "security_key": False, "row_version": 1,
    } for n, gid in enumerate(group_ids, 1)])
    next_person = int(conn.execute(select(func.coalesce(func.max(s.person.c.id), 0))).scalar_one()) + 1
    people: list[dict[str, Any]] = []
    holdings: list[dict[str, Any]] = []

    def new_person(tag: str) -> int:
        nonlocal next_person
        pid = next_person
        next_person += 1
        female = rng.random() < 0.4
        people.append({"id": pid, "code": f"QC004-{tag}", "full_name": person_name(rng, female),
                       "birth_date": dt.date(rng.randint(1940, 1975), rng.randint(1, 12), rng.randint(1, 28)),
                       "gender": "nu" if female else "nam", "party_member": rng.random() < 0.5,
                       "household_id": None, "is_head": False, "phone": None})
        return pid

    def hold(pid: int, title: str, unit_id: int, frm: dt.date, to: dt.date) -> None:
        holdings.append({"person_id": pid, "title_code": title, "unit_id": unit_id, "concurrent": False,
                         "valid_from": frm, "valid_to": to, "decision": None})

    for n, gid in enumerate(group_ids, 1):
        head = new_person(f"{n:02d}-TT")
        if n == HEAD_CHANGE[0]:
            hold(head, "to_truong", gid, GROUPS_FROM, HEAD_CHANGE[1])
            hold(new_person(f"{n:02d}-TT2"), "to_truong", gid, HEAD_CHANGE[1], GROUPS_TO)
        else:
            hold(head, "to_truong", gid, GROUPS_FROM, GROUPS_TO)
        hold(new_person(f"{n:02d}-CTMT"), "truong_ban_ctmt", gid, GROUPS_FROM, GROUPS_TO)
    for title in ("chu_tich_ubnd", "chu_tich_mttq"):
        hold(new_person(f"P-{title}"), title, ward.id, GROUPS_FROM, GROUPS_TO)
    conn.execute(insert(s.person), people)
    conn.execute(insert(s.title_holding), holdings)

    rule = service.create_rule(
        conn, code=RULE_CODE, name="Quy chế phối hợp hoạt động giữa tổ trưởng tổ dân phố và trưởng ban công tác "
        "Mặt trận", party_a=Party(PartyKind.TITLE, "to_truong"), party_b=Party(PartyKind.TITLE, "truong_ban_ctmt"),
        unit_level=Level.RESIDENTIAL_GROUP, adopted_on=ADOPTED_V1, duties=DUTIES_V1, issuer=ward,
        doc_number="Quy chế liên tịch UBND - UBMTTQ phường (9/2014)")
    groups = service.scope_units(conn, ward, Level.RESIDENTIAL_GROUP, SIGNED_V1)
    service.sign(conn, rule.code, groups, SIGNED_V1, note="Ký kết lần đầu")
    for year, on in EVALUATIONS:
        for g in service.scope_units(conn, ward, Level.RESIDENTIAL_GROUP, on):
            base = rng.uniform(0.6, 0.97)
            scores = [Score(c, round(min(20.0, max(8.0, 20 * (base + rng.uniform(-0.08, 0.08)))), 1), 20.0)
                      for c in CRITERIA]
            service.evaluate(conn, rule.code, g, year=year, evaluated_on=on, scores=scores)
    service.revise_rule(conn, rule.code, adopted_on=ADOPTED_V2, duties=DUTIES_V2,
                        doc_number="Quy chế sửa đổi (1/2017)",
                        note="Rút gọn theo đề nghị của hội nghị 29/9/2016; bổ sung nội dung theo ý kiến UBMTTQ quận")
    again = service.scope_units(conn, ward, Level.RESIDENTIAL_GROUP, SIGNED_V2)[:resign]
    service.sign(conn, rule.code, again, SIGNED_V2, note="Ký kết lại quy chế sửa đổi")
    return {"ward": ward.name, "groups": GROUPS, "signed_2014": len(groups), "evaluations": GROUPS * len(EVALUATIONS),
            "resigned_2017": len(again), "rule": rule.code}
