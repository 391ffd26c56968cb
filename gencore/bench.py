"""``make bench``: time every chapter, then run the registered benchmarks.

Speed and quality targets live here, not in timed tests. Results are printed
as tables and written as JSON (default ``_build/bench.json``).
"""

from __future__ import annotations

import json
import os
import platform
import re
import time
from collections.abc import Callable
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
CHAPTER_LIMIT_S = 90.0

#: name -> function returning a JSON-able dict; registered with :func:`benchmark`
BENCHMARKS: dict[str, Callable[[], dict]] = {}


def benchmark(name: str):
    """Decorator: register ``fn() -> dict`` as benchmark ``name``."""

    def wrap(fn: Callable[[], dict]) -> Callable[[], dict]:
        BENCHMARKS[name] = fn
        return fn

    return wrap


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


def _load_benchmark_modules() -> None:
    # Modules that register benchmarks when imported.
    import importlib

    for mod in ("gencore.benchmarks",):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as err:
            if err.name != mod:
                raise


def main(
    chapters: list[str] | None = None,
    out: str = "_build/bench.json",
    skip_chapters: bool = False,
    only: list[str] | None = None,
) -> int:
    results: dict = {
        "machine": {
            "cpu_count": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        },
        "chapters": {},
        "benchmarks": {},
    }
    ok = True
    if not skip_chapters:
        paths = globals()["chapters"]()
        if chapters:
            paths = [p for p in paths if p.stem in chapters]
        print(f"{'chapter':<28}{'seconds':>10}  limit {CHAPTER_LIMIT_S:.0f} s")
        for p in paths:
            s = time_chapter(p)
            results["chapters"][p.stem] = round(s, 1)
            flag = "" if s <= CHAPTER_LIMIT_S else "  OVER"
            ok &= s <= CHAPTER_LIMIT_S
            print(f"{p.stem:<28}{s:>10.1f}{flag}", flush=True)
    _load_benchmark_modules()
    unknown = sorted(set(only or []) - set(BENCHMARKS))
    if unknown:
        raise KeyError(f"unknown benchmarks {unknown}; known: {', '.join(BENCHMARKS)}")
    for name, fn in BENCHMARKS.items():
        if only is not None and name not in only:
            continue
        print(f"\n== benchmark {name}", flush=True)
        t0 = time.perf_counter()
        res = fn()
        res["wall_time_s"] = round(time.perf_counter() - t0, 1)
        results["benchmarks"][name] = res
        print(json.dumps(res, indent=2))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {out}")
    return 0 if ok else 1
