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
    NotFound,
    NotSupported,
    PartitionSpec,
    Schema,
    SchemaMismatch,
    StaleFencingToken,
    Unavailable,
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
    "NotFound",
    "NotSupported",
    "PartitionSpec",
    "Schema",
    "SchemaMismatch",
    "StaleFencingToken",
    "Unavailable",
    "open_lock_manager",
]


def open_lock_manager(url):
    """Opens the lock manager a URL names: 'sqlite:PATH', 'postgresql://...' or
    'redis://host:port' (same as LockManager(url))."""
    return LockManager(url)
