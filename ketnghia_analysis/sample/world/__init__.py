"""The simulated province (dữ liệu TỔNG HỢP): communes, pairs, poverty, NTM, support, models.

Reads the gazetteer (reference); `province.simulate` hands on the processed tables (no provenance).
"""
