"""File I/O and commits run with the GIL released. With a huge switch
interval the interpreter never takes the GIL from a running thread, so the
main thread can only run while the worker is inside a call that released it:
if it runs before the worker finished, the calls released the GIL."""

import sys
import threading

import pytest

from datashard import create_table


@pytest.fixture
def no_forced_switches():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1000)
    yield
    sys.setswitchinterval(old)


def main_thread_runs_during(work):
    state = {"finished": False}

    def worker():
        work()
        state["finished"] = True

    thread = threading.Thread(target=worker)
    thread.start()  # returns once the main thread gets the GIL back
    ran_during = not state["finished"]
    thread.join()
    return ran_during


def test_appends_and_commits_release_the_gil(tmp_path, events_schema, no_forced_switches):
    table = create_table(tmp_path / "t", events_schema)

    def appends():
        for i in range(5):
            table.append_records(records=[{"record_id": i, "value": "x"}])

    assert main_thread_runs_during(appends)

    def transaction():
        with table.new_transaction() as tx:
            tx.append_data(records=[{"record_id": 99, "value": "y"}])
            tx.commit()

    assert main_thread_runs_during(transaction)


def test_scans_release_the_gil(tmp_path, events_schema, no_forced_switches):
    # The main thread needs time to wake up and take the GIL while the worker
    # is inside C++: one scan of one small file can end before that, so the
    # worker scans many files several times (milliseconds with the GIL free).
    table = create_table(tmp_path / "t", events_schema)
    for f in range(20):
        table.append_records(records=[{"record_id": f * 100 + i, "value": "x"} for i in range(100)])
    assert main_thread_runs_during(lambda: [table.scan() for _ in range(10)])
    assert main_thread_runs_during(lambda: [table.scan(filter="value = 'x'") for _ in range(10)])


def test_the_probe_sees_work_that_holds_the_gil(events_schema, no_forced_switches):
    # Record conversion holds the GIL: the main thread cannot run meanwhile.
    records = [{"record_id": i, "value": "x"} for i in range(1000)]
    assert not main_thread_runs_during(lambda: [events_schema.validate(records) for _ in range(200)])
