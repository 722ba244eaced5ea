"""Text for terminals: control characters and undecodable bytes shown, never sent raw."""

from __future__ import annotations

import pytest

from ketnghia_analysis.core.controls import for_terminal


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Xã\x1b[31m Trà Mai\x00", "Xã\\x1b[31m Trà Mai\\x00"),
        ("a\rb\x07c\x7fd\x9be", "a\\x0db\\x07c\\x7fd\\x9be"),
        ("bc\udcff\udcfe.xlsx", "bc\\xff\\xfe.xlsx"),  # a name that is not UTF-8
        ("dòng 1\n\tdòng 2", "dòng 1\n\tdòng 2"),  # layout stays
        ("Sở Kế hoạch và Đầu tư", "Sở Kế hoạch và Đầu tư"),
    ],
)
def test_control_characters_are_shown_visibly(raw, shown):
    assert for_terminal(raw) == shown


def test_the_result_can_always_be_printed_as_utf8():
    text = for_terminal("\udc80" + "".join(map(chr, range(0x00, 0xA0))))
    text.encode("utf-8")  # no lone surrogate is left
    assert not any(ord(c) < 0x20 and c not in "\t\n" for c in text)
    assert not any(0x7F <= ord(c) <= 0x9F for c in text)
