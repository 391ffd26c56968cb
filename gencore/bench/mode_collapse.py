"""The five-seed grid behind the mode-collapse chapter's table (``book/mode_collapse.ipynb``).

:func:`run_grid` trains every method × mixture × seed with
:func:`gencore.toygan.train_toy_gan`, each run on one torch thread (``jobs`` runs at
once in worker processes), and returns the record the chapter reads from
:data:`SHIPPED` (runs, per-row summary, configs, machine). The ``mode-collapse``
benchmark reruns it, compares the summary with the shipped file within
:data:`TOLERANCES`, and with ``ship=True`` replaces the shipped file::

    python -m gencore bench mode-collapse --no-chapters --jobs 2            # rerun and compare
    python -m gencore bench mode-collapse --no-chapters --jobs 2 --ship     # ... and replace the file
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

from gencore import toygan
from gencore.bench.registry import benchmark, machine

SHIPPED = Path(__file__).resolve().parent.parent / "weights" / "mode_collapse_results.json"

#: the numbers a rerun must reproduce, per summary row: mean over seeds within these absolute bounds
TOLERANCES = {"modes_mean": 1.0, "hq_mean": 0.05, "reverse_kl_mean": 0.1, "spread_mean": 0.2}

KEYS = ("modes", "hq", "reverse_kl", "spread", "wall_time_s", "cpu_time_s")


def _run(job: tuple[str, str, int, dict]) -> dict:
    """One run on one torch thread (top level, so that a worker process can import it)."""
    method, mix, seed, overrides = job
    torch.set_num_threads(1)
    return toygan.train_toy_gan(method, mix, seed, progress=False, **overrides).summary()


def summarize(runs: Sequence[dict]) -> list[dict]:
    """Mean, (population) standard deviation, min and max over seeds, per method and mixture."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in runs:
        groups.setdefault((r["method"], r["mixture"]), []).append(r)
    out = []
    for (method, mix), rs in groups.items():
        row: dict = {"method": method, "mixture": mix, "seeds": [r["seed"] for r in rs]}
        for k in KEYS:
            v = np.array([r[k] for r in rs], dtype=float)
            with np.errstate(invalid="ignore"):  # a run with no high-quality sample: reverse_kl inf, spread nan
                row[f"{k}_mean"], row[f"{k}_std"] = round(float(v.mean()), 4), round(float(v.std()), 4)
                row[f"{k}_min"], row[f"{k}_max"] = round(float(v.min()), 4), round(float(v.max()), 4)
        out.append(row)
    return out


def run_grid(
    methods: Sequence[str] = toygan.BENCHMARK_METHODS,
    mixtures: Sequence[str] = ("ring8", "grid25"),
    seeds: Sequence[int] = range(5),
    *,
    jobs: int = 1,
    log=print,
    **overrides,
) -> dict:
    """Train every method × mixture × seed, each on one thread; return runs, summary, configs and machine.

    ``jobs`` > 1 runs that many at once in spawn-started worker processes; a run's
    result does not depend on it, its wall time does when workers share too few cores.
    ``overrides`` change config fields of every method (e.g. ``steps=200`` for a quick check).
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
    todo = [(method, mix, seed, overrides) for mix in mixtures for method in methods for seed in seeds]
    threads = torch.get_num_threads()
    runs = []
    try:
        pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) if jobs > 1 else None
        with pool or contextlib.nullcontext():
            for summary in (pool.map if pool else map)(_run, todo):
                runs.append(summary)
                log(json.dumps(summary))
    finally:
        torch.set_num_threads(threads)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {**machine(), "runs_at_once": jobs, "threads_per_run": 1},
        "configs": {m: toygan.config_dict(toygan.config_for(m, **overrides)) for m in methods},
        "summary": summarize(runs),
        "runs": runs,
    }


def compare(fresh: dict, shipped: dict, tolerances: dict[str, float] = TOLERANCES) -> list[dict]:
    """Per summary row of ``fresh``: the shipped value, the fresh one, and whether they agree within tolerance."""
    old = {(r["method"], r["mixture"]): r for r in shipped["summary"]}
    rows = []
    for r in fresh["summary"]:
        s = old.get((r["method"], r["mixture"]))
        for key, tol in tolerances.items():
            a, b = (s or {}).get(key), r[key]
            agree = a is not None and np.isfinite(a) and np.isfinite(b) and abs(a - b) <= tol
            rows.append(
                {
                    "method": r["method"],
                    "mixture": r["mixture"],
                    "value": key,
                    "shipped": a,
                    "rerun": b,
                    "tolerance": tol,
                    "agree": bool(agree),
                }
            )
    return rows


@benchmark("mode-collapse")
def mode_collapse(
    jobs: int = 1,
    seeds: int = 5,
    methods: Sequence[str] | None = None,
    mixtures: Sequence[str] | None = None,
    ship: bool = False,
    out_dir: str = "_build",
) -> dict:
    """Rerun the grid, write it to ``out_dir/mode_collapse_results.json``, compare with the shipped file.

    ``ship=True`` also replaces the shipped file. ``ok`` is false when a row disagrees.
    """
    record = run_grid(
        methods or toygan.BENCHMARK_METHODS,
        mixtures or ("ring8", "grid25"),
        range(seeds),
        jobs=jobs,
        log=lambda line: print(line, flush=True),
    )
    path = Path(out_dir) / "mode_collapse_results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(record, indent=1) + "\n"
    path.write_text(text)
    shipped = json.loads(SHIPPED.read_text())
    rows = compare(record, shipped)
    for r in rows:
        print(
            f"{r['method']:>8} {r['mixture']:>7} {r['value']:<16} shipped {r['shipped']!s:>8}  "
            f"rerun {r['rerun']!s:>8}  ±{r['tolerance']}  {'ok' if r['agree'] else 'DIFFERS'}"
        )
    if ship:
        SHIPPED.write_text(text)
        print(f"replaced {SHIPPED}")
    return {
        "written": str(path),
        "shipped": ship,
        "comparison": rows,
        "ok": all(r["agree"] for r in rows),
        "summary": record["summary"],
    }
