"""The variation fuzzer of issue #20: realistic, truth-preserving edits of the sample's returns.

`catalogue.csv` lists every transform (name, level, description, why it is realistic, and
whether the reader copes today); `transforms.py` holds one function per name; `book.py`
finds where the forms of a return are and moves cells the way Excel does; `harness.py`
perturbs a return, builds it and compares the tables with the sample's truth.
"""
