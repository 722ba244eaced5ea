"""The `ketnghia` command's help and argument errors, without running any stage."""

import subprocess
import sys

from ketnghia_analysis.cli import _years, main


def test_help_lists_every_command(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for command in ("sample", "build", "check", "template", "evaluate", "report"):
        assert command in out
    assert "TỔNG HỢP" in out  # the synthetic-data warning is part of the help


def test_years_parses_ranges():
    assert _years("2019-2024") == range(2019, 2025)
    assert _years("2023") == range(2023, 2024)


def test_python_dash_m_is_the_same_command():
    done = subprocess.run(
        [sys.executable, "-m", "ketnghia_analysis", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert "ketnghia" in done.stdout


def test_errors_reach_the_user_as_one_vietnamese_line(tmp_path, capsys):
    # a district code that does not exist, and a folder that cannot be written
    assert main(["template", "--district", "999", "--year", "2024", "--out", "x.xlsx"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Lỗi:") and "999" in err and "Traceback" not in err
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    out = blocker / "sub" / "x.xlsx"  # a path under a regular file
    assert main(["template", "--district", "516", "--year", "2024", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Lỗi:") and "Traceback" not in err
