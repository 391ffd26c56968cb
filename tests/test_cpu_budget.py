"""gencore.bench.cpu_budget: image GANs trained for a budget of CPU seconds on one thread, then scored."""

import json

import pytest
import torch

from gencore import bench
from gencore.__main__ import parser
from gencore.bench import cpu_budget


def test_a_run_stops_at_its_cpu_budget_on_one_thread_and_restores_the_threads():
    threads = torch.get_num_threads()
    run, cpu_s = cpu_budget.train_for_budget("dcgan-mnist", 0.5, width=8, batch_size=16)
    steps = run.history.completed_steps
    assert 1 <= steps < cpu_budget.UNLIMITED_STEPS and not run.history.interrupted
    assert 0.5 <= cpu_s < 5  # stopped after the first whole step past the budget
    assert run.history.evals == {}  # evaluation off: the budget goes to training
    assert run.config["model"]["width"] == 8 and torch.get_num_threads() == threads
    with pytest.raises(ValueError, match="positive number of CPU seconds"):
        cpu_budget.train_for_budget("dcgan-mnist", 0)


def test_the_benchmark_reports_every_recipe_and_the_real_digits(tmp_path):
    out = tmp_path / "bench.json"
    assert bench.main(["cpu-budget"], skip_chapters=True, out=str(out), options={"budget": 0.5}) == 0
    res = json.loads(out.read_text())["benchmarks"]["cpu-budget"]
    assert res["budget_cpu_s"] == 0.5 and res["machine"]["threads"] == 1
    assert set(res["rows"]) == {"real (held-out)", *cpu_budget.GAN_RECIPES}
    real, wgan = res["rows"]["real (held-out)"], res["rows"]["wgan-gp-mnist"]
    for row in res["rows"].values():
        assert sum(row["digit_shares"]) == pytest.approx(1, abs=1e-3) and len(row["digit_shares"]) == 10
        assert 0.1 <= row["confidence"] <= 1 and 0 <= row["precision"] <= 1 and 0 <= row["recall"] <= 1
    # real digits: FID at the floor, a confident classifier, both precision and recall high
    assert real["fid"] < 10 and real["confidence"] > 0.9 and min(real["precision"], real["recall"]) > 0.8
    # after half a CPU-second a generator is noise, far above the floor
    assert wgan["g_steps"] >= 1 and wgan["cpu_s"] >= 0.5 and wgan["fid"] > 10 * real["fid"]
    assert wgan["images_per_cpu_s"] == pytest.approx(wgan["g_steps"] * 64 * 5 / wgan["cpu_s"], rel=0.01)


def test_budget_option_on_the_command_line():
    assert parser().parse_args(["bench", "cpu-budget", "--budget", "30"]).budget == 30.0
    with pytest.raises(SystemExit):
        parser().parse_args(["bench", "cpu-budget", "--budget", "0"])
