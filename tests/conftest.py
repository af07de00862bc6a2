"""Shared fixtures: the RTDS corpus (via GBCS_RTDS) and messages built with our own encoder."""
from __future__ import annotations

import os
from pathlib import Path

import pytest


def rtds_root() -> Path | None:
    root = os.environ.get("GBCS_RTDS")
    return Path(root) if root else None


def rtds_files() -> list[Path]:
    root = rtds_root()
    if root is None:
        return []
    return sorted(root.glob("RTDS-*/*/*.HEX"))


@pytest.fixture(scope="session")
def rtds() -> list[tuple[Path, bytes]]:
    """Every RTDS message as (path, bytes). Skips locally without GBCS_RTDS; fails in CI."""
    root = rtds_root()
    if root is None or not root.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail("GBCS_RTDS is not set (or not a folder) in CI; .ci/run must set it to ../shared/rtds")
        pytest.skip("set GBCS_RTDS to the RTDS folder to run the corpus tests")
    files = rtds_files()
    if not files:
        pytest.fail(f"no RTDS-*/*/*.HEX files under {root}")
    return [(f, bytes.fromhex(f.read_text().strip())) for f in files]


def _shared_folder(variable: str, what: str) -> Path:
    """A folder named by an environment variable: skip locally when unset, fail in CI."""
    root = os.environ.get(variable)
    if not root or not Path(root).is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{variable} is not set (or not a folder) in CI; .ci/run must set it to {what}")
        pytest.skip(f"set {variable} to {what} to run the DUIS corpus tests")
    return Path(root)


@pytest.fixture(scope="session")
def duis_schemas() -> Path:
    """The DUIS V5.4 / MMC V5.4 XSD folder (GBCS_DUIS_SCHEMAS, ../shared/duis in CI)."""
    return _shared_folder("GBCS_DUIS_SCHEMAS", "../shared/duis")


@pytest.fixture(scope="session")
def duis_templates() -> list[Path]:
    """The DUIS request templates (GBCS_DUIS_TEMPLATES, ../shared/duis/templates in CI)."""
    files = sorted(_shared_folder("GBCS_DUIS_TEMPLATES", "../shared/duis/templates").glob("*.XML"))
    if not files:
        pytest.fail("no *.XML templates in GBCS_DUIS_TEMPLATES")
    return files
