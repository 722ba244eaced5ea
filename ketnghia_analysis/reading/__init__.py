"""Stage 2, reading: one raw file → a ReturnRead (cells → recognised forms → headers → rows →
typed values → identity), in a sandboxed worker. Reads core and reference; hands ReturnRead
to building.
"""
