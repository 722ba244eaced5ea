"""The `ketnghia` command's help and argument errors, and its output on any console."""

import os
import subprocess
import sys

import hostile_files as hf

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


def _run_redirected(tmp_path, *args: str, encoding: str = "cp1252") -> tuple[int, str, str]:
    """`python -m ketnghia_analysis ARGS` with stdout and stderr redirected to files, the
    streams' encoding set to `encoding` (what Windows gives a redirected output: the ANSI
    code page). Returns the exit code and both files decoded as UTF-8."""
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    env = {**os.environ, "PYTHONIOENCODING": encoding, "PYTHONUTF8": "0"}
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        done = subprocess.run(
            [sys.executable, "-m", "ketnghia_analysis", *args],
            stdout=stdout,
            stderr=stderr,
            env=env,
            timeout=180,
        )
    return done.returncode, out.read_bytes().decode("utf-8"), err.read_bytes().decode("utf-8")


def test_help_redirected_in_cp1252_is_utf8(tmp_path):
    code, out, err = _run_redirected(tmp_path, "--help")
    assert code == 0, err
    assert "đánh giá hiệu quả kết nghĩa" in out  # "đ", "ệ", "ế": not in cp1252
    assert "tạo báo cáo mẫu (dữ liệu TỔNG HỢP, không phải số liệu thật)" in out


def test_check_redirected_in_cp1252_is_utf8(tmp_path):
    path = hf.write_pdf(tmp_path / "bao_cao_2024.xlsx")
    code, out, err = _run_redirected(tmp_path, "check", str(path))
    assert code == 1, err  # the file has an error; the command itself did not fail
    assert "Tệp không phải bảng tính: nội dung là tệp PDF." in out
    assert "Gợi ý: Đây không phải bảng tính (ví dụ công văn PDF" in out  # advice for a PDF
    assert "Traceback" not in err and "codec" not in err


def test_argument_errors_redirected_in_cp1252_are_utf8(tmp_path):
    code, _out, err = _run_redirected(tmp_path, "sample", "--years", "2024-2019", encoding="ascii")
    assert code == 2
    assert "khoảng năm ngược" in err


def test_an_error_naming_a_path_with_control_characters_shows_them_escaped(tmp_path, capsys):
    """ESC in a path the CLI cannot write reaches the terminal as "\\x1b", never raw."""
    from ketnghia_analysis.cli import main

    blocker = tmp_path / "tệp"
    blocker.write_text("không phải thư mục", encoding="utf-8")
    code = main(["sample", "--out", str(blocker / "mẫu\x1b[31m")])
    err = capsys.readouterr().err
    assert code == 2
    assert "\x1b" not in err and "\\x1b[31m" in err


def _options(parser):
    """(command, option) of every option of every sub-command, with its help text."""
    import argparse

    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for command, p in sub.choices.items():
        for action in p._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            yield command, "/".join(action.option_strings) or action.dest, action.help


def test_every_option_of_every_command_has_help():
    from ketnghia_analysis.cli import build_parser

    missing = [(c, o) for c, o, text in _options(build_parser()) if not text]
    assert missing == []


def test_report_for_a_district_prints_the_page_it_wrote(tmp_path, monkeypatch, capsys):
    from ketnghia_analysis.reporting import runner

    def fake_run_reports(year, district, all_districts, processed, out, workers):
        page = out / str(year) / f"huyen_{district}_{year}.html"
        page.parent.mkdir(parents=True)
        page.write_text("<html></html>", encoding="utf-8")
        return 0

    monkeypatch.setattr(runner, "run_reports", fake_run_reports)
    out = tmp_path / "reports"
    assert main(["report", "--year", "2024", "--district", "516", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert str((out / "2024" / "huyen_516_2024.html").resolve()) in printed


def test_the_command_lines_own_run_freezes_its_objects_at_the_end(monkeypatch):
    """Issue #18: `ketnghia …` (argv None: the process's own command line) moves its objects
    to the collector's permanent generation as it ends (~0.2 s off a build's exit); a caller
    that passes argv (tests, notebooks) keeps its collector as it was."""
    import gc

    from ketnghia_analysis import cli

    assert gc.get_freeze_count() == 0
    try:
        assert cli.main([]) == 0
        assert gc.get_freeze_count() == 0
        monkeypatch.setattr(sys, "argv", ["ketnghia"])
        assert cli.main() == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_a_build_runs_with_one_blas_thread(tmp_path, monkeypatch):
    # The build's process does no linear algebra: numpy's import must not start one busy
    # OpenBLAS thread per core beside the reader workers (issue #18); set before any import.
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    assert main(["build", "--raw", str(tmp_path / "absent"), "--out", str(tmp_path / "out")]) == 2
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")  # the user's own setting stands
    main(["build", "--raw", str(tmp_path / "absent"), "--out", str(tmp_path / "out")])
    assert os.environ["OPENBLAS_NUM_THREADS"] == "4"
