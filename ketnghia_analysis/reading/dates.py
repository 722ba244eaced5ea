"""Years and dates as districts type them: numbers, text, Excel serials, date cells."""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re

from ketnghia_analysis.core.text import fold, normalize, strip_diacritics
from ketnghia_analysis.reading.values import ValueParseError, is_blank, quote

YEAR_MIN = 1990


YEAR_MAX = 2035


_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 0 in the 1900 date system, for serials > 60


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


def _bad_year(value: object) -> ValueParseError:
    return ValueParseError(
        f"Giá trị {quote(value)} không phải là năm hợp lệ ({YEAR_MIN}–{YEAR_MAX})",
        "VALUE_BAD_YEAR",
        value,
    )


def parse_year(value: object) -> int | None:
    """Parse a year cell: 2023, 2023.0, "2023", "năm 2023", "Năm 2023" → 2023.

    Only 1990–2035 is accepted. A date cell gives its year, except a date in 1905, which
    is a year typed into a date-formatted cell (Excel shows 2023 as 15/07/1905): its
    serial is the year. Blank → None.

    Examples
    --------
    >>> parse_year(2023.0), parse_year("Năm 2023"), parse_year(" 2023 "), parse_year(None)
    (2023, 2023, 2023, None)
    >>> parse_year(dt.datetime(1905, 7, 15)), parse_year(dt.date(2021, 12, 1))
    (2023, 2021)
    >>> parse_year("2023.5")
    Traceback (most recent call last):
    ...
    ketnghia_analysis.reading.values.ValueParseError: Giá trị “2023.5” không phải là năm hợp lệ (1990–2035)
    """
    if is_blank(value):
        return None
    year: int | None = None
    if isinstance(value, bool):
        raise _bad_year(value)
    if isinstance(value, dt.date):
        d = value.date() if isinstance(value, dt.datetime) else value
        serial = _excel_serial(d)
        year = serial if YEAR_MIN <= serial <= YEAR_MAX else d.year
    elif isinstance(value, numbers.Real):
        if float(value).is_integer():
            year = int(float(value))
    elif isinstance(value, str):
        m = re.fullmatch(
            r"(?:nam\s*:?\s*)?(\d{4})(?:\.0+)?", strip_diacritics(normalize(value)).lower()
        )
        if m:
            year = int(m.group(1))
    if year is None or not YEAR_MIN <= year <= YEAR_MAX:
        raise _bad_year(value)
    return year


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
    if d is None or not YEAR_MIN <= d.year <= YEAR_MAX:
        raise _bad_date(value)
    return d
