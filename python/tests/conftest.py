"""Shared fixtures of the datashard Python suite.

The suite runs from ctest with PYTHONPATH set to the repository's python/
folder (so it tests the tree it was built from) and DATASHARD_SOURCE_DIR /
DATASHARD_CLI naming the source tree and the built command-line tool.
"""

import os
import pathlib

import pytest

SOURCE_DIR = pathlib.Path(
    os.environ.get("DATASHARD_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2])
)


@pytest.fixture(scope="session")
def source_dir():
    return SOURCE_DIR


@pytest.fixture
def events_schema():
    from datashard import Schema

    return Schema(
        schema_id=1,
        fields=[
            {"id": 1, "name": "record_id", "type": "long", "required": True},
            {"id": 2, "name": "value", "type": "string", "required": True},
        ],
    )
