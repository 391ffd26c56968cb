"""The GAN losses of gencore.losses against their formulas written out with sigmoid and log."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gencore import losses
from gencore import losses as L


@pytest.fixture
def logits():
    g = torch.Generator().manual_seed(0)
    real = 3 * torch.randn(64, generator=g, dtype=torch.float64)
    fake = 3 * torch.randn(64, generator=g, dtype=torch.float64)
    return real, fake


def test_d_loss_minimax_is_binary_cross_entropy(logits):
    real, fake = logits
    ref = F.binary_cross_entropy(torch.sigmoid(real), torch.ones_like(real)) + F.binary_cross_entropy(
        torch.sigmoid(fake), torch.zeros_like(fake)
    )
    direct = -(torch.log(torch.sigmoid(real)).mean() + torch.log(1 - torch.sigmoid(fake)).mean())
    assert L.d_loss_minimax(real, fake).item() == pytest.approx(ref.item(), rel=1e-9)
    assert L.d_loss_minimax(real, fake).item() == pytest.approx(direct.item(), rel=1e-9)


def test_generator_losses_are_their_formulas(logits):
    _, fake = logits
    d = torch.sigmoid(fake)
    assert L.g_loss_minimax(fake).item() == pytest.approx(torch.log(1 - d).mean().item(), rel=1e-9)
    assert L.g_loss_nonsaturating(fake).item() == pytest.approx(-torch.log(d).mean().item(), rel=1e-9)
    ref = F.binary_cross_entropy(d, torch.ones_like(d))
    assert L.g_loss_nonsaturating(fake).item() == pytest.approx(ref.item(), rel=1e-9)


def test_minimax_losses_stay_finite_for_extreme_logits():
    # sigmoid(±60) rounds to 0 or 1 in float32; the softplus form must not give inf or nan
    real, fake = torch.tensor([-60.0, 60.0]), torch.tensor([60.0, -60.0])
    ref = F.binary_cross_entropy_with_logits(real, torch.ones(2)) + F.binary_cross_entropy_with_logits(
        fake, torch.zeros(2)
    )
    assert L.d_loss_minimax(real, fake).item() == pytest.approx(ref.item(), rel=1e-6)
    assert math.isfinite(L.g_loss_minimax(fake).item()) and math.isfinite(L.g_loss_nonsaturating(fake).item())


def test_minimax_generator_gradient_saturates_nonsaturating_does_not():
    # D confidently rejects the fakes (logit −10, D ≈ 4.5e-5)
    fake = torch.full((4,), -10.0, requires_grad=True)
    (g_mm,) = torch.autograd.grad(L.g_loss_minimax(fake), fake)
    (g_ns,) = torch.autograd.grad(L.g_loss_nonsaturating(fake), fake)
    # d/dl log(1 − σ(l)) = −σ(l);   d/dl −log σ(l) = −(1 − σ(l))   (per example, then / N)
    assert torch.allclose(g_mm, -torch.sigmoid(fake.detach()) / 4)
    assert torch.allclose(g_ns, -(1 - torch.sigmoid(fake.detach())) / 4)
    assert g_mm.abs().max() < 1e-4 < 0.2 < g_ns.abs().min()


def test_wasserstein_hinge_least_squares(logits):
    real, fake = logits
    assert L.d_loss_wasserstein(real, fake).item() == pytest.approx((fake.mean() - real.mean()).item())
    assert L.g_loss_wasserstein(fake).item() == pytest.approx(-fake.mean().item())
    hinge = torch.clamp(1 - real, min=0).mean() + torch.clamp(1 + fake, min=0).mean()
    assert L.d_loss_hinge(real, fake).item() == pytest.approx(hinge.item())
    lsq = 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean()
    assert L.d_loss_least_squares(real, fake).item() == pytest.approx(lsq.item())
    assert L.g_loss_least_squares(fake).item() == pytest.approx((0.5 * ((fake - 1) ** 2).mean()).item())


def test_discriminator_loss_at_the_optimum_is_minus_value():
    # D ≡ ½ (logit 0) when p_r = p_g: loss = 2 log 2 = −V(D*, G) at the game's equilibrium
    zeros = torch.zeros(10)
    assert L.d_loss_minimax(zeros, zeros).item() == pytest.approx(2 * math.log(2))


def test_gan_losses_registry():
    assert L.gan_losses("minimax") == (L.d_loss_minimax, L.g_loss_minimax)
    assert L.gan_losses("nonsaturating") == (L.d_loss_minimax, L.g_loss_nonsaturating)
    assert L.gan_losses("wasserstein") == (L.d_loss_wasserstein, L.g_loss_wasserstein)
    assert L.gan_losses("hinge")[0] is L.d_loss_hinge
    assert L.gan_losses("least_squares") == (L.d_loss_least_squares, L.g_loss_least_squares)
    with pytest.raises(KeyError, match="unknown GAN loss 'vanilla'.*minimax"):
        L.gan_losses("vanilla")


# --- gradient penalty -----------------------------------------------------------


class LinearCritic(nn.Module):
    """D(x) = a · x (x flattened): ∇D = a everywhere, so the penalty is (‖a‖ − 1)² exactly."""

    def __init__(self, a: torch.Tensor):
        super().__init__()
        self.a = nn.Parameter(a.clone())

    def forward(self, x):
        return x.flatten(1) @ self.a


class QuadraticCritic(nn.Module):
    """D(x) = ½‖x‖²: ∇D(x̂) = x̂, so the penalty depends on where x̂ lies between x and x̃."""

    def __init__(self):
        super().__init__()
        self.seen: list[torch.Tensor] = []

    def forward(self, x):
        self.seen.append(x.detach().clone())
        return 0.5 * x.flatten(1).pow(2).sum(1)


@pytest.mark.parametrize("shape", [(32, 2), (8, 1, 4, 4)])
def test_gradient_penalty_linear_critic(shape):
    g = torch.Generator().manual_seed(1)
    real, fake = torch.randn(shape, generator=g), torch.randn(shape, generator=g)
    dim = math.prod(shape[1:])
    for a in (torch.ones(dim) / math.sqrt(dim), torch.full((dim,), 0.7), torch.randn(dim, generator=g)):
        gp = L.gradient_penalty(LinearCritic(a), real, fake)
        assert gp.item() == pytest.approx((a.norm().item() - 1) ** 2, rel=1e-5, abs=1e-10)


def test_gradient_penalty_backpropagates_into_the_critic_only():
    a = torch.tensor([3.0, 4.0])  # ‖a‖ = 5: penalty 16, d/da = 2(‖a‖ − 1) a / ‖a‖
    critic = LinearCritic(a)
    fake = torch.randn(16, 2, requires_grad=True)
    L.gradient_penalty(critic, torch.randn(16, 2), fake).backward()
    assert torch.allclose(critic.a.grad, 2 * (5 - 1) * a / 5)
    assert fake.grad is None  # the penalty regularizes the critic, not the generator


def test_gradient_penalty_draws_epsilon_per_example():
    # real = 1, fake = 0 everywhere: x̂ = ε, so each example is constant iff ε is drawn per example
    critic = QuadraticCritic()
    real, fake = torch.ones(64, 3, 5, 5), torch.zeros(64, 3, 5, 5)
    L.gradient_penalty(critic, real, fake)
    x_hat = critic.seen[-1].flatten(1)
    assert torch.equal(x_hat, x_hat[:, :1].expand_as(x_hat)), "ε varies within an example"
    eps = x_hat[:, 0]
    assert eps.min() >= 0 and eps.max() <= 1 and eps.std() > 0.15  # different ε for different examples


def test_gradient_penalty_quadratic_critic_matches_recomputation():
    g = torch.Generator().manual_seed(2)
    real, fake = torch.randn(16, 1, 6, 6, generator=g), torch.randn(16, 1, 6, 6, generator=g)
    torch.manual_seed(123)
    gp = L.gradient_penalty(QuadraticCritic(), real, fake)
    torch.manual_seed(123)
    eps = torch.rand(16, 1, 1, 1)  # the same draw, one ε per example
    x_hat = eps * real + (1 - eps) * fake
    expected = (x_hat.flatten(1).norm(dim=1) - 1).pow(2).mean()
    assert gp.item() == pytest.approx(expected.item(), rel=1e-6)
    # a per-pixel ε would give a different value
    torch.manual_seed(123)
    eps_px = torch.rand(16, 1, 6, 6)
    per_pixel = ((eps_px * real + (1 - eps_px) * fake).flatten(1).norm(dim=1) - 1).pow(2).mean()
    assert abs(per_pixel.item() - gp.item()) > 1e-3


def test_gradient_penalty_rejects_mismatched_batches():
    with pytest.raises(ValueError, match="differ in shape"):
        L.gradient_penalty(QuadraticCritic(), torch.zeros(4, 2), torch.zeros(5, 2))


# --- weight clipping ---------------------------------------------------------------


def test_clip_weights():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
    with torch.no_grad():
        net[0].weight.mul_(10)
    before = [p.detach().clone() for p in net.parameters()]
    L.clip_weights(net, 0.05)
    for b, p in zip(before, net.parameters()):
        assert p.abs().max() <= 0.05
        inside = b.abs() <= 0.05
        assert torch.equal(p[inside], b[inside])  # values already inside are untouched
        assert torch.equal(p[~inside], 0.05 * b[~inside].sign())  # the rest land on ±c
    with pytest.raises(ValueError, match="positive"):
        L.clip_weights(net, 0.0)


def test_gradient_penalty_rejects_empty_and_integer_batches():
    critic = nn.Linear(3, 1)
    with pytest.raises(ValueError, match="N >= 1"):
        losses.gradient_penalty(critic, torch.zeros(0, 3), torch.zeros(0, 3))
    with pytest.raises(ValueError, match="floating"):
        losses.gradient_penalty(critic, torch.zeros(2, 3, dtype=torch.int64), torch.ones(2, 3, dtype=torch.int64))


def test_interpolates_draw_one_epsilon_per_example():
    real, fake = torch.zeros(6, 2, 3), torch.ones(6, 2, 3)
    g = torch.Generator().manual_seed(0)
    x_hat = losses.interpolates(real, fake, generator=g)
    eps = 1 - x_hat[:, 0, 0]
    assert x_hat.shape == real.shape and torch.equal(x_hat, (1 - eps).view(6, 1, 1).expand(6, 2, 3))
    assert torch.equal(x_hat, losses.interpolates(real, fake, generator=torch.Generator().manual_seed(0)))
    assert ((eps >= 0) & (eps <= 1)).all() and eps.unique().numel() == 6
    with pytest.raises(ValueError, match="shape"):
        losses.interpolates(real, fake[:3])


def test_gradient_penalty_uses_interpolates():
    critic = nn.Linear(4, 1)
    real, fake = torch.randn(5, 4), torch.randn(5, 4)
    a = losses.gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(3))
    b = losses.gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(3))
    grad_norm = critic.weight.norm()  # a linear critic has the same gradient everywhere
    assert torch.equal(a, b) and a.item() == pytest.approx((grad_norm.item() - 1) ** 2, rel=1e-5)


@pytest.mark.parametrize("c", [0.0, -1.0, float("nan"), float("inf")])
def test_clip_weights_needs_a_finite_positive_bound(c):
    net = nn.Linear(2, 2)
    before = net.weight.detach().clone()
    with pytest.raises(ValueError, match="clipping bound"):
        losses.clip_weights(net, c)
    assert torch.equal(net.weight, before)


@pytest.mark.parametrize("name", sorted(losses.GAN_LOSSES))
def test_gan_losses_refuse_empty_batches(name):
    d_loss, g_loss = losses.gan_losses(name)
    empty, some = torch.zeros(0), torch.zeros(3)
    with pytest.raises(ValueError, match="empty"):
        d_loss(some, empty)
    with pytest.raises(ValueError, match="empty"):
        g_loss(empty)
