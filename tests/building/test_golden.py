"""The sample build is value-for-value what the golden digests say (refactorings change no output).

The digests (tests/building/golden_sample_build.json) were recorded by
``python scripts/golden_build.py --write``; rerun it only when an output is meant to
change, and say why in the commit.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _golden_module():
    spec = importlib.util.spec_from_file_location(
        "golden_build", ROOT / "scripts" / "golden_build.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sample_build_matches_golden_digests(processed_dir):
    golden = _golden_module()
    expected = json.loads(golden.GOLDEN.read_text(encoding="utf-8"))
    found = golden.digests(processed_dir)
    assert sorted(found) == sorted(expected)
    differ = {name: found[name] for name in expected if found[name] != expected[name]}
    assert not differ, f"outputs changed: {sorted(differ)}"
