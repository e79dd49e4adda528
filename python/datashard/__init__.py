"""datashard: ACID Apache Iceberg v2 tables on a plain filesystem.

Many processes append to and read one table at once; commits are optimistic
and retried automatically, and a commit that still conflicts raises
ConcurrentModificationException. See docs/python.md.

    from datashard import create_table, Schema, ConcurrentModificationException

    schema = Schema(schema_id=1, fields=[
        {"id": 1, "name": "record_id", "type": "long", "required": True},
        {"id": 2, "name": "value", "type": "string", "required": True},
    ])
    table = create_table("/data/events", schema)
    with table.new_transaction() as tx:
        tx.append_data(records=[{"record_id": 1, "value": "A"}], schema=schema)
        tx.commit()
"""

try:
    from . import _datashard
except ImportError as error:  # the extension is built by scripts/build.sh
    raise ImportError(
        "datashard's compiled extension (_datashard) is missing or does not load "
        f"({error}); build it with scripts/build.sh"
    ) from error

from ._datashard import (  # noqa: F401  (re-exported API)
    AlreadyExists,
    CommitConflict,
    CommitStateUnknown,
    ConcurrentModificationException,
    Corruption,
    DatashardError,
    DatashardIOError,
    DeadlockDetected,
    HeldLock,
    InvalidArgument,
    Lease,
    LockExpired,
    LockManager,
    LockNotAcquired,
    NO_SNAPSHOT,
    NotFound,
    NotSupported,
    PartitionSpec,
    ScanIterator,
    Schema,
    SchemaMismatch,
    Snapshot,
    StaleFencingToken,
    Table,
    TableStats,
    Transaction,
    Unavailable,
    create_table,
)

__all__ = [
    "AlreadyExists",
    "CommitConflict",
    "CommitStateUnknown",
    "ConcurrentModificationException",
    "Corruption",
    "DatashardError",
    "DatashardIOError",
    "DeadlockDetected",
    "HeldLock",
    "InvalidArgument",
    "Lease",
    "LockExpired",
    "LockManager",
    "LockNotAcquired",
    "NO_SNAPSHOT",
    "NotFound",
    "NotSupported",
    "PartitionSpec",
    "ScanIterator",
    "Schema",
    "SchemaMismatch",
    "Snapshot",
    "StaleFencingToken",
    "Table",
    "TableStats",
    "Transaction",
    "Unavailable",
    "create_table",
    "load_table",
    "open_lock_manager",
    "open_table",
]



def open_table(path):
    """Opens the table in folder `path` (str or path-like), or pinned and
    read-only to one metadata file `path` names; NotFound if there is none.
    A Python function, so that tables pickle as open_table(path)."""
    return _datashard.open_table(path)


load_table = open_table


def open_lock_manager(url):
    """Opens the lock manager a URL names: 'sqlite:PATH', 'postgresql://...' or
    'redis://host:port' (same as LockManager(url))."""
    return LockManager(url)
