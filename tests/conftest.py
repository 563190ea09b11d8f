"""Shared fixtures: the real catalogue, loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalog import Catalog, load_catalog

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(ROOT / "catalog")
