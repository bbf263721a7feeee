"""Fixtures of tests/people."""

from __future__ import annotations

import pytest

from tests.people.crossing import crossing_clip


@pytest.fixture(scope="module")
def crossing():
    """:func:`tests.people.crossing.crossing_clip`, rendered once a module."""
    return crossing_clip()
