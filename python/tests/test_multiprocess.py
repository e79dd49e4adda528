"""Several writer processes (multiprocessing, spawn) append with
append_records while a reader process takes snapshots: exact row counts, no
lost or duplicated ids, snapshots only move forward."""

import multiprocessing

from datashard import open_table

from snippets import append_writer, snapshot_reader

SPAWN = multiprocessing.get_context("spawn")
WRITERS, COMMITS, ROWS = 4, 25, 3


def test_reader_during_writes(tmp_path):
    path = str(tmp_path / "shared")
    stop = SPAWN.Event()
    queue = SPAWN.Queue()
    writers = [SPAWN.Process(target=append_writer, args=(path, w, COMMITS, ROWS)) for w in range(WRITERS)]
    for w in writers:
        w.start()
    reader = SPAWN.Process(target=snapshot_reader, args=(path, stop, queue))
    reader.start()
    for w in writers:
        w.join(timeout=600)
    stop.set()
    seen = queue.get(timeout=600)
    reader.join(timeout=60)
    assert [w.exitcode for w in writers] == [0] * WRITERS
    assert reader.exitcode == 0

    expected = sorted(
        (w * 1000 + c) * 100 + r for w in range(WRITERS) for c in range(COMMITS) for r in range(ROWS)
    )
    table = open_table(path)
    found = sorted(r["record_id"] for r in table.scan())
    assert found == expected  # nothing lost, nothing duplicated
    history = table.history()
    assert int(history[-1].summary["total-records"]) == len(expected)
    assert table.stats().table_commits == WRITERS * COMMITS

    # Every snapshot the reader took was whole (its rows = its total-records,
    # no duplicate, whole commits: one or more each, as appends waiting for
    # the commit lock share one snapshot) and snapshots only moved forward.
    assert seen, "the reader took no snapshot"
    for sequence, _, total, scanned, distinct in seen:
        assert scanned == total == distinct
        assert total % ROWS == 0 and total >= sequence * ROWS
    sequences = [s[0] for s in seen]
    assert sequences == sorted(sequences)
    assert seen[-1][0] == history[-1].sequence_number
    assert seen[-1][2] == len(expected)
