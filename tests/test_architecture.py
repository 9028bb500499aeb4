"""The package's import graph follows the data flow: no cycles, no import from a lower stage up."""

from __future__ import annotations

import ast
from pathlib import Path

import pipeline

PACKAGE_DIR = Path(pipeline.__file__).parent

# TOML → model → fonts → document blocks → pages → PDF/A and OFD → build → recipients → the app.
# A module may import from its own stage and from the stages before it.
STAGES = ("", "source", "fonts", "layout", "formats", "build", "deliver", "app")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage_of(module: str) -> int:
    parts = module.split(".")
    name = parts[1] if len(parts) > 1 else ""
    return STAGES.index(name) if name in STAGES else 0


def imports_of(path: Path) -> set[str]:
    """Every pipeline module this file imports, at module level or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "pipeline":
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "pipeline")
    return found


def import_graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(PACKAGE_DIR.rglob("*.py"))}


def test_every_stage_is_a_known_folder() -> None:
    folders = {p.name for p in PACKAGE_DIR.iterdir() if p.is_dir() and any(p.glob("*.py"))}
    assert folders <= set(STAGES), f"a folder not in the stage order: {folders - set(STAGES)}"


def test_imports_point_down_the_stages() -> None:
    wrong = [
        f"{module} (stage {STAGES[stage_of(module)] or 'base'}) imports {target} "
        f"(stage {STAGES[stage_of(target)]})"
        for module, targets in import_graph().items()
        for target in targets
        if stage_of(target) > stage_of(module)
    ]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle() -> None:
    graph = import_graph()
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, set())):
            if target not in graph:
                continue
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target] if target in path else [target]
                raise AssertionError("import cycle: " + " → ".join(cycle))
            if state.get(target) is None:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_graph_reader_sees_a_cycle_and_an_upward_import(tmp_path: Path) -> None:
    """The checks above would fail on a real violation: the reader finds both kinds of import."""
    source = tmp_path / "x.py"
    source.write_text("from pipeline.app.cli import main\ndef f():\n    import pipeline.build\n")
    assert imports_of(source) == {"pipeline.app.cli", "pipeline.build"}
    assert stage_of("pipeline.app.cli") > stage_of("pipeline.source.load")


MAX_LINES = 400  # a module a newcomer can read in one sitting


def test_no_module_is_over_400_lines() -> None:
    long = {
        module_name(p): n
        for p in sorted(PACKAGE_DIR.rglob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines (split them by what they do): {long}"
