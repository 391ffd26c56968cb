"""gencore.toygan and the minibatch-std discriminator: fast runs (a few steps), shapes, determinism, records."""

import json

import pytest
import torch

from gencore import toygan
from gencore.models.toy import MinibatchStdDiscriminator

FAST = {"steps": 12, "batch_size": 32, "hidden": 16, "n_eval": 200, "n_snapshot": 50, "n_snapshots": 4}


@pytest.mark.parametrize("method", list(toygan.METHODS))
def test_every_method_trains_and_reports(method):
    r = toygan.train_toy_gan(method, "ring8", seed=0, progress=False, **FAST)
    assert r.history.completed_steps == FAST["steps"]
    assert set(r.metrics) == {"modes", "hq", "reverse_kl", "spread"}
    assert 0 <= r.metrics["modes"] <= 8 and 0 <= r.metrics["hq"] <= 1
    steps = [s for s, _ in r.history.snapshots]
    assert steps == [0, 3, 6, 9, 12]
    # n_snapshots + 1 frames when n_snapshots does not divide the steps, too
    odd = toygan.train_toy_gan(method, "ring8", seed=0, progress=False, **{**FAST, "steps": 14})
    assert [s for s, _ in odd.history.snapshots] == [0, 4, 8, 12, 14]
    assert all(x.shape == (50, 2) for _, x in r.history.snapshots)
    json.dumps(r.summary())  # JSON-able


def test_runs_are_reproducible():
    a = toygan.train_toy_gan("mbstd", "grid25", seed=3, progress=False, **FAST)
    b = toygan.train_toy_gan("mbstd", "grid25", seed=3, progress=False, **FAST)
    assert torch.equal(a.generator.sample(100, seed=1), b.generator.sample(100, seed=1))
    assert a.metrics == b.metrics


def test_config_for_applies_method_then_overrides():
    cfg = toygan.config_for("wgan-gp", steps=7)
    assert cfg.loss == "wasserstein" and cfg.n_critic == 5 and cfg.steps == 7 and cfg.hidden == toygan.BASE.hidden
    with pytest.raises(KeyError, match="unknown method"):
        toygan.config_for("veegan")


def test_mixture_batches_are_fresh_and_seeded():
    a, b = toygan.mixture_batches("ring8", 64, seed=0), toygan.mixture_batches("ring8", 64, seed=0)
    x1, x2 = next(a), next(a)
    assert x1.shape == (64, 2) and not torch.equal(x1, x2)
    assert torch.equal(x1, next(b))


def test_learning_rate_decays_linearly_to_zero():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    phase = toygan._lr_decay([opt], steps=10, decay_from=0.5)
    lrs = []
    for _ in range(10):
        phase.update(None)
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs[:4] == [1.0] * 4 and lrs[-1] == 0.0 and lrs[5] == pytest.approx(0.8)


def test_summarize_means_and_stds():
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
    (row,) = toygan.summarize(runs)
    assert row["modes_mean"] == 7.0 and row["modes_std"] == 1.0 and row["modes_min"] == 6
    assert row["reverse_kl_mean"] == pytest.approx(0.05) and row["seeds"] == [0, 1]


def test_benchmark_record():
    rec = toygan.benchmark(["gan"], ["ring8"], [0, 1], log=lambda _: None, **FAST)
    assert len(rec["runs"]) == 2 and rec["summary"][0]["method"] == "gan"
    assert rec["configs"]["gan"]["steps"] == FAST["steps"]
    json.dumps(rec)


def test_benchmark_in_worker_processes_matches_one_process():
    one = toygan.benchmark(["mbstd"], ["grid25"], [0, 1], log=lambda _: None, **FAST)
    two = toygan.benchmark(["mbstd"], ["grid25"], [0, 1], jobs=2, log=lambda _: None, **FAST)
    keys = ("method", "mixture", "seed", "steps", "modes", "hq", "reverse_kl")
    assert [{k: r[k] for k in keys} for r in two["runs"]] == [{k: r[k] for k in keys} for r in one["runs"]]
    with pytest.raises(ValueError, match="jobs must be a positive integer"):
        toygan.benchmark(["gan"], ["ring8"], [0], jobs=0)


def test_ema_generator_follows_the_trained_one():
    r = toygan.train_toy_gan("gan", "ring8", seed=0, progress=False, ema=0.5, **FAST)
    assert not any(p.requires_grad for p in r.generator.parameters())  # the average is not trained directly
    with pytest.raises(ValueError, match="ema must be in"):
        toygan.train_toy_gan("gan", "ring8", seed=0, progress=False, ema=1.5, **FAST)


def test_ema_warms_up_then_keeps_its_decay():
    G = torch.nn.Linear(1, 1, bias=False)
    phases = []
    avg = toygan._ema_copy(G, 0.9, phases)
    (phase,) = phases
    with torch.no_grad():
        G.weight.fill_(1.0)
        avg.weight.fill_(0.0)
    phase.update(None)  # first update: keeps min(0.9, 1/10) of the average
    assert avg.weight.item() == pytest.approx(0.9)
    phase.update(None)  # second: keeps 2/11
    assert avg.weight.item() == pytest.approx(0.9 * 2 / 11 + 9 / 11)
    for _ in range(100):
        phase.update(None)
    with torch.no_grad():
        avg.weight.fill_(0.0)
    phase.update(None)  # from (1 + t)/(10 + t) >= 0.9 on: keeps 0.9
    assert avg.weight.item() == pytest.approx(0.1)


def test_minibatch_std_discriminator_reads_the_batch():
    torch.manual_seed(0)
    D = MinibatchStdDiscriminator(hidden=16, depth=3)
    x = torch.randn(8, 2)
    assert D(x).shape == (8,)
    # the score of the first point changes when the *other* points change: D sees the batch
    y = torch.cat([x[:1], 5 * torch.randn(7, 2)])
    assert not torch.allclose(D(x)[0], D(y)[0])
    # with groups, each group's statistics are its own
    Dg = MinibatchStdDiscriminator(hidden=16, depth=3, group=4)
    assert torch.allclose(Dg(x)[:4], Dg(torch.cat([x[:4], y[4:]]))[:4])
    with pytest.raises(ValueError, match="multiple of the group size"):
        Dg(torch.randn(6, 2))
    with pytest.raises(ValueError, match="shape"):
        D(torch.randn(8, 3))


def test_shipped_results_match_the_code():
    from importlib import resources

    rec = json.loads(resources.files("gencore").joinpath("weights/mode_collapse_results.json").read_text())
    for method, cfg in rec["configs"].items():
        assert cfg == toygan.config_dict(toygan.config_for(method)), method
    assert rec["summary"] == toygan.summarize(rec["runs"])
    assert {(r["method"], r["mixture"]) for r in rec["runs"]} == {
        (m, x) for m in toygan.BENCHMARK_METHODS for x in ("ring8", "grid25")
    }
