"""Years and dates as districts type them: numbers, text, Excel serials, date cells."""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re

from ketnghia_analysis.core.text import fold, normalize, strip_diacritics
from ketnghia_analysis.reading.values import ValueParseError, is_blank, quote

#: Years a year column may hold (the province's twinning and NTM programmes are later).
YEAR_MIN = 1975


YEAR_MAX = 2035


#: Years a date may fall in (report dates, Excel serials read as dates).
DATE_MIN, DATE_MAX = 1990, 2035


_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 0 in the 1900 date system, for serials > 60
_PLAIN_YEAR = re.compile(r"\d{4}(?:\.0+)?")


def _excel_serial(d: dt.date) -> int:
    """Excel 1900-system serial of a date (inverse of ``_from_serial``)."""
    n = (d - _EXCEL_EPOCH).days
    return n if n > 60 else n - 1


def _from_serial(serial: float, raw: object) -> dt.date:
    """Date of an Excel serial in the 1900 date system.

    Excel counts 1900-02-29, which did not exist (a bug kept from Lotus 1-2-3), as
    serial 60: serials 1–59 are 1900-01-01 … 1900-02-28, 61 onward are one day behind
    a plain count from 1899-12-31, and 60 itself is no date.
    """
    day = int(math.floor(serial))
    if day == 60 or day < 1 or day > 2958465:
        raise _bad_date(raw)
    if day < 60:
        return dt.date(1899, 12, 31) + dt.timedelta(days=day)
    return _EXCEL_EPOCH + dt.timedelta(days=day)


_SERIAL_MIN = _excel_serial(dt.date(YEAR_MIN, 1, 1))
_SERIAL_MAX = _excel_serial(dt.date(YEAR_MAX, 12, 31))


def _bad_year(value: object) -> ValueParseError:
    return ValueParseError(
        f"Giá trị {quote(value)} không phải là năm hợp lệ ({YEAR_MIN}–{YEAR_MAX})",
        "VALUE_BAD_YEAR",
        value,
    )


def parse_year(value: object) -> int | None:
    """Parse a year cell: 2023, 2023.0, "2023", "năm 2023", "Năm 2023" → 2023.

    Every shape `read_year` knows is accepted; only 1975–2035. Blank → None.

    Examples
    --------
    >>> parse_year(2023.0), parse_year("Năm 2023"), parse_year(" 2023 "), parse_year(None)
    (2023, 2023, 2023, None)
    >>> parse_year(dt.datetime(1905, 7, 15)), parse_year(dt.date(2021, 12, 1))
    (2023, 2021)
    >>> parse_year("2023.5")
    Traceback (most recent call last):
    ...
    ketnghia_analysis.reading.values.ValueParseError: Giá trị “2023.5” không phải là năm hợp lệ (1975–2035)
    """
    return read_year(value)[0]


def read_year(value: object) -> tuple[int | None, str]:
    """(year, how it was written) of a year cell; raises ValueParseError VALUE_BAD_YEAR.

    How: "" for a year written as a year (2017, 2017.0, "2017"), "date" for a date cell
    (its year; a date in 1905 is a year typed into a date-formatted cell — Excel shows
    2023 as 15/07/1905 — and its serial is the year), "serial" for an Excel date serial
    in a year column (42809 → 2017), "text" for a year inside text: "Năm 2017",
    "2017 - nay", "từ 2021", "T2021", "2021 (tiếp tục)", "2.017", "01/2019", "tháng
    3/2019", "15/03/2017", "2019-2020" (the start: 2019).

    Examples
    --------
    >>> [read_year(v) for v in (2017, "2017 - nay", 42809, "2.017")]
    [(2017, ''), (2017, 'text'), (2017, 'serial'), (2017, 'text')]
    >>> [read_year(v)[0] for v in ("từ năm 2021", "tháng 3/2019", "2019-2020", "T2021")]
    [2021, 2019, 2019, 2021]
    """
    if is_blank(value):
        return None, ""
    year: int | None = None
    how = ""
    if isinstance(value, bool):
        raise _bad_year(value)
    if isinstance(value, dt.date):
        d = value.date() if isinstance(value, dt.datetime) else value
        serial = _excel_serial(d)
        year, how = (serial if YEAR_MIN <= serial <= YEAR_MAX else d.year), "date"
    elif isinstance(value, numbers.Real):
        year, how = _year_of_number(float(value))
    elif isinstance(value, str):
        year, how = _year_of_text(normalize(value))
    if year is None or not YEAR_MIN <= year <= YEAR_MAX:
        raise _bad_year(value)
    return year, how


def _year_of_number(x: float) -> tuple[int | None, str]:
    """A number in a year column: the year itself, or an Excel date serial."""
    if not math.isfinite(x):
        return None, ""
    if x.is_integer() and YEAR_MIN <= x <= YEAR_MAX:
        return int(x), ""
    if _SERIAL_MIN <= x <= _SERIAL_MAX:
        return _from_serial(x, x).year, "serial"
    return (int(x), "") if x.is_integer() else (None, "")


# "2.017", "2,017", "2 017", "2'017": a year typed with a thousands separator.
_GROUPED_YEAR = re.compile(r"(?<![\d.,])([12])[.,' ’](\d{3})(?![\d]|[.,]\d)")
# "2017.0", "2017,00": a year with a zero decimal part.
_ZERO_DECIMALS = re.compile(r"(?<=\d{4})[.,]0+(?!\d)")
_RANGE_WORDS = frozenset({"-", "–", "—", "/", "den", "toi", "den nam"})
_MONTH_WORDS = frozenset({"/", "-", ".", "nam", "/ nam", ", nam"})


def _year_of_text(t: str) -> tuple[int | None, str]:
    """The year a text names: one year among words, a month or a date and its year, or
    the start of a range of years."""
    if _PLAIN_YEAR.fullmatch(t):
        return int(t[:4]), ""
    s = _ZERO_DECIMALS.sub("", _GROUPED_YEAR.sub(r"\1\2", strip_diacritics(t).lower()))
    nums = list(re.finditer(r"\d+", s))
    sizes = [len(m.group()) for m in nums]
    if sizes == [4]:
        return int(nums[0].group()), "text"
    if sizes == [5]:
        return _year_of_number(float(nums[0].group()))[0], "text"
    if len(nums) == 2:
        between = " ".join(s[nums[0].end() : nums[1].start()].split())
        a, b = (int(m.group()) for m in nums)
        if sizes == [4, 4] and between in _RANGE_WORDS and b >= a:
            return a, "text"
        if sizes == [4, 2] and between in ("-", "/", "–") and b > a % 100:
            return a, "text"
        if sizes[1] == 4 and sizes[0] <= 2 and 1 <= a <= 12 and between in _MONTH_WORDS:
            return b, "text"
    if len(nums) == 3 and sizes.count(4) == 1 and sizes[1] <= 2:
        days = [int(m.group()) for m in nums if len(m.group()) <= 2]
        if 4 in (sizes[0], sizes[2]) and all(1 <= d <= 31 for d in days):
            return int(nums[0 if sizes[0] == 4 else 2].group()), "text"
    return None, ""


def _bad_date(value: object) -> ValueParseError:
    return ValueParseError(
        f"Giá trị {quote(value)} không phải là ngày hợp lệ", "VALUE_BAD_DATE", value
    )


_DMY = re.compile(r"(?<!\d)(\d{1,2})\s*([/.\-])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})(?!\d)")


_LONG = re.compile(r"ngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})")


_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")


def parse_date(value: object) -> dt.date | None:
    """Parse a date cell: date/datetime objects, Excel serials (1900 system), or text.

    Text forms: "15/12/2023", "15-12-2023", "15.12.2023" (day first, as in Vietnam;
    "15/12/23" → 2023), "ngày 15 tháng 12 năm 2023", ISO "2023-12-15" (with or without a
    time). The date may sit inside a longer text ("Quảng Nam, ngày 15 tháng 12 năm
    2023"; "Báo cáo số 123/BC-UBND ngày 15/12/2023"). Only years 1990–2035 are
    accepted: a smaller serial or a year outside that window is an error VALUE_BAD_DATE,
    as are impossible dates (31/02/2023) and serial 60 (Excel's 29/02/1900).

    Examples
    --------
    >>> parse_date(45275), parse_date(45275.75), parse_date("15/12/2023")
    (datetime.date(2023, 12, 15), datetime.date(2023, 12, 15), datetime.date(2023, 12, 15))
    >>> parse_date("Quảng Nam, ngày 15 tháng 12 năm 2023")
    datetime.date(2023, 12, 15)
    >>> parse_date("2023-12-15T00:00:00"), parse_date(dt.datetime(2023, 12, 15, 8, 30))
    (datetime.date(2023, 12, 15), datetime.date(2023, 12, 15))
    """
    if is_blank(value):
        return None
    d: dt.date | None = None
    if isinstance(value, bool):
        raise _bad_date(value)
    if isinstance(value, dt.datetime):
        d = value.date()
    elif isinstance(value, dt.date):
        d = value
    elif isinstance(value, numbers.Real):
        if math.isinf(value):
            raise _bad_date(value)
        d = _from_serial(float(value), value)
    elif isinstance(value, str):
        t = normalize(value)
        f = fold(t)
        try:
            if re.fullmatch(r"\d{5}(?:\.\d+)?", t):
                d = _from_serial(float(t), value)
            elif m := _ISO.search(t):
                d = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            elif m := _DMY.search(t):
                year = int(m.group(4))
                year = year + 2000 if year < 100 else year
                d = dt.date(year, int(m.group(3)), int(m.group(1)))
            elif m := _LONG.search(f):
                d = dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            raise _bad_date(value) from None
    if d is None or not DATE_MIN <= d.year <= DATE_MAX:
        raise _bad_date(value)
    return d
