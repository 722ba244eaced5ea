"""Stage 0, core: plain helpers every stage shares (issues, text, missing values, number
formatting, column groups, folders, size limits). Reads nothing of the project; imports no
other stage.
"""
