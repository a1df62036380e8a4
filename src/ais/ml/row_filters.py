"""Equality row filters for PyIceberg scans.

pyiceberg 0.12's expression classes are pydantic models whose generated signatures mypy misreads
(``EqualTo("col", value)`` is valid at run time), so the constructors are called through ``Any``
here, in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyiceberg.expressions import BooleanExpression


def equals(**columns: Any) -> BooleanExpression:
    """``col1 == v1 AND col2 == v2 ...`` (at least one column)."""
    from pyiceberg import expressions

    if not columns:
        raise ValueError("equals() needs at least one column")
    equal_to: Any = expressions.EqualTo
    both: Any = expressions.And
    clauses = [equal_to(name, value) for name, value in columns.items()]
    result: BooleanExpression = clauses[0] if len(clauses) == 1 else both(*clauses)
    return result
