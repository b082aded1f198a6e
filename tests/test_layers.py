"""The layer map, kept true: a stage imports only itself and earlier stages.

Read from the source with `ast` (nothing is imported, so an import inside a function counts as
much as one at the top), like tests/sampling/test_no_django.py keeps `sampling/` pure. The map
is the one docs/architecture.md draws:

    lib -> projects -> ingest -> audits -> review -> metrics -> exports -> api -> demo

`lib` holds pure helpers (ISO weeks, chat messages, SVG charts, table paging) and imports no
stage. The top-level modules are site wiring, not stages:

- `jobs` is the one piece of wiring every stage uses, so it imports no stage (nor lib);
- `urls` and `cron` are the composition root: they route and schedule every stage, so they
  may import any stage;
- `settings`, `wsgi`, `middleware` and `context_processors` name apps by dotted string only
  and import no stage (`context_processors` may ask `jobs`);
- no stage imports a wiring module other than `jobs`.

Migrations are left out: they are generated and pin history, not the code's dependencies.
`sampling/` is pure statistics and imports no part of `reviewapp`.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("lib", "projects", "ingest", "audits", "review", "metrics", "exports", "api", "demo")
# Each wiring module, and the parts of reviewapp it may import ("*": any).
WIRING: dict[str, frozenset[str] | str] = {
    "jobs": frozenset(),
    "settings": frozenset(),
    "wsgi": frozenset(),
    "middleware": frozenset(),
    "context_processors": frozenset({"jobs"}),
    "urls": "*",
    "cron": "*",
    "errors": frozenset({"projects"}),
}
IMPORTABLE_WIRING = frozenset({"jobs"})


@dataclass(frozen=True)
class Edge:
    path: str
    line: int
    source: str   # the importing module's part of reviewapp (a stage or a wiring module)
    target: str   # the imported module, dotted

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.source} imports {self.target}"


def module_name(relative: Path) -> str:
    parts = list(relative.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    """Every module an Import/ImportFrom names, relative ones resolved, with its line.

    `from a import b` yields `a.b` too: b may be a submodule (`from reviewapp import jobs`)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                base_name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                base_name = node.module or ""
            found.append((node.lineno, base_name))
            found.extend((node.lineno, f"{base_name}.{alias.name}") for alias in node.names if alias.name != "*")
    return found


def part_of(module: str) -> str | None:
    """The stage or wiring module a dotted name of reviewapp belongs to (None: outside, or the root)."""
    parts = module.split(".")
    if parts[0] != "reviewapp" or len(parts) < 2:
        return None
    return parts[1]


def allowed(source: str, target: str) -> bool:
    if source == target:
        return True
    if source in WIRING:
        rule = WIRING[source]
        return rule == "*" or target in rule
    if target in WIRING:
        return target in IMPORTABLE_WIRING and source != "lib"
    if source not in STAGES or target not in STAGES:
        return False  # a new top-level module: place it in the map before importing it
    return STAGES.index(target) < STAGES.index(source) and source != "lib"


def backward_edges(relative: Path, text: str) -> list[Edge]:
    """The imports of one file of reviewapp/ or sampling/ that break the map."""
    module = module_name(relative)
    tree = ast.parse(text, filename=str(relative))
    edges = []
    seen = set()
    for line, target in imported_modules(tree, module, relative.name == "__init__.py"):
        if relative.parts[0] == "sampling":
            bad = target == "reviewapp" or target.startswith("reviewapp.")
            source = "sampling"
        else:
            source, goal = part_of(module), part_of(target)
            bad = source is not None and goal is not None and not allowed(source, goal)
        key = (line, part_of(target))  # `from a.b import c` names a.b and a.b.c: one edge
        if bad and key not in seen:
            seen.add(key)
            edges.append(Edge(str(relative), line, source or "reviewapp", target))
    return edges


def scanned_files() -> list[Path]:
    files = [*ROOT.joinpath("reviewapp").rglob("*.py"), *ROOT.joinpath("sampling").rglob("*.py")]
    return sorted(p.relative_to(ROOT) for p in files if "migrations" not in p.parts)


def test_no_backward_imports():
    assert len(scanned_files()) > 50  # the scan found the code
    edges = [edge for path in scanned_files() for edge in backward_edges(path, (ROOT / path).read_text())]
    assert not edges, "imports against the layer map:\n" + "\n".join(map(str, edges))


def test_every_top_level_part_of_reviewapp_is_on_the_map():
    parts = {p.stem if p.is_file() else p.name for p in ROOT.joinpath("reviewapp").iterdir()
             if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()}
    assert parts <= set(STAGES) | set(WIRING), sorted(parts - set(STAGES) - set(WIRING))


def test_the_checker_reports_a_backward_import():
    """The checker can fail: each kind of backward edge, spelled each way, is reported."""
    cases = {
        "reviewapp/projects/x.py": "from reviewapp.review.models import Label\n",
        "reviewapp/audits/x.py": "def f():\n    import reviewapp.metrics.actions\n",
        "reviewapp/review/x.py": "from ..metrics import actions\n",
        "reviewapp/review/sub/__init__.py": "from ...exports import selection\n",
        "reviewapp/ingest/x.py": "from reviewapp import audits\n",
        "reviewapp/lib/x.py": "from reviewapp.projects.models import Project\n",
        "reviewapp/jobs.py": "from reviewapp.audits import tasks\n",
        "reviewapp/metrics/x.py": "from reviewapp import urls\n",
        "sampling/x.py": "import reviewapp.lib.weeks\n",
    }
    for path, text in cases.items():
        edges = backward_edges(Path(path), text)
        assert len(edges) == 1, (path, edges)
    edge = backward_edges(Path("reviewapp/projects/x.py"), "import os\n\nfrom reviewapp.review.models import Label\n")[0]
    assert str(edge) == "reviewapp/projects/x.py:3: projects imports reviewapp.review.models"
    assert backward_edges(Path("reviewapp/review/sub/__init__.py"), "from ...exports import selection\n")[0].target \
        == "reviewapp.exports"


def test_the_checker_accepts_forward_imports():
    fine = {
        "reviewapp/review/x.py": "from reviewapp.audits.models import AuditItem\nfrom . import models\nfrom .. import jobs\n",
        "reviewapp/api/x.py": "from reviewapp.lib.weeks import IsoWeek\nimport sampling\n",
        "reviewapp/urls.py": "from reviewapp.api.api import api\n",
        "reviewapp/context_processors.py": "from reviewapp import jobs\n",
        "reviewapp/demo/x.py": "from reviewapp.exports import actions\n",
    }
    for path, text in fine.items():
        assert backward_edges(Path(path), text) == [], path
