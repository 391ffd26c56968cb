"""The package's imports run one way: data, models, losses, train, metrics, pretrained, recipes, bench/CLI.

Every ``import`` in gencore, function-level ones included, is parsed; a module may
import only modules of its own layer or of lower layers, and the module graph has
no cycle. ``pytest -s`` prints the graph.
"""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "gencore"

#: top-level unit of gencore -> layer (viz and widgets sit beside the core, for the chapters)
LAYERS = {
    "gencore": 0,
    "gencore.data": 1,
    "gencore.viz": 1,
    "gencore.models": 2,
    "gencore.widgets": 2,
    "gencore.divergences": 3,
    "gencore.losses": 3,
    "gencore.latent": 3,
    "gencore.lipschitz": 3,
    "gencore.kl_fit": 3,
    "gencore.sefa": 3,
    "gencore.train": 4,
    "gencore.metrics": 5,
    "gencore.checkpoint": 6,
    "gencore.pretrained": 6,
    "gencore.recipes": 7,
    "gencore.stylegan_analysis": 7,
    "gencore.toygan": 7,
    "gencore.ot": 7,
    "gencore.bench": 8,
    "gencore.__main__": 9,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else parts[0]


def imports(path: Path, name: str) -> set[str]:
    """gencore modules that ``path`` imports, anywhere in the file."""
    out = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "gencore"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            if base.split(".")[0] != "gencore":
                continue
            for a in node.names:  # `from gencore import data` imports the module gencore.data
                sub = f"{base}.{a.name}"
                out.add(
                    sub
                    if (PKG.parent / sub.replace(".", "/")).with_suffix(".py").exists()
                    or (PKG.parent / sub.replace(".", "/")).is_dir()
                    else base
                )
    return out


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p, module_name(p)) - {module_name(p)} for p in sorted(PKG.rglob("*.py"))}


def test_every_unit_has_a_layer():
    missing = sorted({unit(m) for m in graph()} - set(LAYERS))
    assert not missing, f"give these a layer in LAYERS: {missing}"


def test_imports_run_one_way():
    g = graph()
    upward = [
        f"{m} (layer {LAYERS[unit(m)]}) imports {d} (layer {LAYERS[unit(d)]})"
        for m, deps in g.items()
        for d in deps
        if LAYERS[unit(d)] > LAYERS[unit(m)]
    ]
    print("\nimport graph (module: gencore modules it imports)")
    for m in sorted(g, key=lambda m: (LAYERS[unit(m)], m)):
        print(f"  [{LAYERS[unit(m)]}] {m}: {', '.join(sorted(g[m])) or '-'}")
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_no_import_cycle():
    g = graph()
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for d in g.get(m, ()):
            if state.get(d) == 1:
                pytest.fail("import cycle: " + (" -> ".join([*path[path.index(d) :], d]) if d in path else d))
            if d not in state:
                visit(d, [*path, d])
        state[m] = 2

    for m in g:
        if m not in state:
            visit(m, [m])


#: the model families: one file each in gencore/models (layers and sampling are shared helpers)
FAMILIES = {p.stem for p in (PKG / "models").glob("*.py")} - {"__init__", "layers", "sampling"}
#: the generic layer: what every family uses; the modules here whose own name is no family's import none
GENERIC_UNITS = ("gencore", "gencore.losses", "gencore.train", "gencore.metrics", "gencore.checkpoint")
GENERIC_MODULES = ("gencore.pretrained", "gencore.recipes.base", "gencore.bench.registry")


def family_of(module: str) -> str | None:
    """The family a module belongs to by its name (``gencore.train.stylegan``: stylegan), or None."""
    return next((part for part in module.split(".")[1:] if part in FAMILIES), None)


def is_generic(module: str) -> bool:
    return family_of(module) is None and (unit(module) in GENERIC_UNITS or module in GENERIC_MODULES)


def test_the_rule_knows_the_families_and_the_generic_modules():
    assert {"cyclegan", "stylegan", "dcgan", "vae"} <= FAMILIES
    assert is_generic("gencore.train.phases") and is_generic("gencore.losses") and is_generic("gencore.metrics.images")
    assert not is_generic("gencore.train.stylegan") and family_of("gencore.models.cyclegan") == "cyclegan"


def test_generic_modules_import_no_model_family():
    """A family is a set of files (ARCHITECTURE.md, "Adding a chapter"): its phases and losses live in
    modules of its name, and the generic training, loss and metric modules know no family."""
    g = graph()
    assert {"gencore.train.phases", "gencore.losses", "gencore.metrics.images"} <= set(g)
    wrong = [f"{m} imports {d}" for m, deps in g.items() if is_generic(m) for d in deps if family_of(d)]
    assert not wrong, "generic modules that import a model family:\n" + "\n".join(wrong)
