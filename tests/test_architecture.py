"""The shape of the product, checked: no import cycle among workflow's and web's modules (the layers'
import rules are .importlinter's, run by `make test` before pytest); nothing imports the web's
factory (web/__init__.py) back; no function over 60 lines and no class over 300 in workflow/ and web/;
no private SQLAlchemy name (an attribute or keyword with a leading underscore, an undocumented
compiled-statement attribute) anywhere in workflow/ and web/."""
from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*(ROOT / "workflow").rglob("*.py"), *(ROOT / "web").rglob("*.py")])
MAX_FUNCTION, MAX_CLASS = 60, 300


def _cycles(graph) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph.find_modules_directly_imported_by(nxt)))))
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        m = stack.pop()
                        on.discard(m)
                        group.append(m)
                        if m == node:
                            break
                    if len(group) > 1:
                        out.append(sorted(group))
    return out


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("workflow", "web")


def test_no_import_cycle_among_the_engines_and_the_webs_modules(graph):
    assert _cycles(graph) == []


def test_nothing_imports_the_web_factory_back(graph):
    assert graph.find_modules_that_directly_import("web") == set()


def test_the_web_reaches_the_engine_only_through_its_use_cases_and_domain(graph):
    reached = {m for w in graph.find_descendants("web") | {"web"} for m in graph.find_modules_directly_imported_by(w)
               if m.split(".")[0] == "workflow"}
    assert reached and all(m.startswith(("workflow.usecases", "workflow.domain")) for m in reached), reached


def test_the_cycle_finder_finds_a_cycle():
    class Graph:
        modules = {"a", "b", "c"}

        @staticmethod
        def find_modules_directly_imported_by(m):
            return {"a": {"b"}, "b": {"a"}, "c": set()}[m]
    assert _cycles(Graph()) == [["a", "b"]]


def _units(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node, node.end_lineno - node.lineno + 1


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_function_over_60_lines_and_no_class_over_300(path):
    long = [(n.name, size) for n, size in _units(path)
            if size > (MAX_CLASS if isinstance(n, ast.ClassDef) else MAX_FUNCTION)]
    assert not long, long


UNDOCUMENTED = {"positiontup", "construct_params", "bind_names", "escaped_bind_names", "insert_prefetch",
                "update_prefetch", "effective_returning"}


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_sqlalchemy_name(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    from_sqlalchemy = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            assert not any(a.name.startswith("_") for a in node.names), node.module
            from_sqlalchemy |= {a.asname or a.name for a in node.names}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg and node.arg.startswith("_"):
            found.append(f"keyword {node.arg}")
        if isinstance(node, ast.Attribute):
            if node.attr in UNDOCUMENTED:
                found.append(node.attr)
            private = node.attr.startswith("_") and not node.attr.startswith("__")
            if private and isinstance(node.value, ast.Name) and node.value.id in from_sqlalchemy:
                found.append(f"{node.value.id}.{node.attr}")
    assert not found, found
