"""Chroma-style metadata filters (``where``) translated to SQL over the ledger's chunks."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

Where = Mapping[str, Any]
"""A Chroma ``where`` filter, such as ``{"source": {"$in": [...]}}`` or ``{"$and": [...]}``."""

_KEY = re.compile(r"[A-Za-z0-9_]+")
_COMPARISONS = {"$eq": "=", "$ne": "!=", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}


def where_sql(where: Where | None, metadata_column: str) -> tuple[str, list[Any]]:
    """Translate a filter to an SQL condition over a JSON metadata column.

    Supports the operators Chroma supports on metadata: ``$eq``, ``$ne``, ``$gt``, ``$gte``,
    ``$lt``, ``$lte``, ``$in``, ``$nin``, ``$and`` and ``$or``; a bare value means ``$eq``.

    Args:
        where: The filter; None or empty means no condition.
        metadata_column: The SQL expression of the JSON column holding chunk metadata.

    Returns:
        The condition (``"1"`` when there is none) and its parameters.

    Raises:
        ValueError: On an operator or key that is not supported.
    """
    if not where:
        return "1", []
    params: list[Any] = []
    return _clause(where, metadata_column, params), params


def _clause(where: Where, column: str, params: list[Any]) -> str:
    parts = []
    for key, value in where.items():
        if key in ("$and", "$or"):
            if not isinstance(value, Sequence) or isinstance(value, str) or not value:
                raise ValueError(f"{key} needs a non-empty list of filters")
            joiner = " AND " if key == "$and" else " OR "
            parts.append("(" + joiner.join(_clause(item, column, params) for item in value) + ")")
        elif _KEY.fullmatch(key):
            parts.append(_field(key, value, column, params))
        else:
            raise ValueError(f"Unsupported filter key {key!r}")
    return "(" + " AND ".join(parts) + ")"


def _field(key: str, condition: Any, column: str, params: list[Any]) -> str:
    expr = f"json_extract({column}, '$.{key}')"
    if not isinstance(condition, Mapping):
        condition = {"$eq": condition}
    parts = []
    for op, value in condition.items():
        if op in _COMPARISONS:
            params.append(value)
            parts.append(f"{expr} {_COMPARISONS[op]} ?")
        elif op in ("$in", "$nin"):
            values = list(value)
            if not values:
                parts.append("0" if op == "$in" else "1")
                continue
            params.extend(values)
            marks = ", ".join("?" * len(values))
            parts.append(f"{expr} {'IN' if op == '$in' else 'NOT IN'} ({marks})")
        else:
            raise ValueError(f"Unsupported filter operator {op!r} on {key!r}")
    return "(" + " AND ".join(parts) + ")"
