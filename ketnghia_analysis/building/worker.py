"""One raw file in a reader worker: read it, normalise it, never raise for a bad file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ketnghia_analysis.building.results import FileResult, rejected_result

if TYPE_CHECKING:
    from ketnghia_analysis.building.normalise import Normaliser

# The reader and the normaliser are imported on the first file, not with this module: the
# fork server has imported them before any worker forks (`buildstate.WORKER_MODULES`), and
# the build's own process, which only hands `process_file` to the workers, never needs them.

# The worker's normaliser (commune matcher, partner registry, target communes): built once
# per worker process, on its first file.
_WORKER_STATE: dict[str, Any] = {}


def worker_normaliser() -> Normaliser:
    """This process's normaliser, built on first use."""
    if "normaliser" not in _WORKER_STATE:
        from ketnghia_analysis.building.normalise import Normaliser
        from ketnghia_analysis.reference import gazetteer
        from ketnghia_analysis.reference.matching import shipped_matcher
        from ketnghia_analysis.reference.partners import PartnerRegistry

        _WORKER_STATE["normaliser"] = Normaliser(
            shipped_matcher(), PartnerRegistry.load(), gazetteer.target_communes()
        )
    return _WORKER_STATE["normaliser"]


def process_file(item: tuple[str, str]) -> FileResult:
    """Worker entry point: read and normalise one file (never raises for a bad file)."""
    path, raw_root = Path(item[0]), Path(item[1])
    rel = path.relative_to(raw_root).as_posix()
    from ketnghia_analysis.building.normalise import normalise_return
    from ketnghia_analysis.reading.reader import read_return

    try:
        ret = read_return(path, raw_root)
    except Exception as exc:  # noqa: BLE001 - read_return should never raise; be safe
        return rejected_result(
            rel, None, None, "FILE_CRASHED", f"lỗi khi đọc tệp ({type(exc).__name__}: {exc})"
        )
    try:
        return normalise_return(ret, worker_normaliser())
    except Exception as exc:  # noqa: BLE001 - one file must not stop the batch
        return rejected_result(
            rel,
            getattr(ret, "sha256", None),
            getattr(ret, "size_bytes", None),
            "FILE_CRASHED",
            f"lỗi khi chuẩn hóa tệp ({type(exc).__name__}: {exc})",
        )
