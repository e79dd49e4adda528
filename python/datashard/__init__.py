"""datashard: ACID Apache Iceberg v2 tables on a plain filesystem.

Any number of processes may append to and read one table at once. Commits
are optimistic: one that loses a race is rebuilt on the winner's snapshot and
tried again, and ConcurrentModificationException is raised only when that
cannot succeed. See docs/python.md.

    from datashard import Schema, create_table

    schema = Schema(schema_id=1, fields=[
        {"id": 1, "name": "sensor_id", "type": "long", "required": True},
        {"id": 2, "name": "celsius", "type": "double", "required": True},
    ])
    readings = create_table("/data/readings", schema)
    with readings.new_transaction() as tx:
        tx.append_data(records=[{"sensor_id": 7, "celsius": 21.5}], schema=schema)
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
    Catalog,
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
    LockSpec,
    NO_SNAPSHOT,
    NotFound,
    NotSupported,
    PartitionSpec,
    PartitionSpecUpdate,
    ScanIterator,
    Schema,
    SchemaMismatch,
    SchemaUpdate,
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
    "Catalog",
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
    "LockSpec",
    "NO_SNAPSHOT",
    "NotFound",
    "NotSupported",
    "PartitionSpec",
    "PartitionSpecUpdate",
    "ScanIterator",
    "Schema",
    "SchemaMismatch",
    "SchemaUpdate",
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



def open_table(path, *, catalog=None):
    """Opens the table in folder `path` (str or path-like), or pinned and
    read-only to one metadata file `path` names; NotFound if there is none.
    With catalog= (a Catalog or its URL: 'sqlite:PATH', 'postgresql://...'),
    `path` is the table's identifier 'namespace.table'. A Python function, so
    that tables pickle as open_table(path) (or with their catalog URL)."""
    return _datashard.open_table(path, catalog=catalog)


load_table = open_table


def open_lock_manager(url):
    """Opens the lock manager a URL names: 'sqlite:PATH', 'postgresql://...' or
    'redis://host:port' (same as LockManager(url))."""
    return LockManager(url)
