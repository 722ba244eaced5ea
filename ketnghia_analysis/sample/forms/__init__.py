"""The four forms of a district-year laid out as messy sheets, and the extra sheets around them.

Reads the world's rows and a `style.FormStyle`; hands on a `grid.Grid` per sheet with provenance.
"""
