"""Stage 5, reporting: indicators and estimates → charts, words, Excel workbooks and the
executed notebooks of reports/. Reads every earlier stage; hands files to people.
"""
