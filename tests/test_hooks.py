"""gencore.train.hooks: the EMA of weights, the learning-rate schedule, the image pool; hooks in train()."""

import pytest
import torch

from gencore import data
from gencore.train import EMA, History, ImagePool, LinearDecay, Phase, ema_copy, train


def test_ema_warms_up_then_keeps_its_decay():
    G = torch.nn.Linear(1, 1, bias=False)
    ema = EMA(G, 0.9)
    with torch.no_grad():
        G.weight.fill_(1.0)
        ema.average.weight.fill_(0.0)
    ema(1)  # first update: keeps min(0.9, 1/10) of the average
    assert ema.average.weight.item() == pytest.approx(0.9)
    ema(2)  # second: keeps 2/11
    assert ema.average.weight.item() == pytest.approx(0.9 * 2 / 11 + 9 / 11)
    for t in range(100):
        ema(3 + t)
    with torch.no_grad():
        ema.average.weight.fill_(0.0)
    ema(200)  # from (1 + t)/(10 + t) >= 0.9 on: keeps 0.9
    assert ema.average.weight.item() == pytest.approx(0.1)
    assert not ema.average.weight.requires_grad
    no_warmup = EMA(G, 0.9, warmup=False)
    assert no_warmup.beta() == 0.9
    with pytest.raises(ValueError, match="EMA decay"):
        EMA(G, 1.0)


def test_ema_copies_buffers():
    net = torch.nn.BatchNorm1d(3)
    ema = EMA(net, 0.5)
    net.train()(torch.randn(16, 3) + 5)
    ema(1)
    assert torch.equal(ema.average.running_mean, net.running_mean)


def test_ema_can_average_batch_norm_statistics_with_the_weights():
    net = torch.nn.BatchNorm1d(3)
    ema = EMA(net, 0.5, warmup=False, buffers="average")
    net.train()(torch.randn(16, 3) + 5)  # running mean 0 -> about 0.5 (momentum 0.1)
    ema(1)
    # floating buffers move halfway; the step counter is copied
    assert torch.allclose(ema.average.running_mean, 0.5 * net.running_mean)
    assert torch.allclose(ema.average.running_var, 0.5 * (1 + net.running_var))
    assert ema.average.num_batches_tracked.item() == 1
    with pytest.raises(ValueError, match="'copy' or 'average'"):
        EMA(net, 0.5, buffers="mean")


def test_ema_copy_trains_a_copy_and_ships_the_average_in_place():
    shipped = torch.nn.Linear(2, 1)
    trained, ema = ema_copy(shipped, 0.5)
    assert trained is not shipped and ema.average is shipped and ema.module is trained
    assert torch.equal(trained.weight, shipped.weight)
    with torch.no_grad():
        trained.weight.add_(1.0)
    before = shipped.weight.clone()
    ema(1)  # the shipped module itself moves towards the trained copy
    assert not torch.equal(shipped.weight, before)
    assert ema_copy(shipped, 0.0) == (shipped, None)  # no average: the shipped module trains


def test_learning_rate_is_constant_then_decays_linearly_to_zero():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    hook = LinearDecay([opt], total_steps=10, decay_from=0.5)
    lrs = []
    for step in range(1, 11):
        hook(step)
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs[:4] == [1.0] * 4 and lrs[-1] == 0.0 and lrs[5] == pytest.approx(0.8)
    with pytest.raises(ValueError, match="decay_from"):
        LinearDecay([opt], 10, decay_from=1.5)


def test_image_pool_fills_then_swaps_half():
    gen = torch.Generator().manual_seed(0)
    pool = ImagePool(size=4, p=0.5, generator=gen)
    first = torch.arange(4.0).view(4, 1)
    assert torch.equal(pool.query(first), first) and len(pool) == 4
    new = 10 + torch.arange(400.0).view(400, 1)
    out = pool.query(new)
    swapped = (out != new).squeeze(1).float().mean().item()
    assert out.shape == new.shape and 0.4 < swapped < 0.6  # about half come from the pool
    assert len(pool) == 4
    assert torch.equal(ImagePool(size=0).query(new), new)


def test_hooks_run_after_every_step_draw_no_data_and_log():
    seen = []
    phase = Phase("p", lambda batch: {"loss": float(batch[0].sum())})
    h = train(
        [phase],
        data.mixture_stream("ring8", 4, seed=0),
        5,
        hooks=[lambda s: seen.append(s) or {"x": s}],
        progress=False,
    )
    assert seen == [1, 2, 3, 4, 5] and h.losses["x"] == [1, 2, 3, 4, 5]


def test_a_phase_that_takes_no_batch_gets_none():
    got = []
    phases = [Phase("a", lambda b: got.append(b) or {}, takes_batch=False)]
    train(phases, iter([]), 3, progress=False)
    assert got == [None, None, None]


def test_continuing_after_ctrl_c_ends_normally():
    calls = []

    def update(batch):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return {}

    stream = data.mixture_stream("ring8", 4, seed=0)
    ends = []
    h = train([Phase("p", update)], stream, 5, checkpoint=ends.append, progress=False)
    assert h.interrupted and ends == []
    h = train([Phase("p", update)], stream, 2, checkpoint=ends.append, progress=False, history=h)
    assert not h.interrupted and ends == [h.completed_steps]


def test_a_floating_point_error_in_a_phase_becomes_training_diverged():
    from gencore.train import TrainingDiverged

    def update(batch):
        raise FloatingPointError("the encoder's scale is 0")

    with pytest.raises(TrainingDiverged, match="encoder's scale") as info:
        train([Phase("vae", update)], data.mixture_stream("ring8", 4, seed=0), 3, progress=False)
    assert isinstance(info.value.history, History)
