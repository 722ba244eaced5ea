"""Stage 3, building: ReturnRead → normalised and validated rows → the processed tables of
data/processed (schemas, cache, manifest, feedback workbooks). Reads core, reference and
reading; hands Parquet tables to analysis.
"""
