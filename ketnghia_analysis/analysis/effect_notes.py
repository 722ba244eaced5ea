"""The Vietnamese notes of the rows of ``effects.evaluate``: what the headline is and why,
what each robustness row changes, and the foils' warnings."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ketnghia_analysis.analysis import indicators
from ketnghia_analysis.analysis.indicators.jump import JumpModel
from ketnghia_analysis.analysis.indicators.panels import CHAINABLE
from ketnghia_analysis.analysis.pretrends import flag_sentence
from ketnghia_analysis.analysis.treatment_panel import COVARIATES
from ketnghia_analysis.reference.standards import break_year, poverty_standards

if TYPE_CHECKING:
    from ketnghia_analysis.analysis.effects import Spec

COVARIATE_VI = {
    "mountainous": "miền núi",
    "border": "biên giới",
    "ethnic_1": "vùng DTTS khu vực I",
    "ethnic_2": "vùng DTTS khu vực II",
    "ethnic_3": "vùng DTTS khu vực III",
    "baseline_households": "số hộ năm đầu (log)",
}

COMPARISON_VI = {
    "similar": "xã cùng loại (miền núi hoặc vùng DTTS) chưa hoặc không kết nghĩa",
    "all": "mọi xã chưa hoặc không kết nghĩa trong tỉnh",
}
AGGREGATION_VI = {
    "group": "trung bình theo nhóm năm bắt đầu (mỗi nhóm một trọng số theo cỡ nhóm)",
    "simple": "trung bình mọi ATT(g,t) sau kết nghĩa (nghiêng về nhóm kết nghĩa sớm)",
    "event": "trung bình theo số năm kể từ kết nghĩa",
}
CLUSTER_VI = {"district": "cụm theo huyện", "commune": "cụm theo xã"}
STANDARD_VI = {
    "chained": "nối chuỗi qua năm đổi chuẩn nghèo (trừ cú nhảy đo được của từng xã)",
    "chained_ratio": "nối chuỗi qua năm đổi chuẩn nghèo (nhân theo tỷ số cú nhảy của từng xã)",
    "unchained": "tỷ lệ trong chuẩn nghèo của từng năm (không nối chuỗi)",
}
UNITS_VI = {
    "commune": "xã của từng năm",
    "harmonised": "đơn vị ghép (xã sáp nhập cộng vào xã nhận cho mọi năm)",
    "unit_2025": "đơn vị cấp xã của TP Đà Nẵng từ 1/7/2025",
}

OUTCOME_NOTES = {
    "poverty_rate_end": "Đơn vị: tỷ lệ (0–1).",
    "exit_rate": (
        "Đơn vị: tỷ lệ (0–1) hộ thoát nghèo / hộ nghèo đầu năm; là tỷ lệ trong cùng một "
        "chuẩn nên không nối chuỗi; chuẩn nghèo đổi năm 2022 (giả định cú nhảy chung)."
    ),
    "sustainable_exit_share": (
        "Đơn vị: tỷ lệ (0–1) hộ thoát nghèo vượt chuẩn cận nghèo / tổng hộ thoát nghèo; chỉ "
        "các xã có biểu rà soát chính thức (biểu B) tách hai loại thoát nghèo."
    ),
    "criteria_met": (
        "Đơn vị: số tiêu chí (0–19). Bộ tiêu chí đổi năm 2022 (tiêu chí 3, 11, 12, 13 đổi nội dung)."
    ),
}

TWFE_NOTE = (
    "Hồi quy hai chiều cố định (xã, năm): có thể lệch khi kết nghĩa bắt đầu so le "
    "và tác động khác nhau theo năm; chỉ để đối chiếu, không bao giờ là ước lượng chính."
)
NAIVE_NOTE = (
    "So sánh thô (xã kết nghĩa trừ xã khác, các năm sau khi bắt đầu kết nghĩa): "
    "bị lệch do chọn xã nghèo hơn để kết nghĩa; không dùng để kết luận."
)
NAIVE_ALL_NOTE = (
    "So sánh thô với mọi xã trong tỉnh: lệch nhiều nhất vì xã kết nghĩa là xã "
    "miền núi, nghèo hơn hẳn."
)
DOSE_NOTE = (
    "Tương quan, không phải quan hệ nhân quả: xã khó khăn hơn thường nhận hỗ trợ "
    "nhiều hơn; thay đổi qua năm 2022 gồm cả thay đổi chuẩn nghèo (giả định chung mọi xã)."
)


def excluded_note(tables: dict[str, pd.DataFrame], panel: pd.DataFrame, comparison: str) -> str:
    """Say which twinned communes the headline cannot use, and why."""
    frame = indicators.commune_frame(tables)
    parts = []
    if comparison == "similar":
        outside = int((frame["ever_twinned"] & ~frame["similar"]).sum())
        if outside:
            parts.append(f"{outside} xã kết nghĩa không thuộc miền núi/vùng DTTS không được tính")
    early = panel.loc[panel["g"] <= panel["year"].min(), "commune_code"].nunique()
    if early:
        parts.append(
            f"{early} xã kết nghĩa từ trước năm đầu có số liệu ({int(panel['year'].min())}) "
            "không có năm trước để so sánh, không được tính"
        )
    unknown, years = panel.attrs.get("n_unknown", 0), panel.attrs.get("n_unknown_years", 0)
    if unknown:
        parts.append(
            f"{unknown} xã không rõ năm bắt đầu kết nghĩa (năm bắt đầu để trống hoặc dòng "
            "Biểu 01/KN bị cách ly) bị loại khỏi cả hai nhóm"
        )
    if years:
        parts.append(f"{years} xã-năm không có Biểu 01/KN của huyện (không rõ tình trạng) bị bỏ")
    return (" " + "; ".join(parts) + ".") if parts else ""


def standard_note(outcome: str, standard: str) -> str:
    """Which series the row uses across the 2022 poverty standard."""
    first_new = break_year()
    if outcome == "criteria_met":
        return ""
    if standard == "chained":
        return (
            f"Chuẩn nghèo đổi năm {first_new}: dùng chuỗi nối trừ cú nhảy của chính xã (tỷ lệ "
            f"từ {first_new} trừ đi tỷ lệ hộ nghèo đầu năm {first_new} theo chuẩn mới và cộng "
            f"lại tỷ lệ cuối năm {first_new - 1} theo chuẩn cũ), vì cách này đúng khi chuẩn mới "
            "cộng thêm một mức (chung hay riêng từng xã) và vẫn giữ xu hướng song song khi chuẩn "
            "mới nhân tỷ lệ với một hệ số chung; nối theo tỷ số chỉ đúng trong trường hợp sau."
        )
    if standard == "chained_ratio":
        return (
            f"Chuỗi nối theo tỷ số: tỷ lệ từ {first_new} nhân với hộ nghèo cuối năm "
            f"{first_new - 1} / hộ nghèo đầu năm {first_new} của chính xã (đúng khi chuẩn mới "
            "tăng tỷ lệ theo mức nghèo của xã, lệch khi chuẩn mới cộng thêm một mức)."
        )
    if standard in poverty_standards():
        return f"Chỉ các năm của chuẩn nghèo {standard} (không qua năm đổi chuẩn)."
    if standard == "unchained" and outcome in CHAINABLE:
        return (
            f"Tỷ lệ không nối chuỗi qua năm {first_new}: giả định chuẩn nghèo mới làm mọi xã "
            "tăng cùng một mức."
        )
    return ""


def headline_note(
    tables: dict[str, pd.DataFrame],
    panel: pd.DataFrame,
    outcome: str,
    spec: Spec,
    cs: dict,
    jump: JumpModel | None = None,
) -> str:
    """The headline row's note: method, comparison group, series across the 2022 standard
    (with the fit of the measured jumps), exclusions and the pre-trend warning."""
    who = COMPARISON_VI.get(spec.comparison, spec.comparison)
    cluster = cs.get("cluster", "commune")
    crit = f"t với {int(cs['df'])} bậc tự do" if pd.notna(cs.get("df", np.nan)) else "chuẩn"
    note = (
        "Ước lượng chính: DiD so le Callaway–Sant'Anna (2021), "
        f"{AGGREGATION_VI.get(cs.get('aggregation', 'simple'), '')}; nhóm so sánh: {who}; "
        f"sai số chuẩn {CLUSTER_VI.get(cluster, cluster)} (giá trị tới hạn {crit})"
    )
    if cluster == "district":
        note += ", vì các cú sốc chung của một huyện trong năm làm sai số cụm theo xã quá hẹp"
    if cs.get("se_method") == "jackknife":
        note += (
            "; tính bằng cách bỏ lần lượt từng huyện rồi ước lượng lại (jackknife), giữ trọng "
            "số là số xã kết nghĩa thật của từng nhóm năm, vì với khoảng mười huyện công thức "
            "thông thường cho sai số quá nhỏ"
        )
    note += f". {OUTCOME_NOTES.get(outcome, '')} {standard_note(outcome, spec.standard)}"
    if jump is not None and spec.standard == "chained":
        note += f" {jump.sentence()}"
    note += excluded_note(tables, panel, spec.comparison)
    if cs.get("n_treated", 0) < 5:
        note += " Quá ít xã kết nghĩa để kết luận."
    note += f" {flag_sentence(cs)}"
    sentence = (cs.get("sensitivity") or {}).get("sentence")
    if sentence:
        note += f" {sentence}"
    return " ".join(note.split())


def robustness_note(spec: Spec, headline: Spec, res: dict, outcome: str) -> str:
    """What a robustness row changes against the headline."""
    parts = []
    if spec.cluster != headline.cluster:
        cluster = str(res.get("cluster", spec.cluster))
        parts.append(f"sai số chuẩn {CLUSTER_VI.get(cluster, cluster)}")
    if spec.aggregation != headline.aggregation:
        used = res.get("aggregation", spec.aggregation)
        parts.append(f"cách tính trung bình: {AGGREGATION_VI.get(used, used)}")
    if spec.standard != headline.standard:
        parts.append(standard_note(outcome, spec.standard).rstrip("."))
    if spec.covariates:
        parts.append(covariates_note(res.get("covariates_used")))
    if spec.units != headline.units:
        parts.append(f"đơn vị: {UNITS_VI.get(spec.units, spec.units)}")
    return "Kiểm tra độ vững: " + "; ".join(p for p in parts if p) + "."


def covariates_note(used: list[str] | None) -> str:
    """Which commune covariates a covariates row adjusted for, and which it could not."""
    if not used:
        return (
            "không điều chỉnh được theo đặc điểm xã (không đủ xã ở cả hai nhóm, hoặc bộ ước "
            "lượng chưa nhận biến kiểm soát): trùng với ước lượng chính"
        )
    left = [COVARIATE_VI[c] for c in COVARIATES if c not in used]
    text = "điều chỉnh theo đặc điểm xã (doubly robust): " + ", ".join(
        COVARIATE_VI[c] for c in used
    )
    if left:
        text += f"; không dùng {', '.join(left)} (không đủ xã ở cả hai nhóm để so sánh)"
    return text
