"""Stage 4, analysis: the processed tables → indicators and effect estimates (pure functions
of the tables loaded by `tables.load`). Reads core and reference (the table
contract among them); hands DataFrames to reporting and notebooks.
"""
