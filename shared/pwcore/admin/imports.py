"""What a function's handler imports: its pwcore modules and third-party packages, read from the source (ast).

The closure follows every import of every pwcore module it reaches, module level and function level (a lazy
import inside a function still runs in that image), except `if TYPE_CHECKING:` blocks. One module is read
more finely: `pwcore.runtime.wiring` builds every function's clients lazily, one builder per client, so only
the builders a reached module names (`wiring.deliverer()`, or a builder calling another by name) count; the
rest of wiring belongs to other functions' images.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2]
PWCORE = SHARED / "pwcore"
WIRING = "pwcore.runtime.wiring"
STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}


@dataclass
class Closure:
    modules: set[str] = field(default_factory=set)  # pwcore modules (dotted)
    packages: set[str] = field(default_factory=set)  # third-party top-level import names
    wiring: set[str] = field(default_factory=set)  # wiring builders reached
    importer: dict[str, str] = field(default_factory=dict)  # package -> the first module found importing it


@dataclass
class _ModuleInfo:
    imports: set[str]  # dotted names imported outside of TYPE_CHECKING and outside wiring's builders
    wiring_refs: set[str]  # names used as `wiring.<name>` or imported from wiring
    builders: dict[str, tuple[set[str], set[str]]]  # wiring only: builder -> (imports, builders it calls)


def module_file(module: str) -> Path | None:
    base = SHARED.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool) -> None:
        self.module, self.is_package = module, is_package
        self.imports: set[str] = set()
        self.wiring_refs: set[str] = set()
        self.wiring_aliases: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.imports.add(alias.name)
            if alias.name == WIRING:
                self.wiring_aliases.add(alias.asname or alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        target = _resolve(node, self.module, self.is_package)
        for alias in node.names:
            full = f"{target}.{alias.name}"
            if full == WIRING:
                self.wiring_aliases.add(alias.asname or alias.name)
                self.imports.add(WIRING)
            elif target == WIRING:
                self.wiring_refs.add(alias.name)
                self.imports.add(WIRING)
            elif module_file(full) is not None:
                self.imports.add(full)
            else:
                self.imports.add(target)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.value, ast.Name) and node.value.id in self.wiring_aliases:
            self.wiring_refs.add(node.attr)
        self.generic_visit(node)


_cache: dict[str, _ModuleInfo] = {}


def _info(module: str, path: Path) -> _ModuleInfo:
    if module in _cache:
        return _cache[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    builders: dict[str, tuple[set[str], set[str]]] = {}
    if module == WIRING:
        top = _Collector(module, is_package)
        names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                inner = _Collector(module, is_package)
                inner.visit(node)
                calls = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in names} - {node.name}
                builders[node.name] = (inner.imports, calls)
            else:
                top.visit(node)
        info = _ModuleInfo(top.imports, set(), builders)
    else:
        collector = _Collector(module, is_package)
        collector.visit(tree)
        info = _ModuleInfo(collector.imports, collector.wiring_refs, {})
    _cache[module] = info
    return info


def closure_of(handler: Path) -> Closure:
    """The import closure of one handler file (within pwcore), with the third-party packages it reaches."""
    out = Closure()
    pending: list[tuple[str, Path]] = [("handler", handler)]
    wiring_pending: list[str] = []

    def add(name: str, by: str) -> None:
        top = name.split(".")[0]
        if top == "pwcore":
            parts = name.split(".")
            for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__, a/b/__init__ too
                sub = ".".join(parts[:i])
                path = module_file(sub)
                if path is not None and sub not in out.modules:
                    out.modules.add(sub)
                    pending.append((sub, path))
        elif top not in STDLIB and top:
            out.packages.add(top)
            out.importer.setdefault(top, by)

    while pending or wiring_pending:
        while pending:
            module, path = pending.pop()
            info = _info(module, path) if module != "handler" else _handler_info(path)
            for name in info.imports:
                add(name, module)
            wiring_pending.extend(info.wiring_refs)
        while wiring_pending:
            builder = wiring_pending.pop()
            if builder in out.wiring:
                continue
            wiring_file = module_file(WIRING)
            assert wiring_file is not None
            builders = _info(WIRING, wiring_file).builders
            if builder not in builders:
                continue
            out.wiring.add(builder)
            imports, calls = builders[builder]
            for name in imports:
                add(name, f"{WIRING}.{builder}")
            wiring_pending.extend(calls)
    return out


def _handler_info(path: Path) -> _ModuleInfo:
    collector = _Collector("handler", False)
    collector.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return _ModuleInfo(collector.imports, collector.wiring_refs, {})
