"""Shared fixtures: the real catalogue, loaded once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from bot.catalog import Catalog, load_catalog

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

# CI runs the property tests on a fixed, reproducible set of examples (a red CI must be re-runnable);
# local runs stay random so they keep finding new inputs.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(ROOT / "catalog")
