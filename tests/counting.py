"""Counting the calls of a library function in a test (were they made once, or again?)."""

from __future__ import annotations

from typing import Any


def counting(monkeypatch: Any, module: Any, name: str) -> list[tuple]:
    """Replace ``module.name`` by a wrapper that records the arguments of every call and
    calls the real function; returns the list the calls go into."""
    calls: list[tuple] = []
    real = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls
