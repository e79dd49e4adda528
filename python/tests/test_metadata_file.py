"""open_table/load_table on one metadata file, as catalogs name them
(<NNNNN>-<uuid>.metadata.json): pinned to that version and read-only."""

import re

import pytest

from datashard import NotSupported, create_table, load_table, open_table


def test_open_by_metadata_file_is_pinned_and_read_only(tmp_path, events_schema):
    table = create_table(tmp_path / "t", events_schema)
    ids = []
    for first in (0, 3):
        table.append_records(
            records=[{"record_id": i, "value": f"v{i}"} for i in range(first, first + 3)],
            schema=events_schema,
        )
        ids.append(table.current_snapshot().snapshot_id)
    metadata = tmp_path / "t" / "metadata"
    # v2 holds the first append only; copied under a catalog's name elsewhere.
    pinned = tmp_path / "00001-0b7e1d2c-3f4a-4b5c-8d6e-7f8091a2b3c4.metadata.json"
    pinned.write_bytes((metadata / "v2.metadata.json").read_bytes())
    before = sorted((p.name, p.read_bytes()) for p in metadata.iterdir())

    t = open_table(pinned)
    assert t.current_snapshot().snapshot_id == ids[0]
    assert sorted(r["record_id"] for r in t.scan()) == [0, 1, 2]
    assert [s.snapshot_id for s in t.history()] == [ids[0]]
    newest = load_table(str(metadata / "v3.metadata.json"))
    assert sorted(r["record_id"] for r in newest.scan(snapshot_id=ids[0])) == [0, 1, 2]
    assert len(newest.scan()) == 6

    with pytest.raises(NotSupported, match=re.escape(str(pinned))) as refused:
        t.append_records(records=[{"record_id": 9, "value": "x"}], schema=events_schema)
    assert "read-only" in str(refused.value)
    with pytest.raises(NotSupported, match="read-only"):
        newest.new_transaction()
    assert sorted((p.name, p.read_bytes()) for p in metadata.iterdir()) == before
