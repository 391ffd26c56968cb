"""gencore.bench.cpu_budget: image GANs trained for a budget of CPU seconds on one thread, then scored."""

import json

import pytest
import torch

from gencore import bench, recipes
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


def _quick_judge():
    # the bench's judge with few iterations on few digits (the real one takes about a minute to fit)
    import warnings

    from sklearn.neural_network import MLPClassifier

    from gencore import data

    train = data.load("mnist5k", split="train")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # it stops before converging, on purpose
        return MLPClassifier(hidden_layer_sizes=(256,), random_state=0, max_iter=20).fit(
            cpu_budget._pixels(train.x[:1000]), train.y[:1000].numpy()
        )


def test_the_judge_sees_pixels_in_0_1_and_is_confident_on_real_digits(monkeypatch):
    from gencore import data

    x = data.load("mnist5k", split="heldout").x[:200]
    pixels = cpu_budget._pixels(x)
    assert pixels.shape == (200, 784) and pixels.min() >= 0 and pixels.max() <= 1
    assert pixels.min() == 0 and abs(pixels.max() - 1) < 1e-6  # [-1, 1] mapped onto [0, 1]
    monkeypatch.setattr(cpu_budget, "judge", _quick_judge)
    assert 0.8 < cpu_budget.judge_confidence(x) <= 1


def test_the_benchmark_reports_every_recipe_and_the_real_digits(tmp_path, monkeypatch):
    monkeypatch.setattr(cpu_budget, "judge", _quick_judge)
    out = tmp_path / "bench.json"
    assert bench.main(["cpu-budget"], skip_chapters=True, out=str(out), options={"budget": 0.5}) == 0
    res = json.loads(out.read_text())["benchmarks"]["cpu-budget"]
    assert res["budget_cpu_s"] == 0.5 and res["machine"]["threads"] == 1
    assert set(res["rows"]) == {"real (held-out)", *cpu_budget.GAN_RECIPES}
    real, wgan = res["rows"]["real (held-out)"], res["rows"]["wgan-gp-mnist"]
    for row in res["rows"].values():
        assert sum(row["digit_shares"]) == pytest.approx(1, abs=1e-3) and len(row["digit_shares"]) == 10
        assert 0.1 <= row["confidence"] <= 1 and 0 <= row["precision"] <= 1 and 0 <= row["recall"] <= 1
        assert 0.1 <= row["judge_confidence"] <= 1
    # real digits: FID at the floor, a confident classifier, both precision and recall high
    assert real["fid"] < 10 and real["confidence"] > 0.9 and min(real["precision"], real["recall"]) > 0.8
    # after half a CPU-second a generator is noise, far above the floor
    assert wgan["g_steps"] >= 1 and wgan["cpu_s"] >= 0.5 and wgan["fid"] > 10 * real["fid"]
    tr = recipes.recipe("wgan-gp-mnist").config["train"]
    per_step = tr["batch_size"] * tr["n_critic"]  # real images through the critic per G step
    assert wgan["images_per_cpu_s"] == pytest.approx(wgan["g_steps"] * per_step / wgan["cpu_s"], rel=0.01)


def test_budget_option_on_the_command_line():
    assert parser().parse_args(["bench", "cpu-budget", "--budget", "30"]).budget == 30.0
    with pytest.raises(SystemExit):
        parser().parse_args(["bench", "cpu-budget", "--budget", "0"])


def test_a_recipe_without_evaluation_during_training_runs_on_a_budget_too():
    run, cpu_s = cpu_budget.train_for_budget("cvae-fonts", 0.3)
    assert run.history.completed_steps >= 1 and cpu_s >= 0.3
