"""gencore.bench: the registry, the mode-collapse grid and its comparison with the shipped results."""

import json

import pytest

from gencore import bench, toygan
from gencore.bench import mode_collapse

FAST = {"steps": 12, "batch_size": 32, "hidden": 16, "n_eval": 200, "n_snapshot": 50, "n_snapshots": 4}


def test_benchmarks_are_registered():
    assert {"mode-collapse", "vae-mnist", "image-gan-throughput"} <= set(bench.BENCHMARKS)
    with pytest.raises(KeyError, match="unknown benchmarks"):
        bench.main(["nope"], skip_chapters=True)


def test_summarize_means_stds_and_ranges():
    runs = [
        {
            "method": "gan",
            "mixture": "ring8",
            "seed": s,
            "modes": m,
            "hq": 0.5,
            "reverse_kl": 0.1 * s,
            "spread": 0.9,
            "wall_time_s": 1.0,
            "cpu_time_s": 2.0,
        }
        for s, m in enumerate([8, 6])
    ]
    (row,) = mode_collapse.summarize(runs)
    assert row["modes_mean"] == 7.0 and row["modes_std"] == 1.0 and row["modes_min"] == 6 and row["modes_max"] == 8
    assert row["reverse_kl_mean"] == pytest.approx(0.05) and row["seeds"] == [0, 1]


def test_grid_in_worker_processes_matches_one_process():
    one = mode_collapse.run_grid(["mbstd"], ["grid25"], [0, 1], log=lambda _: None, **FAST)
    two = mode_collapse.run_grid(["mbstd"], ["grid25"], [0, 1], jobs=2, log=lambda _: None, **FAST)
    keys = ("method", "mixture", "seed", "steps", "modes", "hq", "reverse_kl")
    assert [{k: r[k] for k in keys} for r in two["runs"]] == [{k: r[k] for k in keys} for r in one["runs"]]
    assert one["configs"]["mbstd"]["steps"] == FAST["steps"]
    json.dumps(one)
    with pytest.raises(ValueError, match="jobs must be a positive integer"):
        mode_collapse.run_grid(["gan"], ["ring8"], [0], jobs=0)


def test_the_code_behind_every_shipped_row_runs():
    """A cheap check of what the chapter's table rests on: every shipped (method, mixture) row is rerun
    for one seed and a few steps, and gives a record of the same form."""
    shipped = json.loads(mode_collapse.SHIPPED.read_text())
    rows = {(r["method"], r["mixture"]) for r in shipped["summary"]}
    methods = sorted({m for m, _ in rows})
    mixtures = sorted({x for _, x in rows})
    quick = mode_collapse.run_grid(methods, mixtures, [0], log=lambda _: None, **FAST)
    assert {(r["method"], r["mixture"]) for r in quick["summary"]} == rows
    assert set(quick["runs"][0]) == set(shipped["runs"][0])
    assert set(quick["summary"][0]) == set(shipped["summary"][0])
    compared = mode_collapse.compare(quick, shipped)
    assert {(r["method"], r["mixture"]) for r in compared} == rows


def test_shipped_results_match_the_code():
    rec = json.loads(mode_collapse.SHIPPED.read_text())
    for method, cfg in rec["configs"].items():
        assert cfg == toygan.config_dict(toygan.config_for(method)), method
    assert rec["summary"] == mode_collapse.summarize(rec["runs"])
    assert {(r["method"], r["mixture"]) for r in rec["runs"]} == {
        (m, x) for m in toygan.BENCHMARK_METHODS for x in ("ring8", "grid25")
    }


def test_the_g_step_benchmark_times_both_ways_and_restores_the_freeze():
    import gencore
    from gencore.bench import g_step
    from gencore.train import phases

    out = g_step.g_step_freeze(reps=1, families=("wgan-gp-mnist",))
    row = out["wgan-gp-mnist"]
    assert set(row) == {"g_step", "whole_step"} and row["g_step"]["frozen_ms"] > 0
    assert phases.frozen is gencore.frozen and "g-step-freeze" in bench.BENCHMARKS
