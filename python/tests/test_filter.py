"""Filtered scans: filter= on scan, scan_batches and to_pandas, Table.count,
scan metrics, time travel with a filter, and filters that do not fit the
schema. Filters use the text form of the CLI's --where (docs/python.md)."""

import datetime
import math

import pytest

from datashard import InvalidArgument, Schema, create_table

SCHEMA = Schema(
    schema_id=1,
    fields=[
        {"id": 1, "name": "id", "type": "long", "required": True},
        {"id": 2, "name": "name", "type": "string"},
        {"id": 3, "name": "score", "type": "double"},
        {"id": 4, "name": "day", "type": "date"},
        {"id": 5, "name": "flag", "type": "boolean"},
    ],
)

NAN = float("nan")
D = datetime.date

FIRST = [
    {"id": 1, "name": "a", "score": 1.5, "day": D(2024, 3, 1), "flag": True},
    {"id": 2, "name": "b", "score": NAN, "day": D(2024, 3, 2), "flag": False},
    {"id": 3, "name": None, "score": -0.0, "day": D(2024, 3, 3), "flag": None},
    {"id": 4, "name": "it's", "score": None, "day": None, "flag": True},
]
SECOND = [
    {"id": 5, "name": "e", "score": 10.0, "day": D(2024, 4, 1), "flag": False},
    {"id": 6, "name": "f", "score": 2.5, "day": D(2024, 4, 2), "flag": True},
    {"id": 7, "name": "a", "score": NAN, "day": D(2024, 4, 3), "flag": None},
    {"id": 8, "name": None, "score": 0.0, "day": None, "flag": False},
]


@pytest.fixture
def table(tmp_path):
    t = create_table(tmp_path / "t", SCHEMA)
    t.append_records(records=FIRST)
    t.append_records(records=SECOND)
    return t


def ids(rows):
    return sorted(r["id"] for r in rows)


# (filter, ids of the rows it keeps). Comparisons with null are unknown and
# drop the row; NaN equals NaN and is greater than every other number; -0.0
# equals 0.0 (the expression semantics of the C++ API).
CASES = [
    ("id > 6", [7, 8]),
    ("id >= 3 and id < 6", [3, 4, 5]),
    ("6 < id", [7, 8]),
    ("id in (2, 4, 99)", [2, 4]),
    ("id not in (1, 2, 3, 4, 5)", [6, 7, 8]),
    ("name = 'a'", [1, 7]),
    ("name = 'it''s'", [4]),
    ("name != 'a'", [2, 4, 5, 6]),
    ("name <> 'a' or name is null", [2, 3, 4, 5, 6, 8]),
    ("name is null", [3, 8]),
    ("name is not null and name >= 'e'", [4, 5, 6]),
    ("name in ('b', 'e', 'zz')", [2, 5]),
    ("score > 2.0", [2, 5, 6, 7]),
    ("score = 'NaN'", [2, 7]),
    ("score != 'NaN'", [1, 3, 5, 6, 8]),
    ("score < 1", [3, 8]),
    ("score = 0", [3, 8]),
    ("score is null", [4]),
    ("day >= '2024-04-01'", [5, 6, 7]),
    ("day < '2024-03-02' or day is null", [1, 4, 8]),
    ("day in ('2024-03-03', '2024-04-03')", [3, 7]),
    ("flag = true", [1, 4, 6]),
    ("flag = false", [2, 5, 8]),
    ("flag is null", [3, 7]),
    ("not (flag = true)", [2, 5, 8]),
    ("not flag = true or flag is null", [2, 3, 5, 7, 8]),
    ("not (id < 7) and (name is null or score = 'NaN')", [7, 8]),
    ("(name = 'a' or name = 'b') and not day >= '2024-04-01'", [1, 2]),
    ("id > 7 AND name IS NULL", [8]),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_filter_keeps_exactly_these_rows(table, text, expected):
    assert ids(table.scan(filter=text)) == expected
    assert table.count(filter=text) == len(expected)


def test_filtered_rows_are_whole_and_typed(table):
    rows = table.scan(filter="id = 2 or id = 4")
    by_id = {r["id"]: r for r in rows}
    assert by_id[4] == FIRST[3]
    assert by_id[2]["name"] == "b" and by_id[2]["day"] == D(2024, 3, 2) and by_id[2]["flag"] is False
    assert math.isnan(by_id[2]["score"])
    negative_zero = table.scan(filter="id = 3")[0]["score"]
    assert negative_zero == 0.0 and math.copysign(1.0, negative_zero) == -1.0


def test_filter_with_columns_reads_the_filter_column_without_returning_it(table):
    rows = table.scan(columns=["name"], filter="flag = false and score < 100")
    assert sorted(rows, key=lambda r: r["name"] or "") == [{"name": None}, {"name": "e"}]


def test_filter_on_batches_and_pandas(table):
    batches = list(table.scan_batches(columns=["id", "flag"], filter="id >= 2 and id <= 7", batch_size=2))
    assert all(list(b) == ["id", "flag"] for b in batches)
    assert all(len(b["id"]) <= 2 for b in batches)
    got = sorted(zip(sum((b["id"] for b in batches), []), sum((b["flag"] for b in batches), [])))
    assert got == [(2, False), (3, None), (4, True), (5, False), (6, True), (7, None)]
    pandas = pytest.importorskip("pandas")
    frame = table.to_pandas(columns=["id", "name"], filter="flag = true")
    assert list(frame.columns) == ["id", "name"]
    assert sorted(zip(frame["id"].tolist(), frame["name"].tolist())) == [(1, "a"), (4, "it's"), (6, "f")]
    empty = table.to_pandas(columns=["day"], filter="id > 100")
    assert isinstance(empty, pandas.DataFrame) and list(empty.columns) == ["day"] and len(empty) == 0


def test_time_travel_with_a_filter(table):
    first, second = [s.snapshot_id for s in table.history()]
    assert ids(table.scan(filter="name = 'a'")) == [1, 7]
    assert ids(table.scan(filter="name = 'a'", snapshot_id=first)) == [1]
    assert table.count(filter="name = 'a'", snapshot_id=first) == 1
    assert table.count(snapshot_id=first) == 4
    assert table.count(snapshot_id=second) == 8
    as_of = table.history()[0].timestamp_ms
    if table.history()[1].timestamp_ms > as_of:  # two commits in one millisecond share it
        assert ids(table.scan(filter="flag = true", as_of=as_of)) == [1, 4]
        assert table.count(filter="flag = true", as_of=as_of) == 2
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    assert ids(table.scan(filter="flag = true", as_of=later)) == [1, 4, 6]
    assert table.count(filter="flag = true", as_of=later) == 3


def test_count_of_an_empty_table_is_zero(tmp_path):
    empty = create_table(tmp_path / "empty", SCHEMA)
    assert empty.count() == 0
    assert empty.count(filter="id > 1") == 0
    assert empty.scan(filter="name is null") == []
    # A filter is checked against the schema even with nothing to read.
    with pytest.raises(InvalidArgument, match="'nope'"):
        empty.count(filter="nope = 1")
    with pytest.raises(InvalidArgument, match="'abc'"):
        empty.scan(filter="id = 'abc'")


def test_metrics_show_what_a_selective_filter_pruned(tmp_path):
    t = create_table(tmp_path / "files", SCHEMA)
    for f in range(4):  # four commits: four data files with disjoint id ranges
        t.append_records(records=[{"id": f * 100 + i, "name": f"n{f}"} for i in range(100)])

    everything = t.scan_batches()
    assert sum(len(b["id"]) for b in everything) == 400
    full = everything.metrics
    assert full["data_files_considered"] == 4
    assert full["data_files_pruned"] == 0
    assert full["rows_returned"] == 400
    assert full["bytes_read"] > 0

    selective = t.scan_batches(filter="id >= 310 and id < 320")
    rows = sum((b["id"] for b in selective), [])
    assert rows == list(range(310, 320))
    m = selective.metrics
    assert m["data_files_considered"] == 4
    assert m["data_files_pruned"] == 3
    assert m["rows_returned"] == 10
    assert 0 < m["bytes_read"] < full["bytes_read"]
    assert set(m) == {
        "manifests_considered",
        "manifests_pruned",
        "data_files_considered",
        "data_files_pruned",
        "row_groups_considered",
        "row_groups_pruned",
        "bytes_read",
        "pages_read",
        "pages_skipped",
        "delete_files",
        "rows_deleted",
        "rows_returned",
        "files_counted_from_metadata",
    }

    # A filter no file can match reads nothing at all.
    none = t.scan_batches(filter="id > 1000")
    assert list(none) == []
    assert none.metrics["data_files_pruned"] == 4
    assert none.metrics["bytes_read"] == 0
    assert none.metrics["rows_returned"] == 0


def test_filter_on_a_missing_column_names_it(table):
    with pytest.raises(InvalidArgument) as info:
        table.scan(filter="nope = 1")
    assert type(info.value) is InvalidArgument
    assert str(info.value) == "filter column 'nope' is not in the schema (columns: id, name, score, day, flag)"
    with pytest.raises(InvalidArgument, match="'nope'"):
        table.count(filter="id > 1 and nope is null")
    with pytest.raises(InvalidArgument, match="'nope'"):
        table.scan_batches(filter="nope = 1")


@pytest.mark.parametrize(
    "text,column,literal,type_name",
    [
        ("id = 'abc'", "id", "abc", "long"),
        ("day >= '2024-13-45'", "day", "2024-13-45", "date"),
        ("flag = 'yes'", "flag", "yes", "boolean"),
        ("score > 'high'", "score", "high", "double"),
        ("id in (1, 'x')", "id", "x", "long"),
    ],
)
def test_filter_with_a_wrong_typed_literal_names_column_and_literal(table, text, column, literal, type_name):
    with pytest.raises(InvalidArgument) as info:
        table.scan(filter=text)
    assert type(info.value) is InvalidArgument
    message = str(info.value)
    assert message.startswith(
        f"filter literal '{literal}' does not fit column '{column}' of type {type_name}: "
    ), message
    with pytest.raises(InvalidArgument):
        table.count(filter=text)
    with pytest.raises(InvalidArgument):
        table.to_pandas(filter=text)


def test_filter_syntax_errors_and_bad_arguments(table):
    with pytest.raises(InvalidArgument) as info:
        table.scan(filter="id >")
    assert str(info.value) == "filter 'id >': expected a literal, found the end at offset 4"
    with pytest.raises(InvalidArgument, match="filter must be a str"):
        table.scan(filter=5)
    with pytest.raises(InvalidArgument, match="not both"):
        table.count(snapshot_id=table.history()[0].snapshot_id, as_of=0)
