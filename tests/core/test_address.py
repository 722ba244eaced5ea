"""A1 addresses (core.address): both directions, the edges of the sheet, bad input."""

from __future__ import annotations

import pytest

from ketnghia_analysis.core.address import a1, parse_a1


@pytest.mark.parametrize(
    ("row0", "col0", "expected"),
    [
        (0, 0, "A1"),
        (11, 3, "D12"),
        (0, 25, "Z1"),
        (0, 26, "AA1"),
        (4, 701, "ZZ5"),
        (0, 702, "AAA1"),
    ],
)
def test_a1_and_back(row0, col0, expected):
    assert a1(row0, col0) == expected
    assert parse_a1(expected) == (row0, col0)


def test_a_bad_address_is_refused():
    with pytest.raises(ValueError, match="not an A1 address"):
        parse_a1("12D")
