"""The case list's title filter: on both backends it finds exactly the titles that contain the
text as PostgreSQL's ILIKE '%text%' does (Unicode case ignored — Vietnamese included —, diacritics
significant, every character literal: % _ \\ " and FTS syntax). On SQLite it goes through the FTS5
trigram table cases_fts (3+ characters) or a case-folded scan (shorter), and the index stays
consistent with `cases` through inserts, title updates, deletes, migrations, backup and restore."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import create_engine, delete, insert, select, text, update

from web.cli import migrate
from workflow.backup import backup_sqlite, restore_sqlite
from workflow.service import Workflow
from workflow.store import Store, cases

WORDS = ["Nguyễn", "NGUYỄN", "nguyễn", "Nguyen", "Đảng", "ĐẢNG", "đảng", "dang", "Văn", "VĂN", "An", "Ư", "ư",
         "AND", "OR", "NOT", "NEAR", "NEAR(", "and", "or", "*", "^", ":", "(", ")", '"', '""', "%", "_", "\\",
         "\\%", "title:", "-", "+", "{", "}", " "]
LETTERS = "aAnNgGuUyYeEiIđĐễỄảẢăĂâÂơƠưƯếẾộỘ %_\\\"*^:()-"
token = st.one_of(st.sampled_from(WORDS), st.text(LETTERS, min_size=1, max_size=4))
title_st = st.lists(token, min_size=1, max_size=8).map("".join).filter(lambda t: 0 < len(t) <= 300)
change_case = st.sampled_from([str, str.upper, str.lower, str.swapcase, str.title])


@st.composite
def corpus_and_needles(draw):
    titles = draw(st.lists(title_st, min_size=1, max_size=12))
    needles = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.integers(0, 2))
        if kind == 0:                                   # a piece of a title, its case changed
            t = draw(st.sampled_from(titles))
            i = draw(st.integers(0, len(t) - 1))
            j = draw(st.integers(i + 1, min(len(t), i + 12)))
            needles.append(draw(change_case)(t[i:j]))
        elif kind == 1:
            needles.append(draw(st.sampled_from(WORDS)))
        else:
            needles.append(draw(st.text(LETTERS, min_size=1, max_size=6)))
    return titles, needles


def _put_titles(wf, people, titles: list[str]) -> list[int]:
    """Replace every case with one case per title (direct SQL: the triggers see deletes and inserts)."""
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    with wf.store.write() as c:
        c.execute(delete(cases))
        ids = []
        for k, t in enumerate(titles):
            ids.append(c.execute(insert(cases).values(
                definition_key="committee-personnel", definition_version=1, title=t, unit_id=people.district_a,
                state=wf.registry.get("committee-personnel", 1).steps[0].key, status="open", version=1, step_started_at=now, opened_by=people.staff, opened_at=now,
                updated_at=now + dt.timedelta(seconds=k))).inserted_primary_key[0])
    return ids


def _found(wf, actor: int, needle: str) -> set[int]:
    p = wf.list_cases(actor, text=needle, per_page=100)
    assert p.exact and p.total == len(p.items)
    return {c.id for c in p.items}


def _fts_consistent(store: Store) -> None:
    if store.is_sqlite:
        with store.write() as c:          # raises if the index and `cases` disagree
            c.exec_driver_sql("INSERT INTO cases_fts(cases_fts, rank) VALUES ('integrity-check', 1)")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=corpus_and_needles())
def test_the_title_filter_finds_exactly_the_titles_containing_the_text_in_any_case(wf, people, data):
    titles, needles = data
    ids = _put_titles(wf, people, titles)
    for needle in needles:
        want = {i for i, t in zip(ids, titles) if needle.casefold() in t.casefold()}
        assert _found(wf, people.province_auditor, needle) == want, (needle, titles)
    _fts_consistent(wf.store)


@pytest.mark.parametrize("needle, hits", [
    ("NGUYỄN", {"a", "b"}), ("nguyễn văn an", {"a"}), ("Nguyen", {"c"}), ("ĐẢNG", {"d"}), ("đả", {"d"}),
    ("Đ", {"a", "d", "e"}), ("ễ", {"a", "b"}), ("100%", {"e"}), ("0%", {"e"}), ("%", {"e"}), ("_", {"f"}), ("a_b", {"f"}),
    ("\\", {"g"}), ('"', {"h"}), ('"x" OR "y"', {"h"}), ("OR", {"h", "i"}), ("x OR", set()), ("NEAR(a b)", set()),
    ("*", {"i"}), ("An", {"a", "c", "i"}), ("Văn An", {"a"}), ("văn an nguyễn", set()),
])
def test_examples(wf, people, needle, hits):
    titles = {"a": "Bổ nhiệm đồng chí Nguyễn Văn An", "b": "NGUYỄN THỊ HÀ", "c": "Nguyen Van Binh (không dấu)",
              "d": "Kết nạp Đảng viên", "e": "Đạt 100% số phiếu", "f": "mã a_b", "g": "thư mục C:\\hồ sơ",
              "h": 'Nghị quyết "x" OR "y"', "i": "OR * Andrew"}
    ids = dict(zip(titles, _put_titles(wf, people, list(titles.values()))))
    assert _found(wf, people.province_auditor, needle) == {ids[k] for k in hits}


def _integrity_fails(store: Store) -> bool:
    try:
        _fts_consistent(store)
    except Exception:  # noqa: BLE001 - sqlite3.DatabaseError wrapped by SQLAlchemy
        return True
    return False


def test_the_index_follows_inserts_title_updates_and_deletes(wf, people):
    a = wf.open_case(people.staff, "committee-personnel", "Kiện toàn Ban Thường vụ Huyện ủy").case["id"]
    b = wf.open_case(people.staff, "committee-personnel", "Kiện toàn Đảng ủy xã").case["id"]
    aud = people.province_auditor
    assert _found(wf, aud, "KIỆN TOÀN") == {a, b}
    with wf.store.write() as c:
        c.execute(update(cases).where(cases.c.id == a).values(title="Bầu bổ sung Ủy viên"))
        c.execute(update(cases).where(cases.c.id == b).values(status="cancelled"))     # not the title
    assert _found(wf, aud, "KIỆN TOÀN") == {b}
    assert _found(wf, aud, "ủy viên") == {a}
    assert _found(wf, aud, "Ủy") == {a, b}
    with wf.store.write() as c:
        c.execute(delete(cases).where(cases.c.id == b))
    assert _found(wf, aud, "kiện toàn") == set()
    assert _found(wf, aud, "ỦY") == {a}
    _fts_consistent(wf.store)
    if wf.store.is_sqlite:
        # the check does catch an index that no longer matches the table (written around the triggers)
        with wf.store.write() as c:
            c.exec_driver_sql("DROP TRIGGER cases_fts_au")
            c.execute(update(cases).where(cases.c.id == a).values(title="Một tiêu đề khác"))
        assert _integrity_fails(wf.store)
        with wf.store.write() as c:          # and 'rebuild' repairs it
            c.exec_driver_sql("INSERT INTO cases_fts(cases_fts) VALUES ('rebuild')")
        _fts_consistent(wf.store)
        assert _found(wf, aud, "tiêu đề") == {a}


def _sqlite_store(path) -> Store:
    store = Store(f"sqlite:///{path}")
    store.ensure_chain_head()
    return store


def _alembic(url: str, command_name: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config
    from web.cli import MIGRATIONS
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["database_url"] = url
    getattr(command, command_name)(cfg, revision)


def _fts_objects(path) -> set[str]:
    eng = create_engine(f"sqlite:///{path}")
    with eng.connect() as c:
        names = {r[0] for r in c.execute(text("SELECT name FROM sqlite_master WHERE name LIKE 'cases_fts%'"))}
    eng.dispose()
    return names


def test_migration_0005_indexes_the_cases_already_there_and_goes_back_and_forth(tmp_path, registry):
    path = tmp_path / "m.db"
    url = f"sqlite:///{path}"
    _alembic(url, "upgrade", "0004")
    assert _fts_objects(path) == set()
    store = _sqlite_store(path)
    wf = Workflow(store, registry)
    unit = wf.find_or_create_unit_path(["Tỉnh ủy", "Huyện ủy Duy Xuyên"])
    staff = wf.create_user(None, "staff", "a-long-password", "staff", unit).id
    auditor = wf.create_user(None, "audit", "a-long-password", "auditor", unit).id
    old = wf.open_case(staff, "committee-personnel", "Kiện toàn cấp ủy NGUYỄN Văn An").case["id"]
    store.dispose()

    migrate(url)                           # 0005: the table, its triggers, and the cases already there
    assert {"cases_fts", "cases_fts_ai", "cases_fts_ad", "cases_fts_au"} <= _fts_objects(path)
    store = _sqlite_store(path)
    wf = Workflow(store, registry)
    new = wf.open_case(staff, "committee-personnel", "Bổ nhiệm đồng chí Nguyễn Thị Hà").case["id"]
    assert _found(wf, auditor, "nguyễn") == {old, new}
    assert _found(wf, auditor, "văn an") == {old}
    _fts_consistent(store)
    store.dispose()

    _alembic(url, "downgrade", "0004")
    assert _fts_objects(path) == set()
    migrate(url)
    store = _sqlite_store(path)
    assert _found(Workflow(store, registry), auditor, "NGUYỄN") == {old, new}
    _fts_consistent(store)
    store.dispose()


def test_a_restored_backup_searches_its_own_cases_and_keeps_indexing(tmp_path, registry):
    store = Store(f"sqlite:///{tmp_path / 'live.db'}")
    store.create_all()
    wf = Workflow(store, registry)
    unit = wf.find_or_create_unit_path(["Tỉnh ủy", "Huyện ủy Duy Xuyên"])
    staff = wf.create_user(None, "staff", "a-long-password", "staff", unit).id
    aud = wf.create_user(None, "audit", "a-long-password", "auditor", unit).id
    kept = wf.open_case(staff, "committee-personnel", "Kiện toàn Đảng ủy xã Duy Hải").case["id"]
    backup_sqlite(store, tmp_path / "copy.db")
    wf.open_case(staff, "committee-personnel", "Kiện toàn Đảng ủy xã Duy Nghĩa")      # after the backup
    with store.write() as c:
        c.execute(update(cases).where(cases.c.id == kept).values(title="Đổi tên sau khi sao lưu"))
    assert _found(wf, aud, "ĐẢNG ỦY") != {kept}

    assert restore_sqlite(store, tmp_path / "copy.db").ok
    _fts_consistent(store)
    assert _found(wf, aud, "ĐẢNG ỦY") == {kept}
    assert _found(wf, aud, "sao lưu") == set()
    later = wf.open_case(staff, "committee-personnel", "Bầu bổ sung Đảng ủy viên").case["id"]
    assert _found(wf, aud, "đảng ủy") == {kept, later}
    _fts_consistent(store)
    # the backup file itself is a consistent database with its index
    copy = Store(f"sqlite:///{tmp_path / 'copy.db'}")
    assert _found(Workflow(copy, registry), aud, "duy hải") == {kept}
    _fts_consistent(copy)
    copy.dispose()
    store.dispose()
