"""SQL catalogs from Python: create_table / open_table (load_table) with
catalog=, the Catalog's namespace and table operations, pickling a catalog
table, and the CLI's --catalog on the same database."""

import json
import os
import pickle
import sqlite3
import subprocess
import uuid

import pytest

import datashard
from datashard import AlreadyExists, Catalog, InvalidArgument, NotFound

from lock_helpers import postgres_url


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:{tmp_path / 'catalog.db'}"
    return postgres_url()


@pytest.fixture
def ns():
    return "py" + uuid.uuid4().hex[:12]


def test_create_append_and_load_through_a_catalog(catalog_url, ns, tmp_path, events_schema):
    table = datashard.create_table(f"{ns}.events", events_schema, catalog=catalog_url,
                                   location=tmp_path / "events")
    assert table.identifier == f"{ns}.events"
    assert table.table_path == str(tmp_path / "events")
    table.append_records([{"record_id": 1, "value": "a"}], events_schema)
    again = datashard.load_table(f"{ns}.events", catalog=catalog_url)
    assert [r["record_id"] for r in again.scan()] == [1]
    # The same name and schema opens the table; another folder is refused.
    datashard.create_table(f"{ns}.events", events_schema, catalog=catalog_url,
                           location=tmp_path / "events")
    with pytest.raises(AlreadyExists):
        datashard.create_table(f"{ns}.events", events_schema, catalog=catalog_url,
                               location=tmp_path / "other")
    with pytest.raises(InvalidArgument):
        datashard.create_table(f"{ns}.x", events_schema, catalog=catalog_url)
    with pytest.raises(NotFound):
        datashard.open_table(f"{ns}.missing", catalog=catalog_url)
    # A catalog table pickles as its identifier and catalog URL.
    copy = pickle.loads(pickle.dumps(again))
    assert copy.identifier == f"{ns}.events"
    assert copy.current_snapshot().snapshot_id == again.current_snapshot().snapshot_id


def test_namespaces_and_tables_are_listed_renamed_and_dropped(catalog_url, ns, tmp_path,
                                                             events_schema):
    catalog = Catalog(catalog_url)
    catalog.create_namespace(f"{ns}.empty", {"owner": "ops"})
    assert catalog.namespace_properties(f"{ns}.empty") == {"owner": "ops"}
    catalog.create_table(f"{ns}.a", events_schema, location=tmp_path / "a")
    assert catalog.list_namespaces(ns) == [f"{ns}.empty"]
    assert catalog.list_tables(ns) == [f"{ns}.a"]
    catalog.rename_table(f"{ns}.a", f"{ns}.b")
    assert not catalog.table_exists(f"{ns}.a")
    assert catalog.load_table(f"{ns}.b").table_path == str(tmp_path / "a")
    catalog.drop_namespace(f"{ns}.empty")
    catalog.rename_namespace(ns, ns + "x")
    assert catalog.list_tables(ns + "x") == [f"{ns}x.b"]
    catalog.drop_table(f"{ns}x.b")
    assert not catalog.namespace_exists(ns + "x")
    assert (tmp_path / "a" / "metadata").is_dir()  # the files stay


def test_cli_and_python_share_the_catalog(tmp_path, events_schema):
    url = f"sqlite:{tmp_path / 'catalog.db'}"
    cli = os.environ.get("DATASHARD_CLI", "datashard")
    schema = json.dumps([{"id": 1, "name": "record_id", "type": "long", "required": True},
                         {"id": 2, "name": "value", "type": "string", "required": True}])
    subprocess.run([cli, "create", "--catalog", url, "ops.t", "--location",
                    str(tmp_path / "t"), "--schema", schema], check=True)
    subprocess.run([cli, "append", "--catalog", url, "ops.t"], check=True, text=True,
                   input='{"record_id": 7, "value": "x"}\n', stdout=subprocess.DEVNULL)
    table = datashard.open_table("ops.t", catalog=url)
    assert [r["record_id"] for r in table.scan()] == [7]
    listed = subprocess.run([cli, "catalog", "list", "--catalog", url, "ops", "--json"],
                            check=True, capture_output=True, text=True).stdout
    assert json.loads(listed) == {"namespaces": [], "tables": ["ops.t"]}
    # The rows are PyIceberg's: catalog name, namespace, table, current and previous file.
    with sqlite3.connect(tmp_path / "catalog.db") as db:
        rows = db.execute("SELECT catalog_name, table_namespace, table_name, metadata_location,"
                          " previous_metadata_location FROM iceberg_tables").fetchall()
    assert len(rows) == 1
    name, namespace, table_name, current, previous = rows[0]
    assert (name, namespace, table_name) == ("datashard", "ops", "t")
    assert os.path.basename(current).startswith("00001-")
    assert os.path.basename(previous).startswith("00000-")
    subprocess.run([cli, "catalog", "drop", "--catalog", url, "ops.t"], check=True)
    assert subprocess.run([cli, "count", "--catalog", url, "ops.t"],
                          capture_output=True).returncode == 1
