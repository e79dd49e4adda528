"""Schema: the documented constructor, its views, errors and pickling."""

import pickle

import pytest

import datashard
from datashard import InvalidArgument, NotFound, PartitionSpec, Schema

FIELDS = [
    {"id": 1, "name": "record_id", "type": "long", "required": True},
    {"id": 2, "name": "value", "type": "string", "required": True},
    {"id": 3, "name": "amount", "type": "decimal(18,3)"},
]


def test_documented_constructor_keeps_ids_names_types_and_nullability():
    schema = Schema(schema_id=1, fields=FIELDS)
    assert schema.schema_id == 1
    assert schema.names == ["record_id", "value", "amount"]
    assert len(schema) == 3
    assert "value" in schema and "missing" not in schema
    assert schema.fields == [
        {"id": 1, "name": "record_id", "type": "long", "required": True},
        {"id": 2, "name": "value", "type": "string", "required": True},
        {"id": 3, "name": "amount", "type": "decimal(18, 3)", "required": False},
    ]
    assert schema.field("amount") == {
        "id": 3,
        "name": "amount",
        "type": "decimal(18, 3)",
        "required": False,
    }


def test_json_round_trip_and_equality():
    schema = Schema(schema_id=4, fields=FIELDS)
    again = Schema(schema_id=4, fields=schema.to_json())
    assert again == schema
    assert Schema.from_json(schema.to_json()).fields == schema.fields
    assert Schema(schema_id=5, fields=FIELDS) != schema
    assert hash(again) == hash(schema)


def test_pickles_for_multiprocessing():
    schema = Schema(schema_id=2, fields=FIELDS)
    assert pickle.loads(pickle.dumps(schema)) == schema


def test_repr_shows_the_constructor_call():
    schema = Schema(schema_id=1, fields=FIELDS[:1])
    assert repr(schema) == (
        "Schema(schema_id=1, fields=[{'id': 1, 'name': 'record_id', "
        "'required': True, 'type': 'long'}])"
    )


@pytest.mark.parametrize(
    "fields, message",
    [
        ([{"id": 1, "name": "a", "type": "lonk"}], "unknown type 'lonk'"),
        ([{"id": 1, "name": "a"}], "needs a \"type\""),
        ([{"name": "a", "type": "long"}], "needs an integer \"id\""),
        ([{"id": 1, "name": "a", "type": "long", "nullable": True}], "unknown key \"nullable\""),
        ([{"id": 1, "name": "a", "type": "long", "required": "yes"}], "must be true or false"),
        (
            [{"id": 1, "name": "a", "type": "long"}, {"id": 1, "name": "b", "type": "long"}],
            "1",
        ),
        ([{"id": 1, "name": "a", "type": object()}], "cannot use object"),
    ],
)
def test_bad_fields_raise_invalid_argument_naming_the_field(fields, message):
    with pytest.raises(InvalidArgument) as info:
        Schema(schema_id=1, fields=fields)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_fields_and_unknown_field_lookup():
    with pytest.raises(InvalidArgument, match="Schema needs fields"):
        Schema(schema_id=1)
    with pytest.raises(NotFound, match="no field named 'nope'") as info:
        Schema(schema_id=1, fields=FIELDS).field("nope")
    assert isinstance(info.value, LookupError)


def test_partition_spec_parse():
    schema = Schema(
        schema_id=1,
        fields=[
            {"id": 1, "name": "id", "type": "long", "required": True},
            {"id": 2, "name": "ts", "type": "timestamp"},
            {"id": 3, "name": "partition", "type": "string"},
        ],
    )
    spec = PartitionSpec.parse("partition, day(ts), bucket(16, id)", schema)
    assert not spec.is_unpartitioned
    assert spec.fields == [
        {"source_id": 3, "field_id": 1000, "name": "partition", "transform": "identity"},
        {"source_id": 2, "field_id": 1001, "name": "ts_day", "transform": "day"},
        {"source_id": 1, "field_id": 1002, "name": "id_bucket", "transform": "bucket[16]"},
    ]
    assert PartitionSpec().is_unpartitioned
    with pytest.raises(datashard.InvalidArgument, match="nope"):
        PartitionSpec.parse("day(nope)", schema)
