"""Bad input to append_data / append_records: a clear exception before
anything is written, and the table unchanged."""

import datetime

import pytest

from datashard import InvalidArgument, Schema, SchemaMismatch, create_table

SCHEMA = Schema(
    schema_id=1,
    fields=[
        {"id": 1, "name": "record_id", "type": "long", "required": True},
        {"id": 2, "name": "value", "type": "string", "required": True},
        {"id": 3, "name": "partition", "type": "string", "required": True},
        {"id": 4, "name": "day", "type": "date"},
    ],
)


@pytest.fixture(params=["unpartitioned", "partitioned"])
def table(request, tmp_path):
    spec = None if request.param == "unpartitioned" else "partition"
    table = create_table(tmp_path / "t", SCHEMA, partition_spec=spec)
    table.append_records(records=[{"record_id": 0, "value": "v", "partition": "p"}], schema=SCHEMA)
    return table


def state(table):
    """What must not change: metadata version, snapshot and every file."""
    folder = table.table_path
    import os

    files = sorted(
        os.path.relpath(os.path.join(d, f), folder) for d, _, fs in os.walk(folder) for f in fs
    )
    return table.metadata_version, table.current_snapshot(), files


GOOD = {"record_id": 1, "value": "a", "partition": "p"}

CASES = [
    (
        [GOOD, dict(GOOD, record_id="2")],
        None,
        SchemaMismatch,
        "record 1, field 'record_id' (long): expected int, got str '2'",
    ),
    (
        [GOOD, dict(GOOD, day="2024-01-01")],
        None,
        SchemaMismatch,
        "record 1, field 'day' (date): expected datetime.date, got str '2024-01-01'",
    ),
    (
        [GOOD, GOOD, {"record_id": 3, "partition": "p"}],
        None,
        SchemaMismatch,
        "record 2: required field 'value' (string) is missing",
    ),
    ([dict(GOOD, value=None)], None, SchemaMismatch, "record 0: required field 'value' (string) is None"),
    (
        [dict(GOOD, colour="red")],
        None,
        SchemaMismatch,
        "record 0: unknown column 'colour' (schema columns: record_id, value, partition, day)",
    ),
    ([dict(GOOD, record_id=2**64)], None, InvalidArgument, "is out of range for long"),
    (
        [GOOD, dict(GOOD, partition="q")],
        {"partition": "p"},
        InvalidArgument,
        "record 1 field 'partition' is \"q\" but partition_values gives \"p\"",
    ),
    ([GOOD], {"nope": "p"}, SchemaMismatch, "partition_values: unknown column 'nope'"),
    ([GOOD], {"partition": 5}, SchemaMismatch, "expected str, got int 5"),
]


@pytest.mark.parametrize("records, partition_values, error, message", CASES)
def test_append_records_refuses_and_leaves_the_table_unchanged(
    table, records, partition_values, error, message
):
    before = state(table)
    with pytest.raises(error) as info:
        table.append_records(records=records, schema=SCHEMA, partition_values=partition_values)
    assert message in str(info.value)
    assert state(table) == before
    assert table.stats().commits == 1


@pytest.mark.parametrize("records, partition_values, error, message", CASES)
def test_append_data_refuses_and_the_transaction_stays_usable(
    table, records, partition_values, error, message
):
    before = state(table)
    with table.new_transaction() as tx:
        with pytest.raises(error) as info:
            tx.append_data(records=records, schema=SCHEMA, partition_values=partition_values)
        assert message in str(info.value)
        assert tx.pending_records == 0
        assert state(table) == before
        tx.append_data(records=[dict(GOOD, day=datetime.date(2024, 1, 2))], schema=SCHEMA)
        assert tx.commit() is True
    assert sorted(r["record_id"] for r in table.scan()) == [0, 1]


def test_partition_values_disagreeing_message_names_both_values(table):
    with pytest.raises(InvalidArgument) as info:
        table.append_records(
            records=[GOOD, GOOD, dict(GOOD, partition="q")],
            schema=SCHEMA,
            partition_values={"partition": "p"},
        )
    assert str(info.value) == "record 2 field 'partition' is \"q\" but partition_values gives \"p\""


def test_schema_with_another_type_for_a_column_is_refused(table):
    other = Schema(
        schema_id=1,
        fields=[
            {"id": 1, "name": "record_id", "type": "string", "required": True},
            {"id": 2, "name": "value", "type": "string", "required": True},
            {"id": 3, "name": "partition", "type": "string", "required": True},
        ],
    )
    before = state(table)
    with pytest.raises(SchemaMismatch, match="record_id"):
        table.append_records(records=[{"record_id": "1", "value": "a", "partition": "p"}], schema=other)
    assert state(table) == before


def test_records_argument_must_be_a_list_of_dicts(table):
    before = state(table)
    with pytest.raises(SchemaMismatch, match="records must be a list of dicts"):
        table.append_records(records=GOOD, schema=SCHEMA)
    with pytest.raises(TypeError, match="schema must be a datashard.Schema, got {'not': 'a schema'}"):
        table.append_records(records=[GOOD], schema={"not": "a schema"})
    assert state(table) == before
