import pytest

from flighthub.app import create_app
from flighthub.store import Settings


@pytest.fixture
def app(tmp_path):
    # Short lock waits so that refusals come quickly; the tests wait on
    # nothing but lock expiry they ask for.
    settings = Settings(booking_lock_wait_s=0.5, command_lock_wait_s=5)
    return create_app(tmp_path / "data", settings=settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def flight(client):
    seats = [f"{row}{letter}" for row in (1, 2) for letter in "AB"]
    response = client.post("/flights", json={"flight": "LO123", "seats": seats})
    assert response.status_code == 201
    return "LO123"
