#!/usr/bin/env bash
# Builds the sample review report of docs/samples from a fresh demo database, through the whole cycle
# exactly as an official runs it: plan Phường Bồ Đề's next round, consult the households (the paper
# ballots are simulated: 93 % agree, a few disagree or spoil), staff the new groups, carry out the merger,
# record the opinions heard at the review meeting, then write the report (PDF) and its page images.
#   bash docs/samples/make_samples.sh            (from the repository root; needs LibreOffice, poppler)
set -euo pipefail
cd "$(dirname "$0")/../.."
T="$(mktemp -d)"
export TINHGON_DATABASE_URL="sqlite:///$T/demo.db"
export TINHGON_USER="can.bo.phuong.bode"
TG=".venv/bin/tinhgon"
OUT="docs/samples"
$TG demo >/dev/null 2>&1
$TG plan create --unit 00118 --name "Bồ Đề đợt 2026" --at 2026-01-15 --level must
$TG consult official-add --username to.kiem.phieu --scope 00118 --at 2026-01-15 --role admin
$TG consult create --plan "Bồ Đề đợt 2026" --date 2026-02-08 --as to.kiem.phieu
CID=1
.venv/bin/python - "$CID" "$T/ballots.csv" <<'PY'
import csv, random, sys
from tinhgon.consult import service
from tinhgon.registry import db
with db.get_engine().connect() as conn:
    rows = service.roll_entries(conn, int(sys.argv[1]))
rng = random.Random(2026)
with open(sys.argv[2], "w", encoding="utf-8", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["Mã hộ", "Ý kiến"])
    for r in rows:
        x = rng.random()
        if x < 0.03:
            continue  # absent: the paper was not handed in
        w.writerow([r.voter_code, "đồng ý" if x < 0.93 else ("không đồng ý" if x < 0.98 else "không hợp lệ")])
PY
$TG consult import-ballots -c "$CID" --as to.kiem.phieu "$T/ballots.csv"
$TG consult close-round -c "$CID" --as to.kiem.phieu
$TG consult tally -c "$CID" | tail -5
$TG staffing propose --plan "Bồ Đề đợt 2026" --effective 2026-03-01 | tail -3
$TG merge approve --plan "Bồ Đề đợt 2026"
$TG merge apply --plan "Bồ Đề đợt 2026" --effective 2026-03-01 --decision "25/NQ-HĐND" \
    --decision-date 2026-02-20 --issuer "Hội đồng nhân dân Thành phố Hà Nội"
for args in \
  "--role|Bí thư chi bộ tổ dân phố số 3 Ngọc Lâm|--topic|Chức danh ở tổ dân phố|--text|Đề nghị thành phố nghiên cứu giữ nguyên 03 chức danh không chuyên trách tại các tổ dân phố sau sáp nhập.|--recommendation" \
  "--role|Tổ trưởng tổ dân phố|--topic|Địa bàn|--text|Tổ sau sáp nhập địa bàn rộng, dân đông; cần bố trí thêm người hỗ trợ." \
  "--role|Trưởng ban công tác Mặt trận|--topic|Phụ cấp|--text|Chế độ phụ cấp thấp, chưa tương xứng với khối lượng công việc." \
  "--role|Công an phường|--topic|Giấy tờ của người dân|--text|Đã phối hợp hướng dẫn nhân dân điều chỉnh giấy tờ sau khi đổi địa chỉ." ; do
  IFS='|' read -r -a a <<< "$args"
  $TG report opinion add --unit 00118 --date 2026-06-30 "${a[@]}"
done
$TG report review --unit 00118 --from 2026-01-01 --to 2026-06-30 --number "45/BC-UBND" \
    --output "$OUT/bao-cao-so-ket-bo-de.pdf"
$TG report review --unit 00118 --from 2026-01-01 --to 2026-06-30 --number "45/BC-UBND" \
    --output "$OUT/bao-cao-so-ket-bo-de.docx" --annex "$T/annex.xlsx"
rm -f "$OUT"/bao-cao-so-ket-bo-de-trang-*.png
pdftoppm -r 70 -png "$OUT/bao-cao-so-ket-bo-de.pdf" "$OUT/bao-cao-so-ket-bo-de-trang"
ls -la "$OUT"
rm -rf "$T"
