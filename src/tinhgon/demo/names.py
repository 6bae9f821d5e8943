"""Vietnamese personal names for generated demo residents (common family, middle and given names)."""

from __future__ import annotations

import random

# family names with rough national shares (per cent)
FAMILY = [
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 4), ("Huỳnh", 1), ("Phan", 4),
    ("Vũ", 4), ("Võ", 1), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 1), ("Ngô", 1), ("Dương", 1),
    ("Lý", 1), ("Đào", 1), ("Đinh", 1), ("Trịnh", 1), ("Lương", 1), ("Tạ", 1), ("Chu", 1), ("Cao", 1),
]
MIDDLE_M = ["Văn", "Đức", "Hữu", "Minh", "Quang", "Xuân", "Ngọc", "Thanh", "Công", "Duy", "Mạnh", "Tiến"]
MIDDLE_F = ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Minh", "Hồng", "Phương", "Bích"]
GIVEN_M = ["Anh", "Bình", "Chiến", "Cường", "Dũng", "Đạt", "Đông", "Giang", "Hải", "Hào", "Hiếu", "Hòa",
           "Hùng", "Huy", "Khánh", "Khoa", "Lâm", "Long", "Lực", "Minh", "Nam", "Nghĩa", "Phong", "Phúc",
           "Quân", "Quang", "Sơn", "Tài", "Thắng", "Thành", "Thịnh", "Toàn", "Trung", "Tuấn", "Tùng", "Việt",
           "Vinh", "Hưng", "Biên", "Phương"]
GIVEN_F = ["An", "Anh", "Bích", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hồng",
           "Huệ", "Hương", "Lan", "Liên", "Linh", "Loan", "Mai", "Minh", "Nga", "Ngân", "Nhung", "Oanh",
           "Phượng", "Quyên", "Tâm", "Thảo", "Thu", "Thủy", "Trang", "Tuyết", "Vân", "Yến", "Hải Yến"]

_FAMILY_NAMES = [f for f, _ in FAMILY]
_FAMILY_WEIGHTS = [w for _, w in FAMILY]


def person_name(rng: random.Random, female: bool) -> str:
    family = rng.choices(_FAMILY_NAMES, _FAMILY_WEIGHTS)[0]
    if female:
        return f"{family} {rng.choice(MIDDLE_F)} {rng.choice(GIVEN_F)}"
    return f"{family} {rng.choice(MIDDLE_M)} {rng.choice(GIVEN_M)}"
