"""The `ketnghia` command: one sub-command per stage, each a thin call into the library."""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path
from typing import Any

from ketnghia_analysis import __version__
from ketnghia_analysis.core import paths
from ketnghia_analysis.core.controls import for_terminal

DESCRIPTION = """\
ketnghia — đánh giá hiệu quả kết nghĩa (Chỉ thị 16-CT/TU, Quảng Nam).
Reads district returns on twinning into validated tables and reports.

Luồng xử lý / pipeline:
  ketnghia sample    tạo báo cáo mẫu (dữ liệu TỔNG HỢP, không phải số liệu thật)
                     write synthetic sample returns with their ground truth
  ketnghia build     đọc data/raw → bảng đã xử lý data/processed (+ issues.xlsx)
                     read every return into the processed tables
  ketnghia check     kiểm tra một tệp báo cáo trước khi gửi / check one file
  ketnghia template  tạo biểu mẫu trống cho một huyện, một năm / blank return
  ketnghia evaluate  ước lượng tác động kết nghĩa / estimate the effect (effects.csv)
  ketnghia report    chạy các sổ tay báo cáo → reports/<năm>/ / render reports
"""


def _years(text: str) -> range:
    """Parse "2019-2024" or "2023" into a range of years."""
    try:
        if "-" in text:
            first, last = (int(part) for part in text.split("-", 1))
        else:
            first = last = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"năm không hợp lệ: {text!r} (ví dụ 2019-2024) / invalid years"
        ) from None
    if first > last:
        raise argparse.ArgumentTypeError(f"khoảng năm ngược: {text!r} / reversed range")
    return range(first, last + 1)


def build_parser() -> argparse.ArgumentParser:
    """The `ketnghia` parser: one sub-command per step of the pipeline."""
    parser = argparse.ArgumentParser(
        prog="ketnghia",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ketnghia {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="LỆNH/COMMAND")
    for add in (_add_sample, _add_build, _add_check, _add_template, _add_evaluate, _add_report):
        add(sub)
    return parser


def _add_sample(sub: Any) -> None:
    p = sub.add_parser(
        "sample",
        help="tạo báo cáo huyện mẫu (tổng hợp) / write synthetic sample returns",
        description="Tạo báo cáo kết nghĩa mẫu của các huyện, kèm bảng đúng (truth/). "
        "Dữ liệu là TỔNG HỢP (synthetic), không phải số liệu thật.",
    )
    p.add_argument("--out", type=Path, default=paths.raw_dir(), help="thư mục ghi / output folder")
    p.add_argument("--years", type=_years, default=range(2019, 2025), help="năm, ví dụ 2019-2024")
    p.add_argument("--seed", type=int, default=2024, help="hạt giống ngẫu nhiên / random seed")
    p.add_argument(
        "--effect",
        type=float,
        default=-0.03,
        help="tác động cài sẵn lên tỷ lệ hộ nghèo (phân số) / planted effect on the poverty rate",
    )
    p.add_argument(
        "--broken", action="store_true", help="thêm tệp hỏng / add broken and hostile files"
    )
    p.add_argument(
        "--official",
        action="store_true",
        help="thêm biểu rà soát hộ nghèo chính thức A–D (tổng hợp tỉnh, huyện) "
        "/ also write the official poverty-review forms",
    )
    _add_threats(p)


def _add_threats(p: Any) -> None:
    """The threats to the evaluation ``ketnghia sample`` can plant (issue #16; all off)."""
    p.add_argument(
        "--lose-support",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="mất mọi dòng hỗ trợ (01/KN) của tỷ lệ này các xã kết nghĩa (bị cách ly hoặc "
        "không gửi) / lose the support rows of this fraction of twinned communes",
    )
    flags = {
        "--late-start": "ghi năm bắt đầu kết nghĩa muộn một năm ở một số xã "
        "/ pairing year written one year late",
        "--proportional-jump": "chuẩn nghèo 2022 nhân tỷ lệ của từng xã theo mức của nó "
        "/ the 2022 standard scales each commune's rate",
        "--growing-effects": "tác động tăng theo số năm kết nghĩa, khác nhau theo nhóm "
        "/ effects grow with years since pairing and differ by cohort",
        "--selection-on-trends": "xã nghèo hơn giảm nghèo nhanh hơn dù có kết nghĩa hay không "
        "/ poorer communes improve faster regardless of pairing",
        "--district-shocks": "cú sốc chung theo huyện và năm / district-year shocks",
    }
    for flag, text in flags.items():
        p.add_argument(flag, action="store_true", help=text)


def _threats(args: argparse.Namespace) -> Any:
    """The ``Threats`` of the sample options, or None (with a message) when one is invalid."""
    from ketnghia_analysis.sample.world.threats import Threats

    try:
        return Threats(
            lose_support=args.lose_support,
            late_start=args.late_start,
            proportional_jump=args.proportional_jump,
            growing_effects=args.growing_effects,
            selection_on_trends=args.selection_on_trends,
            district_shocks=args.district_shocks,
        )
    except ValueError as exc:
        print(f"Lỗi: {exc}")
        return None


def _add_build(sub: Any) -> None:
    p = sub.add_parser(
        "build",
        help="đọc báo cáo → bảng đã xử lý / build the processed tables",
        description="Đọc mọi báo cáo trong --raw, kiểm tra, ghi bảng Parquet, issues.xlsx và "
        "phản hồi cho từng huyện vào --out. Mã thoát: 0 sạch, 1 có lỗi mức 'error', "
        "2 không thể xây dựng.",
    )
    p.add_argument("--raw", type=Path, default=paths.raw_dir(), help="thư mục báo cáo gốc")
    p.add_argument("--out", type=Path, default=paths.processed_dir(), help="thư mục bảng đã xử lý")
    p.add_argument("--workers", type=int, default=None, help="số tiến trình đọc (mặc định: số lõi)")
    p.add_argument("--no-progress", action="store_true", help="không hiện thanh tiến trình")
    p.add_argument("--no-cache", action="store_true", help="đọc lại mọi tệp, bỏ qua bộ nhớ đệm")
    p.add_argument(
        "--watch",
        action="store_true",
        help="theo dõi --raw và xây dựng lại mỗi khi có tệp thay đổi, giữ kết quả trong bộ nhớ "
        "(Ctrl-C để dừng) / rebuild whenever the raw folder changes",
    )


def _add_check(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="kiểm tra tệp báo cáo trước khi gửi / check returns before sending",
        description="In ra các lỗi của một hoặc nhiều tệp báo cáo, hoặc mọi tệp của một thư "
        "mục (tệp, trang tính, ô). Báo cáo chưa có số liệu cũng là lỗi. Không ghi gì. "
        "Mã thoát 1 nếu có lỗi.",
    )
    p.add_argument(
        "files",
        type=Path,
        nargs="+",
        help="tệp .xlsx/.xls/.ods, hoặc thư mục (kiểm tra mọi tệp trong đó, như khi xây dựng) "
        "/ files or folders",
    )


def _add_template(sub: Any) -> None:
    p = sub.add_parser(
        "template",
        help="tạo biểu mẫu trống cho một huyện / write a blank return",
        description="Ghi biểu mẫu báo cáo (4 biểu) với danh sách xã của huyện trong năm.",
    )
    p.add_argument("--district", required=True, help="mã huyện, ví dụ 516")
    p.add_argument("--year", type=int, required=True, help="năm báo cáo")
    p.add_argument("--out", type=Path, required=True, help="tệp .xlsx để ghi")
    p.add_argument(
        "--official",
        choices=["A", "B", "C", "D"],
        default=None,
        help="ghi một biểu chính thức của kỳ rà soát hộ nghèo (A kết quả, B diễn biến hộ nghèo, "
        "C diễn biến hộ cận nghèo, D phân tích theo nhóm) / one official poverty-review form",
    )


def _add_evaluate(sub: Any) -> None:
    p = sub.add_parser(
        "evaluate",
        help="ước lượng tác động kết nghĩa / estimate the effect of twinning",
        description="Ước lượng tác động của kết nghĩa (DiD so le, TWFE, so sánh thô) "
        "và ghi effects.csv và effects.xlsx (tiêu đề tiếng Việt) vào thư mục bảng đã xử lý.",
    )
    _processed_option(p)
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="tệp .csv để ghi (mặc định: effects.csv trong thư mục --processed); effects.xlsx "
        "ghi bên cạnh / CSV to write, the .xlsx goes beside it",
    )
    p.add_argument(
        "--comparison",
        default="similar",
        choices=["similar", "all"],
        help="nhóm so sánh: xã cùng loại (miền núi/DTTS) hay mọi xã / comparison group",
    )


def _processed_option(p: Any) -> None:
    p.add_argument(
        "--processed",
        type=Path,
        default=paths.processed_dir(),
        help="thư mục bảng đã xử lý (ketnghia build) / processed tables folder",
    )


def _add_report(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help="chạy sổ tay báo cáo → HTML, Excel / render reports",
        description="Chạy các sổ tay (papermill) với tham số, xuất HTML không có mã và Excel; "
        "ghi reports/<năm>/index.html. Mã thoát khác 0 nếu có báo cáo lỗi.",
    )
    p.add_argument("--year", type=int, required=True, help="năm báo cáo")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--district", help="mã huyện (một báo cáo huyện)")
    group.add_argument("--all", action="store_true", help="mọi huyện và báo cáo toàn tỉnh")
    _processed_option(p)
    p.add_argument(
        "--out",
        type=Path,
        default=paths.reports_dir(),
        help="thư mục báo cáo; ghi vào <thư mục>/<năm>/ / reports folder",
    )
    p.add_argument("--workers", type=int, default=None, help="số tiến trình (mặc định: số lõi)")


def _dispatch(args: argparse.Namespace) -> int:
    # Imports are local so that `ketnghia --help` stays instant.
    if args.command == "sample":
        from ketnghia_analysis.sample import write_sample

        threats = _threats(args)
        if threats is None:
            return 2
        manifest = write_sample(
            args.out,
            years=args.years,
            seed=args.seed,
            effect=args.effect,
            broken=args.broken,
            threats=threats,
            official=args.official,
        )
        print(manifest.summary())
        return 0
    if args.command == "build":
        return _build_command(args)
    if args.command == "check":
        from ketnghia_analysis.building.check import check_files

        return check_files(args.files)
    if args.command == "template" and args.official:
        from ketnghia_analysis.reading.official_template import write_official_template

        write_official_template(args.official, args.district, args.year, args.out)
        print(for_terminal(f"Đã ghi biểu {args.official} (rà soát hộ nghèo): {args.out}"))
        return 0
    if args.command == "template":
        from ketnghia_analysis.reading.template import write_template

        write_template(args.district, args.year, args.out)
        print(for_terminal(f"Đã ghi biểu mẫu: {args.out}"))
        return 0
    if args.command == "evaluate":
        from ketnghia_analysis.analysis.effects import evaluate_to_csv

        return evaluate_to_csv(args.processed, args.out, comparison=args.comparison)
    if args.command == "report":
        from ketnghia_analysis.reporting.runner import run_reports

        code = run_reports(
            year=args.year,
            district=args.district,
            all_districts=args.all,
            processed=args.processed,
            out=args.out,
            workers=args.workers,
        )
        if args.district and code != 2:
            _say_district_report(args.out, args.year, args.district)
        return code
    raise AssertionError(args.command)


def _build_command(args: argparse.Namespace) -> int:
    """``ketnghia build``: once, or with --watch again whenever the raw folder changes."""
    import os
    import time

    from ketnghia_analysis.building.buildstate import (
        prestart_readers,
        render_summary,
        up_to_date,
    )
    from ketnghia_analysis.reading.processes import READER_ENV

    # This process does no linear algebra either: the readers' environment (one OpenBLAS
    # thread, not one busy thread per core started by numpy's import, ~0.1 s of CPU the
    # reader workers need; issue #18), unless the user set it; before numpy is imported.
    for name, value in READER_ENV.items():
        os.environ.setdefault(name, value)
    if args.watch:
        if args.no_cache:
            print("Lỗi: --watch không dùng cùng --no-cache / --watch needs the cache")
            return 2
        prestart_readers()
        from ketnghia_analysis.building.warm import Builder
        from ketnghia_analysis.building.watch import watch

        builder = Builder(
            args.raw, args.out, workers=args.workers, progress=False if args.no_progress else None
        )
        return watch(builder)
    started = time.perf_counter()
    previous = None if args.no_cache else up_to_date(args.raw, args.out)
    if previous is not None:  # nothing changed: answered without importing pandas
        seconds = time.perf_counter() - started
        print(render_summary(previous.counts, args.out, seconds, 0, 0, unchanged=True))
        return previous.exit_code
    # Something to do: the reader workers' fork server imports pandas and the reader
    # on the other core while this process does the same (issue #9).
    prestart_readers()
    from ketnghia_analysis.building.build import build

    result = build(
        args.raw,
        args.out,
        workers=args.workers,
        progress=False if args.no_progress else None,
        use_cache=not args.no_cache,
    )
    print(result.summary())
    return result.exit_code


def _say_district_report(out: Path, year: int, district: str) -> None:
    """Print where the district report of ``ketnghia report --district`` is (or that it is
    missing): the run's summary names the province report and the index only."""
    code = district.strip()
    code = str(int(code)).zfill(3) if code.isdigit() else code
    page = out / str(year) / f"huyen_{code}_{year}.html"
    if page.is_file():
        print(for_terminal(f"Báo cáo huyện {code}: {page.resolve()}"))
    else:
        print(for_terminal(f"Không có báo cáo huyện {code}: không thấy {page}"), file=sys.stderr)


def utf8_streams() -> None:
    """Make stdout and stderr write UTF-8, whatever the console or redirection.

    On Windows, output redirected to a file or a pipe (`ketnghia build > log.txt`, a scheduled
    task) is otherwise encoded in the ANSI code page (cp1252, or cp1258 on a Vietnamese
    Windows), which lacks letters such as "ệ": printing them raised UnicodeEncodeError.
    errors="replace" only touches what UTF-8 cannot encode (lone surrogates of undecodable
    file names), never a Vietnamese letter.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:  # a text stream (not one replaced by a caller)
            reconfigure(encoding="utf-8", errors="replace")


def main(argv: list[str] | None = None) -> int:
    """The `ketnghia` command: `argv` None reads the process's own command line."""
    code = _main(argv)
    if argv is None:
        # The process ends now. Its objects go to the garbage collector's permanent
        # generation, so the interpreter's final collections do not walk them all again:
        # ~0.2 s off every command that built tables (exit handlers still run; issue #18).
        gc.freeze()
    return code


def _main(argv: list[str] | None) -> int:
    utf8_streams()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        print("Đã dừng theo yêu cầu / interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a folder or file that cannot be read or written
        where = f" '{exc.filename}'" if getattr(exc, "filename", None) else ""
        print(
            for_terminal(
                f"Lỗi: không đọc/ghi được tệp hoặc thư mục{where} ({exc.strerror or exc}). "
                f"Không thể hoàn thành lệnh '{args.command}'."
            ),
            file=sys.stderr,
        )
        return 2
    except Exception as exc:  # the last line of defence: no bare traceback reaches a user
        print(
            for_terminal(f"Lỗi: {exc}. Không thể hoàn thành lệnh '{args.command}'."),
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
