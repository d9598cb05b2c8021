"""Shared fixtures. Every test that takes `wf` or `store` runs on SQLite, and again on PostgreSQL
when TEST_DATABASE_URL is set (`.ci/run` sets it); without it the PostgreSQL runs skip, saying why."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from workflow.adapters.definitions import load_folder
from workflow.domain.definition import Registry
from workflow.usecases.engine import Workflow
from workflow.adapters.db import Store, normalise_url
from workflow.adapters.tables import metadata

from workflow.domain import credentials

# Each stored hash records its own scrypt cost, so tests may hash cheaply; production keeps 2**14.
credentials.SCRYPT_N = 2**10

ROOT = Path(__file__).resolve().parent.parent
DEFINITIONS = ROOT / "definitions"
PG_URL = os.environ.get("TEST_DATABASE_URL")
from tests.support import PASSWORD  # noqa: E402 - one password for every fixture user


def _pg_available() -> str | None:
    if not PG_URL:
        return "TEST_DATABASE_URL is not set (PostgreSQL tests run in .ci/run, or set it yourself)"
    try:
        eng = create_engine(normalise_url(PG_URL))
        with eng.connect() as c:
            c.execute(text("select 1"))
        eng.dispose()
    except Exception as e:  # noqa: BLE001 - any failure means: skip, and say why
        return f"PostgreSQL at TEST_DATABASE_URL is not reachable: {e.__class__.__name__}"
    return None


_PG_SKIP = _pg_available()


@pytest.fixture(scope="session")
def pg_database():
    """A throw-away PostgreSQL database for this test session, migrated by Alembic."""
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    from tests.live import throwaway_database
    from workflow.adapters.db import migrate
    with throwaway_database(PG_URL) as url:
        migrate(url)
        yield url


def pg_store(url: str) -> Store:
    store = Store(url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with store.core() as c:
        c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    store.ensure_chain_head()
    return store


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path / 'test.db'}")
        s.create_all()
    else:
        s = pg_store(request.getfixturevalue("pg_database"))
    yield s
    if s.is_sqlite:
        # whatever the test did to cases, the search index (FTS5) still matches the table
        with s.core() as c:
            c.exec_driver_sql("INSERT INTO cases_search(cases_search, rank) VALUES ('integrity-check', 1)")
    s.dispose()


@pytest.fixture(scope="session")
def registry() -> Registry:
    reg = load_folder(DEFINITIONS)
    assert not reg.errors, [e.message for e in reg.errors]
    return reg


@pytest.fixture
def wf(store, registry) -> Workflow:
    return Workflow(store, registry)


@dataclass
class People:
    """Two districts under one province. Users in district A for every role, a second staff and a
    second supervisor (for four eyes), staff in district B, and auditor/admin at province level."""
    province: int
    district_a: int
    district_b: int
    staff: int
    staff2: int
    supervisor: int
    supervisor2: int
    auditor: int
    admin: int
    staff_b: int
    supervisor_b: int
    auditor_b: int
    province_auditor: int
    province_admin: int


@pytest.fixture
def people(wf) -> People:
    prov = wf.people.find_or_create_unit_path(["Tỉnh ủy Quảng Nam"])
    a = wf.people.find_or_create_unit_path(["Tỉnh ủy Quảng Nam", "Huyện ủy Duy Xuyên"])
    b = wf.people.find_or_create_unit_path(["Tỉnh ủy Quảng Nam", "Huyện ủy Thăng Bình"])
    mk = lambda name, role, unit: wf.people.create_user(None, name, PASSWORD, role, unit).id  # noqa: E731
    return People(prov, a, b, mk("staff", "staff", a), mk("staff2", "staff", a), mk("lead", "supervisor", a),
                  mk("lead2", "supervisor", a), mk("audit", "auditor", a), mk("admin", "admin", a),
                  mk("staff_b", "staff", b), mk("lead_b", "supervisor", b), mk("audit_b", "auditor", b),
                  mk("audit_p", "auditor", prov), mk("admin_p", "admin", prov))
