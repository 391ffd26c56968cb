"""gencore.train.critic_phase: a discriminator or critic trained alone between two fixed distributions."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import gencore
from gencore.train import critic_phase, train


class Linear1d(nn.Module):
    """A 1-D logistic-regression discriminator: logit = w x + b, shape (N,)."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(1, 1)

    def forward(self, x):
        return self.lin(x).squeeze(-1)


def gaussian_pairs(n=512):
    while True:  # p_r = N(1, 1), p_g = N(-1, 1)
        yield torch.randn(n, 1) + 1, torch.randn(n, 1) - 1


def test_minimax_critic_learns_the_optimal_logit():
    # D* = p_r / (p_r + p_g): its logit log p_r(x) − log p_g(x) = 2x, in reach of a linear model
    gencore.seed(0)
    d = Linear1d()
    opt = torch.optim.Adam(d.parameters(), lr=0.05)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 400)
    history = train([critic_phase(d, opt, scheduler=sched)], gaussian_pairs(), 400)
    assert d.lin.weight.item() == pytest.approx(2.0, abs=0.15)
    assert d.lin.bias.item() == pytest.approx(0.0, abs=0.1)
    assert set(history.losses) == {"d_loss"}
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-9)  # the scheduler was stepped 400 times


def test_wasserstein_critic_with_clipping_reports_the_dual_gap():
    gencore.seed(0)
    critic = nn.Sequential(nn.Linear(1, 16), nn.ReLU(), nn.Linear(16, 1), nn.Flatten(0))
    opt = torch.optim.RMSprop(critic.parameters(), lr=1e-3)
    phase = critic_phase(critic, opt, loss="wasserstein", clip=0.05)
    out = phase.update(next(gaussian_pairs()))
    assert set(out) == {"d_loss", "w1"} and out["w1"] == pytest.approx(-out["d_loss"])
    assert all(p.abs().max() <= 0.05 for p in critic.parameters())


def test_gradient_penalty_is_added_and_reported():
    critic = Linear1d()
    with torch.no_grad():
        critic.lin.weight.fill_(3.0)  # ‖∇D‖ = 3 everywhere: penalty (3 − 1)² = 4
    opt = torch.optim.SGD(critic.parameters(), lr=0.0)
    out = critic_phase(critic, opt, loss="wasserstein", gp_weight=10.0).update(next(gaussian_pairs()))
    assert out["gp"] == pytest.approx(4.0)


def test_unknown_loss():
    with pytest.raises(KeyError, match="unknown GAN loss"):
        critic_phase(Linear1d(), torch.optim.SGD(Linear1d().parameters(), lr=0.1), loss="nope")
