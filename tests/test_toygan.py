"""gencore.toygan and the minibatch-std discriminator: fast runs (a few steps), shapes, determinism."""

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


def test_ema_generator_follows_the_trained_one():
    r = toygan.train_toy_gan("gan", "ring8", seed=0, progress=False, ema=0.5, **FAST)
    assert not any(p.requires_grad for p in r.generator.parameters())  # the average is not trained directly
    with pytest.raises(ValueError, match="EMA decay must be in"):
        toygan.train_toy_gan("gan", "ring8", seed=0, progress=False, ema=1.5, **FAST)


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


def test_no_phase_draws_a_batch_it_does_not_use():
    # one real batch per critic step and nothing else: the generator, the decay and the average draw none
    drawn = []

    def counting(stream):
        for b in stream:
            drawn.append(1)
            yield b

    from gencore import data

    stream = counting(data.mixture_stream("ring8", 32, seed=0))
    import gencore.toygan as tg

    orig = tg.mixture_stream
    try:
        tg.mixture_stream = lambda *a, **k: stream
        r = tg.train_toy_gan("wgan-gp", "ring8", seed=0, progress=False, **FAST)
    finally:
        tg.mixture_stream = orig
    assert len(drawn) == r.config.n_critic * FAST["steps"]
