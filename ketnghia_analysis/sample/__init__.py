"""Synthetic sample returns with their ground truth (placeholder)."""
