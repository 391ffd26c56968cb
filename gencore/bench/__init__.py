"""``make bench``: time every chapter, then run the registered benchmarks.

Speed and quality targets live here, not in timed tests. ``python -m gencore bench
[NAME ...]`` runs the named benchmarks (all when none is named) after timing the
chapters; results are printed and written as JSON (default ``_build/bench.json``).
A benchmark is a function ``fn(**options) -> dict`` registered with :func:`benchmark`;
the registered ones live in the modules of this package, one per topic.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

# Modules that register benchmarks when imported, one per topic.
from gencore.bench import (  # noqa: F401
    blur,
    conditional,
    cpu_budget,
    cyclegan,
    g_step,
    image_models,
    mode_collapse,
    ot,
    stylegan,
)
from gencore.bench.registry import BENCHMARKS, benchmark, machine

__all__ = ["BENCHMARKS", "benchmark", "machine", "chapters", "time_chapter", "main", "CHAPTER_LIMIT_S"]

ROOT = Path(__file__).resolve().parent.parent.parent
CHAPTER_LIMIT_S = 90.0


def chapters() -> list[Path]:
    """The notebooks listed in ``_toc.yml``, in book order."""
    toc = (ROOT / "_toc.yml").read_text()
    files = re.findall(r"file:\s*(\S+)", toc)
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def time_chapter(path: Path, timeout: int = 600) -> float:
    """Seconds to execute one notebook from a fresh kernel (as nbval and the book do)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    os.environ.setdefault("GENCORE_PROGRESS", "0")
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    t0 = time.perf_counter()
    client.execute()
    return time.perf_counter() - t0


def main(
    names: list[str] | None = None,
    *,
    chapters: list[str] | None = None,
    skip_chapters: bool = False,
    out: str = "_build/bench.json",
    options: dict | None = None,
) -> int:
    """Time the chapters (unless ``skip_chapters``), run benchmarks ``names`` (all if empty), write ``out``.

    ``options`` are passed to every benchmark that accepts them (e.g. ``jobs``).
    Returns 0, or 1 when a chapter is over :data:`CHAPTER_LIMIT_S` or a benchmark reports ``ok: false``.
    """
    unknown = sorted(set(names or []) - set(BENCHMARKS))
    if unknown:
        raise KeyError(f"unknown benchmarks {unknown}; known: {', '.join(BENCHMARKS)}")
    results: dict = {"machine": machine(), "chapters": {}, "benchmarks": {}}
    ok = True
    if not skip_chapters:
        paths = globals()["chapters"]()
        if chapters:
            missing = sorted(set(chapters) - {p.stem for p in paths})
            if missing:
                raise KeyError(f"unknown chapters {missing}; chapters: {', '.join(p.stem for p in paths)}")
            paths = [p for p in paths if p.stem in chapters]
        print(f"{'chapter':<28}{'seconds':>10}  limit {CHAPTER_LIMIT_S:.0f} s")
        for p in paths:
            s = time_chapter(p)
            results["chapters"][p.stem] = round(s, 1)
            ok &= s <= CHAPTER_LIMIT_S
            print(f"{p.stem:<28}{s:>10.1f}{'' if s <= CHAPTER_LIMIT_S else '  OVER'}", flush=True)
    for name, fn in BENCHMARKS.items():
        if names and name not in names:
            continue
        print(f"\n== benchmark {name}", flush=True)
        t0 = time.perf_counter()
        accepted = fn.__code__.co_varnames[: fn.__code__.co_argcount + fn.__code__.co_kwonlyargcount]
        res = fn(**{k: v for k, v in (options or {}).items() if k in accepted and v is not None})
        res["wall_time_s"] = round(time.perf_counter() - t0, 1)
        ok &= bool(res.get("ok", True))
        results["benchmarks"][name] = res
        print(json.dumps(res, indent=2))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {out}")
    return 0 if ok else 1
