"""Calibration of the simulated province: years, published targets, offsets and catalogues."""

from __future__ import annotations

FIRST_YEAR, LAST_YEAR = 2019, 2024
SIM_YEARS = tuple(range(FIRST_YEAR, LAST_YEAR + 1))
DIRECTIVE_YEAR = 2022  # Chỉ thị 16-CT/TU (9/2021) shapes support from the 2022 returns on

# Province targets (poverty rate, fraction). Published: 2019, 2021 (new standard:
# our 2022 start), 2022, 2023 (domain.md). 2020, 2021 (old standard) and 2024 are
# our interpolations, not published figures.
TARGET_END_RATE = {
    2019: 0.0606,
    2020: 0.0525,
    2021: 0.0455,
    2022: 0.0663,
    2023: 0.0557,
    2024: 0.0460,
}
TARGET_START_2022 = 0.0759
TARGET_HOUSEHOLDS = {2019: 423_267, 2021: 436_310, 2022: 439_300, 2023: 442_673}

# Mountain group offsets (added to alpha, the commune's 2019 level). 2018 is the
# start of 2019. The new standard adds MOUNTAIN_JUMP from the 2022 start on.
MOUNTAIN_JUMP = 0.08
MOUNTAIN_OFFSET = {
    2018: 0.022,
    2019: 0.0,
    2020: -0.024,
    2021: -0.046,
    2022: -0.046 + MOUNTAIN_JUMP - 0.032,
    2023: -0.046 + MOUNTAIN_JUMP - 0.066,
    2024: -0.046 + MOUNTAIN_JUMP - 0.092,
}
MOUNTAIN_NOISE_SD = 0.01

# 2019 poverty level (alpha) drawn uniformly in this range, by (klass, urban).
ALPHA_RANGE = {
    ("kv3", False): (0.31, 0.50),
    ("kv3", True): (0.20, 0.28),
    ("kv12", False): (0.21, 0.32),
    ("kv12", True): (0.11, 0.16),
    ("mtn", False): (0.08, 0.16),
    ("mtn", True): (0.08, 0.10),
    ("plain", False): (0.010, 0.036),
    ("plain", True): (0.006, 0.016),
}
# Median households of a unit in 2019, by (klass, urban).
HOUSEHOLD_MEDIAN = {
    ("kv3", False): 650,
    ("kv3", True): 1200,
    ("kv12", False): 900,
    ("kv12", True): 1900,
    ("mtn", False): 1100,
    ("mtn", True): 2100,
    ("plain", False): 2500,
    ("plain", True): 3300,
}
# NTM latent capacity in 2019, drawn uniformly in this range, by klass.
CAPACITY_RANGE = {
    "kv3": (3.0, 11.0),
    "kv12": (6.0, 14.0),
    "mtn": (9.0, 19.5),
    "plain": (19.5, 26.5),
}

# NTM criterion base difficulty (latent capacity units); hard ones last.
CRITERION_DIFFICULTY = {
    1: 2.0, 2: 11.0, 3: 9.0, 4: 3.0, 5: 12.0, 6: 12.5, 7: 10.0, 8: 4.0, 9: 11.5,
    10: 18.0, 11: 17.5, 12: 8.0, 13: 17.0, 14: 6.5, 15: 7.0, 16: 7.5, 17: 18.5, 18: 5.0, 19: 3.5,
}  # fmt: skip

MODEL_CATALOGUE = (
    ("Mô hình nuôi bò sinh sản", "chăn nuôi"),
    ("Mô hình nuôi heo đen bản địa", "chăn nuôi"),
    ("Mô hình nuôi gà thả vườn", "chăn nuôi"),
    ("Mô hình nuôi dê", "chăn nuôi"),
    ("Mô hình nuôi cá nước ngọt", "chăn nuôi"),
    ("Mô hình trồng lúa nước năng suất cao", "trồng trọt"),
    ("Mô hình trồng chuối mốc", "trồng trọt"),
    ("Mô hình trồng bưởi", "trồng trọt"),
    ("Mô hình trồng sâm Ngọc Linh", "dược liệu"),
    ("Mô hình trồng ba kích tím", "dược liệu"),
    ("Mô hình trồng đảng sâm", "dược liệu"),
    ("Mô hình trồng quế Trà My", "lâm nghiệp"),
    ("Mô hình trồng rừng keo", "lâm nghiệp"),
    ("Mô hình du lịch cộng đồng", "du lịch cộng đồng"),
    ("Mô hình dệt thổ cẩm", "ngành nghề"),
    ("Mô hình đan lát truyền thống", "ngành nghề"),
    ("Mô hình tổ hợp tác sản xuất", "khác"),
)
SUPPORT_NOTES = (
    "Hỗ trợ quà Tết",
    "Trao học bổng cho học sinh",
    "Xây nhà Đại đoàn kết",
    "Theo Chỉ thị 16-CT/TU",
    "Hỗ trợ giống cây, con",
)
