"""Format tests read problem messages in English, whatever translations exist."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Run every test with English messages."""
    with translation.override("en"):
        yield
