"""Stage 4, analysis: the processed tables → indicators and effect estimates (pure functions
of the tables loaded by `tables.load`). Reads core, reference and building's table contract;
hands DataFrames to reporting and notebooks.
"""
