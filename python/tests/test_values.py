"""Python values checked per column type before anything is written
(Schema.validate runs the conversion append_data uses)."""

import datetime
import decimal
import uuid

import pytest

from datashard import InvalidArgument, Schema, SchemaMismatch

ALL_TYPES = Schema(
    schema_id=1,
    fields=[
        {"id": 1, "name": "b", "type": "boolean"},
        {"id": 2, "name": "i", "type": "int"},
        {"id": 3, "name": "l", "type": "long"},
        {"id": 4, "name": "f", "type": "float"},
        {"id": 5, "name": "d", "type": "double"},
        {"id": 6, "name": "dec", "type": "decimal(9, 2)"},
        {"id": 7, "name": "day", "type": "date"},
        {"id": 8, "name": "t", "type": "time"},
        {"id": 9, "name": "ts", "type": "timestamp"},
        {"id": 10, "name": "tstz", "type": "timestamptz"},
        {"id": 11, "name": "s", "type": "string"},
        {"id": 12, "name": "u", "type": "uuid"},
        {"id": 13, "name": "fx", "type": "fixed[4]"},
        {"id": 14, "name": "bin", "type": "binary"},
        {"id": 15, "name": "req", "type": "long", "required": True},
    ],
)

UTC = datetime.timezone.utc


def good_row():
    return {
        "b": True,
        "i": -(2**31),
        "l": 2**63 - 1,
        "f": 1.5,
        "d": 2,
        "dec": decimal.Decimal("1234567.89"),
        "day": datetime.date(2024, 2, 29),
        "t": datetime.time(23, 59, 59, 999999),
        "ts": datetime.datetime(1969, 12, 31, 23, 59, 59, 1),
        "tstz": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
        "s": "h\u00e9llo",
        "u": uuid.UUID("f79c3e09-677c-4bbd-a479-3f349cb785e7"),
        "fx": b"\x00\x01\x02\x03",
        "bin": bytearray(b"xyz"),
        "req": 0,
    }


def test_every_type_accepts_its_python_values():
    ALL_TYPES.validate([good_row()])
    nulls = {name: None for name in ALL_TYPES.names if name != "req"}
    ALL_TYPES.validate([dict(nulls, req=1), {"req": 2}])
    ALL_TYPES.validate([dict(good_row(), dec=12, bin=memoryview(b"m"))])
    ALL_TYPES.validate([])


@pytest.mark.parametrize(
    "column, value, expected",
    [
        ("b", 1, "expected bool, got int 1"),
        ("i", True, "expected int, got bool True"),
        ("i", 1.0, "expected int, got float 1.0"),
        ("l", "7", "expected int, got str '7'"),
        ("f", "1.5", "expected float, got str '1.5'"),
        ("dec", 1.5, "expected decimal.Decimal, got float 1.5"),
        ("day", datetime.datetime(2024, 1, 1), "expected datetime.date, got datetime.datetime"),
        ("day", "2024-01-01", "expected datetime.date, got str"),
        ("t", 5, "expected datetime.time, got int 5"),
        ("ts", datetime.date(2024, 1, 1), "expected datetime.datetime, got datetime.date"),
        ("s", b"bytes", "expected str, got bytes b'bytes'"),
        ("u", "f79c3e09-677c-4bbd-a479-3f349cb785e7", "expected uuid.UUID, got str"),
        ("bin", "text", "expected bytes, got str 'text'"),
    ],
)
def test_wrong_python_type_is_a_schema_mismatch_naming_record_and_field(column, value, expected):
    rows = [good_row(), dict(good_row(), **{column: value})]
    with pytest.raises(SchemaMismatch) as info:
        ALL_TYPES.validate(rows)
    field = ALL_TYPES.field(column)
    assert str(info.value).startswith(f"record 1, field '{column}' ({field['type']}): {expected}")
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "column, value, expected",
    [
        ("i", 2**31, "2147483648 is out of range for int"),
        ("l", -(2**63) - 1, "-9223372036854775809 is out of range for long"),
        ("f", 1e300, "1e+300 is out of range for float"),
        ("dec", decimal.Decimal("1.234"), "more fraction digits than the scale"),
        ("dec", decimal.Decimal("12345678"), "too many digits before the decimal point"),
        ("dec", decimal.Decimal("NaN"), "expected a decimal number"),
        ("t", datetime.time(1, tzinfo=UTC), "has a time zone; a naive time is needed"),
        ("ts", datetime.datetime(2024, 1, 1, tzinfo=UTC), "is timezone-aware"),
        ("tstz", datetime.datetime(2024, 1, 1), "is naive; a timezone-aware datetime is needed"),
        ("fx", b"abc", "has 3 bytes for fixed[4]"),
        ("s", "\ud800", "cannot be encoded as UTF-8"),
    ],
)
def test_out_of_range_values_are_invalid_argument(column, value, expected):
    with pytest.raises(InvalidArgument) as info:
        ALL_TYPES.validate([dict(good_row(), **{column: value})])
    assert not isinstance(info.value, SchemaMismatch)
    assert str(info.value).startswith(f"record 0, field '{column}' (")
    assert expected in str(info.value)


def test_missing_none_and_unknown_columns():
    with pytest.raises(SchemaMismatch, match=r"^record 2: required field 'req' \(long\) is missing$"):
        ALL_TYPES.validate([{"req": 1}, {"req": 2}, {"b": True}])
    with pytest.raises(SchemaMismatch, match=r"^record 0: required field 'req' \(long\) is None$"):
        ALL_TYPES.validate([{"req": None}])
    with pytest.raises(
        SchemaMismatch, match=r"^record 0: unknown column 'reqq' \(schema columns: b, i, l, f,"
    ):
        ALL_TYPES.validate([{"req": 1, "reqq": 1}])


def test_records_must_be_dicts_in_an_iterable():
    with pytest.raises(SchemaMismatch, match="records must be a list of dicts"):
        ALL_TYPES.validate({"req": 1})
    with pytest.raises(SchemaMismatch, match="records must be a list of dicts"):
        ALL_TYPES.validate("req")
    with pytest.raises(SchemaMismatch, match=r"record 0: expected a dict keyed by column name, got tuple"):
        ALL_TYPES.validate([(1, 2)])
    with pytest.raises(SchemaMismatch, match="column names must be str, got int 1"):
        ALL_TYPES.validate([{1: 1}])
    ALL_TYPES.validate(iter([{"req": 1}]))
