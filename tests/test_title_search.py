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


# ---- the ways the title filter is looked up, each against the oracle -----------------------------

import sqlite3  # noqa: E402

from workflow import service, store as store_module  # noqa: E402
from workflow.store import title_glob, title_like, fts_fold, fts_phrase  # noqa: E402


def test_fts_fold_is_the_fts5_tokenizers_folding_for_every_code_point():
    """The SQLite title walk and the trigram candidates check titles with a GLOB built from
    fts_fold: it must fold each code point exactly as this SQLite's FTS5 trigram tokenizer does
    (its own Unicode tables, not Python's). Every code point up to the probe's end is asked of
    FTS5 itself (the fold table only probes those Python calls cased), and a sample beyond."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE f USING fts5(t, tokenize='trigram')")
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(f, instance)")
    points = [c for c in range(1, store_module._FOLD_PROBE_END) if not 0xD800 <= c < 0xE000] + \
        list(range(store_module._FOLD_PROBE_END, 0x110000, 61))
    db.executemany("INSERT INTO f(rowid, t) VALUES (?, ?)", [(c, chr(c) * 3) for c in points])
    folded = {doc: term for term, doc in db.execute("SELECT term, doc FROM v")}
    wrong = [hex(c) for c in points if c in folded and folded[c] != fts_fold(chr(c)) * 3]
    assert not wrong
    db.close()


EXOTIC = "aAsSßẞſkKKiIİıσΣςµΜnNễỄăĂđĐ %_\\*?[]^-\"'ᲐაᎠꭰ𐐀𐐨ǅǆǄ"
exotic_title = st.text(EXOTIC, min_size=0, max_size=14)


@settings(max_examples=150, deadline=None)
@given(titles=st.lists(exotic_title, min_size=1, max_size=10), picks=st.lists(
    st.tuples(st.integers(0, 9), st.integers(0, 13), st.integers(3, 8), change_case), min_size=1, max_size=5),
    extra=st.lists(st.text(EXOTIC, min_size=3, max_size=6), max_size=3))
def test_the_glob_finds_what_the_fts_index_finds_and_the_like_lets_it_all_through(titles, picks, extra):
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE f USING fts5(t, tokenize='trigram')")
    db.execute("CREATE TABLE p (id INTEGER PRIMARY KEY, t TEXT)")    # the GLOB and LIKE on a plain table:
    for table in ("f(rowid, t)", "p(id, t)"):                          # on f, FTS5 would serve them itself
        db.executemany(f"INSERT INTO {table} VALUES (?, ?)", list(enumerate(titles, 1)))
    needles = [case(titles[i % len(titles)][j:j + k]) for i, j, k, case in picks] + extra
    for needle in needles:
        if len(needle) < 3:
            continue
        fts = {r for (r,) in db.execute("SELECT rowid FROM f WHERE f MATCH ?", (fts_phrase(needle),))}
        glob = {r for (r,) in db.execute("SELECT id FROM p WHERE t GLOB ?", (title_glob(needle),))}
        like = {r for (r,) in db.execute("SELECT id FROM p WHERE t LIKE ? ESCAPE '\\'", (title_like(needle),))}
        assert glob == fts, (needle, titles)
        assert like >= glob, (needle, titles)
    db.close()


STRATEGIES = {
    # the matches gathered through the FTS index (SQLite) / the trigram index (PostgreSQL), at most
    # the window's, and the page among them
    "phrase": {},
    # more matches than the window: the page in date order (SQLite: the GLOB walk)
    "walk": {"COUNT_WINDOW": 2},
    # ... and the walk's bound too short: the index after all
    "fallback": {"COUNT_WINDOW": 2, "TITLE_WALK_MIN": 1, "TITLE_WALK_SPAN": 0},
    # all the matches counted, too many to hand their ids back: gathered in the index again, sorted
    "gather": {"TITLE_IDS_MAX": 0},
}


@pytest.mark.parametrize("strategy", list(STRATEGIES))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=corpus_and_needles())
def test_each_way_of_looking_a_title_up_pages_exactly_the_oracles_matches(wf, people, strategy, data):
    """Whichever way the filter is looked up, every page holds the oracle's matches in the list's
    order (newest first) and says how many as the pager counts them (at most COUNT_WINDOW past)."""
    titles, needles = data
    ids = _put_titles(wf, people, titles)
    window = STRATEGIES[strategy].get("COUNT_WINDOW", service.COUNT_WINDOW)
    with pytest.MonkeyPatch.context() as mp:
        for name, value in STRATEGIES[strategy].items():
            mp.setattr(service, name, value)
        for needle in needles:
            want = [i for i, t in sorted(zip(ids, titles), reverse=True) if needle.casefold() in t.casefold()]
            for page in (1, 2, 3):
                offset = (page - 1) * 2
                p = wf.list_cases(people.province_auditor, text=needle, page=page, per_page=2)
                cap = offset + max(window, 3)
                assert ([c.id for c in p.items], p.total, p.exact) == \
                    (want[offset:offset + 2], min(len(want), cap), len(want) <= cap), (needle, titles, page)
    _fts_consistent(wf.store)


def test_a_scoped_and_filtered_title_search_takes_each_way_alike(wf, people, monkeypatch):
    """The other conditions (unit scope, status) apply in every way of looking the title up."""
    titles = ["Bổ nhiệm đồng chí Nguyễn Văn An", "NGUYỄN VĂN AN", "nguyễn văn an (cũ)", "Nguyễn Văn Anh", "Trần Thị B"]
    ids = _put_titles(wf, people, titles)
    with wf.store.write() as c:
        c.execute(update(cases).where(cases.c.id == ids[1]).values(unit_id=people.district_b))
        c.execute(update(cases).where(cases.c.id == ids[2]).values(status="completed"))
    for strategy, knobs in STRATEGIES.items():
        with pytest.MonkeyPatch.context() as mp:
            for name, value in knobs.items():
                mp.setattr(service, name, value)
            got = wf.list_cases(people.staff, text="nguyễn văn an", status="open", per_page=10)
            assert [c.id for c in got.items] == [ids[3], ids[0]], strategy
            assert {c.id for c in wf.list_cases(people.province_auditor, text="NGUYỄN VĂN AN", per_page=10).items} \
                == set(ids[:4]), strategy
            assert wf.list_cases(people.province_auditor, text="văn xyz", per_page=10).total == 0, strategy


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_pages_of_a_name_written_in_every_case_are_the_oracles_in_each_way(wf, people, strategy, monkeypatch):
    """More matches than the window in 'walk' and 'fallback': the date-ordered walk must see the
    name in whatever case each title writes it, or it would hand back a wrong page."""
    variants = ["Nguyễn Văn An", "NGUYỄN VĂN AN", "nguyễn văn an", "Nguyễn văn an", "NguyỄn VĂn An"]
    titles = [f"Hồ sơ {i} đồng chí {v}" if i % 3 else f"Hồ sơ {i} khác" for i, v in enumerate(variants * 4)]
    ids = _put_titles(wf, people, titles)
    for name, value in STRATEGIES[strategy].items():
        monkeypatch.setattr(service, name, value)
    window = STRATEGIES[strategy].get("COUNT_WINDOW", service.COUNT_WINDOW)
    for needle in ("nguyễn văn an", "VĂN AN", "ễn V", "Hồ sơ 1"):
        want = [i for i, t in sorted(zip(ids, titles), reverse=True) if needle.casefold() in t.casefold()]
        for page in range(1, len(want) // 2 + 3):
            offset = (page - 1) * 2
            p = wf.list_cases(people.province_auditor, text=needle, page=page, per_page=2)
            cap = offset + max(window, 3)
            assert ([c.id for c in p.items], p.total, p.exact) == \
                (want[offset:offset + 2], min(len(want), cap), len(want) <= cap), (needle, page)
