"""Real exports into the contract's types.

pandas, Spark and warehouse exports write the same logical column in many physical Arrow types:
an all-null column as the Arrow `null` type, ids as int32 or uint32, floats as float32,
timestamps in s/ms/us/ns, strings as large_string or dictionary-encoded. A column is accepted when
its logical type matches the contract and its values fit; it is then cast to the contract's type
so that every later stage sees one physical schema.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from linksage.data.schema import Column, TableSpec


class ColumnTypeError(ValueError):
    """A column's type cannot hold the contract's logical type, or its values do not fit."""


def _is_text(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return _is_text(t.value_type)
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def accepts(column: Column, actual: pa.DataType) -> bool:
    """Whether a physical Arrow type can carry `column`'s logical type."""
    expected = column.type
    if pa.types.is_null(actual):
        return column.nullable
    if pa.types.is_dictionary(actual) and not _is_text(actual):
        return False
    if pa.types.is_timestamp(expected):
        return pa.types.is_timestamp(actual) and actual.tz is not None
    if pa.types.is_integer(expected):
        return pa.types.is_integer(actual)
    if pa.types.is_floating(expected):
        return pa.types.is_floating(actual) or pa.types.is_integer(actual)
    if pa.types.is_string(expected):
        return _is_text(actual)
    return actual.equals(expected)


def conform_column(column: Column, values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray:
    """`values` cast to the contract type; ColumnTypeError when the type or a value does not fit."""
    actual = values.type
    if not accepts(column, actual):
        hint = " (timestamps must be timezone-aware)" if pa.types.is_timestamp(actual) else ""
        raise ColumnTypeError(f"wrong type {actual}, expected {column.type}{hint}")
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values])
    if pa.types.is_dictionary(actual):
        values = pc.cast(values, actual.value_type)
    try:
        return pc.cast(values, column.type, safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
        raise ColumnTypeError(f"values do not fit {column.type}: {err}") from None


def conform_table(
    spec: TableSpec, table: pa.Table, errors: dict[str, ColumnTypeError] | None = None
) -> pa.Table:
    """The contract's columns of `table`, each cast to its contract type (others dropped).

    An absent optional column with a `default` is filled with it. Raises ColumnTypeError naming
    the file and column; with `errors` given, a column that does not conform is left out and its
    error recorded there instead (how `validate` lists them all).
    """
    names, arrays = [], []
    for column in spec.columns:
        if column.name not in table.schema.names:
            if column.optional and column.default is not None:
                names.append(column.name)
                arrays.append(pa.array([column.default] * table.num_rows, type=column.type))
            continue
        try:
            arrays.append(conform_column(column, table.column(column.name)))
        except ColumnTypeError as err:
            if errors is None:
                raise ColumnTypeError(f"{spec.file_name}, column '{column.name}': {err}") from None
            errors[column.name] = err
            continue
        names.append(column.name)
    return pa.table(arrays, names=names)
