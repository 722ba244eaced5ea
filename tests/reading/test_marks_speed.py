"""The NTM criteria grid read faster (issue #18), with the same decisions.

The search over the assignments of the free tokens scores each distinct row once per
assignment instead of every row; the cells' keys and marks are looked up per distinct
value. Each is compared with the plain algorithm it replaces (a reference copy here).
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from ketnghia_analysis.reading import marks
from ketnghia_analysis.reference.synonyms import load_synonyms


def _unique_best_reference(rows, fixed, free, priors):
    """`marks._unique_best` as first written: every assignment scored over every row."""
    if not rows or len(free) > marks.MAX_FREE:
        return None, 0
    scored = []
    for bits in itertools.product((True, False), repeat=len(free)):
        meaning = {**fixed, **dict(zip(free, bits, strict=True))}
        overturned = sum(1 for t, m in priors.items() if t in meaning and meaning[t] != m)
        scored.append((-marks._score(rows, meaning), overturned, meaning))
    scored.sort(key=lambda s: (s[0], s[1]))
    best, overturned, meaning = scored[0]
    tie = len(scored) > 1 and scored[1][:2] == (best, overturned)
    if tie or not marks._consistent(-best, len(rows)):
        return None, -best
    return meaning, -best


def test_the_search_does_not_go_over_every_row_for_every_assignment(monkeypatch):
    """1,000 communes, 10 tokens the words do not know: 1,024 assignments, each checked
    against the few distinct rows, not against the 1,000."""
    tokens = [f"t{i}" for i in range(10)]
    truth = {t: i % 2 == 0 for i, t in enumerate(tokens)}
    pick = random.Random(18)
    kinds = [Counter({t: pick.randint(0, 3) for t in tokens}) for _ in range(40)]
    rows = [kinds[r % 40] for r in range(1000)]
    reported = [sum(c for t, c in row.items() if truth[t]) for row in rows]

    def every_row(*_args):
        raise AssertionError("an assignment scored over every row")

    monkeypatch.setattr(marks, "_score", every_row)
    decision = marks.decide(rows, reported, dict.fromkeys(tokens))
    assert decision.how == "counts" and decision.meaning == truth
    assert decision.agree == decision.checked == 1000


token_names = st.sampled_from(["a", "b", "c", "d", "e", "x", "Đ"])


@st.composite
def searches(draw):
    free = draw(st.lists(token_names, unique=True, max_size=4))
    fixed_tokens = draw(st.lists(token_names.filter(lambda t: t not in free), unique=True))
    fixed = {t: draw(st.booleans()) for t in fixed_tokens}
    priors = {**fixed, **{t: draw(st.booleans()) for t in free if draw(st.booleans())}}
    row = st.dictionaries(st.sampled_from([*free, *fixed, "z"]), st.integers(1, 6), max_size=5)
    rows = draw(st.lists(st.tuples(row.map(Counter), st.integers(0, 12)), max_size=12))
    # rows that agree with some assignment, so that the search often succeeds
    secret = {t: draw(st.booleans()) for t in free} | fixed
    for r in draw(st.lists(row, max_size=12)):
        rows.append((Counter(r), sum(c for t, c in r.items() if secret.get(t))))
    return rows, fixed, free, priors


@settings(max_examples=400, deadline=None)
@given(searches())
def test_the_search_gives_what_scoring_every_row_gives(search):
    rows, fixed, free, priors = search
    assert marks._unique_best(rows, fixed, free, priors) == _unique_best_reference(
        rows, fixed, free, priors
    )


cells = st.one_of(
    st.none(),
    st.sampled_from(["Đạt", "đạt", "Chưa đạt", "CĐ", "x", "X", "1", "1,0", "A", "-", " ", ""]),
    st.sampled_from(["Không đánh giá", "KĐG", "#N/A", "✓", "Đạt 18/19", "3"]),
    st.sampled_from([1, 0, 1.0, 0.0, True, False, math.nan, 3, 2.5]),
)


def _mark_reference(key, data_row, decision):
    """A cell's mark as `read_grid` first decided it, cell by cell."""
    if key is None:
        return False if data_row else None
    return None if key in (marks._NA, marks._ERR) else decision.meaning.get(key)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda n: st.tuples(
            st.lists(st.lists(cells, min_size=n, max_size=n), min_size=1, max_size=12),
            st.integers(0, n),
            st.lists(st.one_of(st.none(), st.integers(0, 12)), min_size=n, max_size=n),
        )
    )
)
def test_keys_and_marks_are_those_of_each_cell(grid):
    columns, n_data, reported = grid
    syn = load_synonyms()
    not_assessed = syn.values.get("not_assessed", [])
    keys = marks._keys(columns, n_data, not_assessed)
    for col, col_keys in zip(columns, keys, strict=True):
        for i, (x, k) in enumerate(zip(col, col_keys, strict=True)):
            if i >= n_data and marks._is_number(x):
                assert k is None
            else:
                assert k == marks._cell_key(x, not_assessed)
    g = marks.read_grid(columns, n_data, reported, syn)
    for j, col_keys in enumerate(keys):
        for i, k in enumerate(col_keys):
            expected = None if i in g.dashed else _mark_reference(k, i < n_data, g.decision)
            assert g.values[j][i] is expected
