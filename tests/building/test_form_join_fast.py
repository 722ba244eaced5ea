"""The column-wise join of the keys with one row (issue #18) gives exactly what the row-by-row
join gives, for any rows of any forms, alone or beside keys that several rows share."""

from hypothesis import given, settings
from hypothesis import strategies as st

from ketnghia_analysis.building import form_join
from ketnghia_analysis.building.form_join import VALUES, join_forms

FORMS = st.sampled_from([None, "A", "B", "C", "D", "02/HN"])  # what tabulate writes
COUNT = st.one_of(st.none(), st.integers(0, 5000), st.floats(0, 5000, allow_nan=False))


@st.composite
def tables(draw):
    table = draw(st.sampled_from(["poverty", "poverty_districts"]))
    n = draw(st.integers(1, 12))
    place = "commune_code" if table == "poverty" else "district_code"
    keys = draw(
        st.lists(
            st.tuples(st.integers(2019, 2024), st.sampled_from(["20101", "20104", "516"])),
            min_size=n,
            max_size=n,
            unique=draw(st.booleans()),
        )
    )
    values = draw(st.lists(st.sampled_from(VALUES), unique=True, max_size=len(VALUES)))
    columns = {
        "year": [k[0] for k in keys],
        place: [k[1] for k in keys],
        "source_form": draw(st.lists(FORMS, min_size=n, max_size=n)),
        "source_file": [f"f{i}.xlsx" for i in range(n)],
        "source_sheet": ["S"] * n,
        "source_row": list(range(5, 5 + n)),
        "_cells": [None] * n,
    }
    for column in values:
        columns[column] = draw(st.lists(COUNT, min_size=n, max_size=n))
    if draw(st.booleans()):
        columns["households_total"] = draw(st.lists(COUNT, min_size=n, max_size=n))
    return table, columns


@settings(max_examples=200, deadline=None)
@given(tables())
def test_the_join_is_the_row_by_row_join(drawn):
    table, columns = drawn
    fast, found = join_forms(columns, table)
    slow, slow_found = form_join._row_by_row(columns, table, None)
    assert found == slow_found
    assert list(fast) == list(slow)
    for name in fast:
        assert fast[name] == slow[name], name
