"""The import rules of src/aikg: no cycle among aikg's modules, and imports that only run down the layers.

Every module is parsed with ast, so imports inside functions count as much as imports at the top, and
relative imports are resolved against the importing module's package. Importing ``aikg.a.b`` also runs
``aikg.a``'s ``__init__``, so that edge counts too.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "aikg"

#: From the bottom up. A module may import its own layer and the layers below it, never one above.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("base", ("aikg", "aikg.errors", "aikg.namespaces", "aikg.config", "aikg.resources")),
    ("sparql", ("aikg.sparql",)),
    ("store", ("aikg.store",)),
    ("graph", ("aikg.graph",)),
    ("ingest", ("aikg.ingest",)),
    ("web", ("aikg.web",)),
    ("serving", ("aikg.serving",)),
    ("commands", ("aikg.commands",)),
    ("cli", ("aikg.cli", "aikg.__main__")),
]


@dataclass(frozen=True)
class Edge:
    """One import: `source` imports `target` at `line` of `path`."""

    source: str
    target: str
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}  ({self.path.relative_to(SRC.parent)}:{self.line})"


def module_name(path: Path) -> str:
    """Return the dotted name of a source file (a package's __init__ is the package)."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    """Return every aikg module by name."""
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def imports(known: dict[str, Path]) -> list[Edge]:
    """Return every import from one aikg module of another, wherever it stands in the file."""
    edges: list[Edge] = []
    for name, path in known.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    package = name if is_package else name.rpartition(".")[0]
                    for _ in range(node.level - 1):
                        package = package.rpartition(".")[0]
                    base = f"{package}.{node.module}" if node.module else package
                else:
                    base = node.module or ""
                # `from aikg.graph import search` imports the module aikg.graph.search.
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
            for target in targets:
                while target and target not in known:
                    target = target.rpartition(".")[0]
                if not target:
                    continue  # not an aikg module
                for hit in [*_parents(target), target]:
                    if hit != name and hit not in _parents(name):
                        edges.append(Edge(name, hit, path, node.lineno))
    return edges


def layer_of(name: str) -> int:
    """Return the index of a module's layer in LAYERS."""
    best, rank = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            # The base layer lists plain modules; the others own every module under their package.
            owns = name == prefix or (i > 0 and name.startswith(prefix + "."))
            if owns and len(prefix) > best:
                best, rank = len(prefix), i
    return rank


def find_cycle(edges: list[Edge]) -> list[Edge] | None:
    """Return the edges of one import cycle, or None when there is none."""
    out: dict[str, list[Edge]] = {}
    for e in edges:
        out.setdefault(e.source, []).append(e)
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[Edge] = []

    def visit(node: str) -> list[Edge] | None:
        state[node] = 1
        for e in out.get(node, []):
            if state.get(e.target) == 1:
                start = next(i for i, p in enumerate(path) if p.source == e.target) if path else 0
                return [*path[start:], e] if path and path[start].source == e.target else [e]
            if e.target not in state:
                path.append(e)
                found = visit(e.target)
                if found:
                    return found
                path.pop()
        state[node] = 2
        return None

    for node in sorted(out):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def longest_chain(edges: list[Edge]) -> list[str]:
    """Return the longest chain of imports (the number of floors an import has to climb down)."""
    out: dict[str, set[str]] = {}
    for e in edges:
        out.setdefault(e.source, set()).add(e.target)
    memo: dict[str, list[str]] = {}

    def chain(node: str) -> list[str]:
        if node not in memo:
            memo[node] = [node]  # guards against cycles, which find_cycle reports
            memo[node] = max(([node, *chain(t)] for t in sorted(out.get(node, ()))), key=len, default=[node])
        return memo[node]

    return max((chain(n) for n in sorted(out)), key=len, default=[])


KNOWN = modules()
EDGES = imports(KNOWN)


def test_every_module_has_a_layer():
    assert [m for m in KNOWN if layer_of(m) < 0] == []


def test_no_import_cycle():
    cycle = find_cycle(EDGES)
    assert cycle is None, "import cycle:\n  " + "\n  ".join(map(str, cycle or []))


@pytest.mark.parametrize("layer", [name for name, _ in LAYERS])
def test_imports_run_down(layer):
    index = [name for name, _ in LAYERS].index(layer)
    upward = [e for e in EDGES if layer_of(e.source) == index and layer_of(e.target) > index]
    message = "\n  ".join(f"{e}  [{layer} imports {LAYERS[layer_of(e.target)][0]}]" for e in upward)
    assert upward == [], f"{layer} imports a higher layer:\n  {message}"


def test_the_rules_see_imports_in_functions_and_relative_ones(tmp_path):
    # The checker itself: an import inside a function and a relative import both make edges.
    package = tmp_path / "aikg"
    (package / "web").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "errors.py").write_text("def f():\n    from aikg.web import app\n")
    (package / "web" / "__init__.py").write_text("")
    (package / "web" / "app.py").write_text("from .. import errors\n")
    global SRC
    saved = SRC
    SRC = tmp_path
    try:
        known = {module_name(p): p for p in sorted(package.rglob("*.py"))}
        edges = imports(known)
    finally:
        SRC = saved
    pairs = {(e.source, e.target) for e in edges}
    assert ("aikg.errors", "aikg.web.app") in pairs
    assert ("aikg.web.app", "aikg.errors") in pairs
    cycle = find_cycle(edges)
    assert cycle is not None and {e.source for e in cycle} >= {"aikg.errors", "aikg.web.app"}
    assert layer_of("aikg.errors") < layer_of("aikg.web.app")


def test_the_top_level_holds_packages_and_at_most_ten_plain_modules():
    plain = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(plain) <= 10, plain
