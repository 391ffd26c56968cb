"""gencore.lipschitz: operator norms against dense SVDs, bounds against measured slopes."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gencore.lipschitz import (
    activation_gradient_norms,
    input_gradient_norm,
    layer_norms,
    lipschitz_bound,
    operator_norm,
)
from gencore.models.dcgan import Critic


def test_operator_norm_of_a_matrix_is_its_largest_singular_value():
    torch.manual_seed(0)
    w = torch.randn(7, 12, dtype=torch.float64)
    sigma = torch.linalg.matrix_norm(w, ord=2).item()
    assert operator_norm(lambda v: F.linear(v, w), (12,), iters=300) == pytest.approx(sigma, rel=1e-6)


def test_operator_norm_of_a_strided_convolution_matches_the_dense_svd():
    torch.manual_seed(1)
    w = torch.randn(3, 2, 4, 4, dtype=torch.float64)

    def conv(v):
        return F.conv2d(v, w, None, stride=2, padding=1)

    dense = torch.autograd.functional.jacobian(conv, torch.zeros(1, 2, 8, 8, dtype=torch.float64))
    sigma = torch.linalg.matrix_norm(dense.reshape(3 * 4 * 4, 2 * 8 * 8), ord=2).item()
    assert operator_norm(conv, (2, 8, 8), iters=500) == pytest.approx(sigma, rel=1e-5)
    # Eq. (wg-conv-bound): at most ceil(k/s) = 2 times sigma_max of the (out, in*k*k) kernel matrix
    assert sigma <= 2 * torch.linalg.matrix_norm(w.flatten(1), ord=2).item() + 1e-9


def test_spectral_normalized_critic_layers_and_bound():
    torch.manual_seed(2)
    critic = Critic(width=4, norm="spectral").eval()
    rows = layer_norms(critic.net, (1, 28, 28))
    assert [r["layer"] for r in rows] == ["Conv2d", "Conv2d", "Linear"]
    for r in rows:
        assert r["matrix_norm"] == pytest.approx(1.0, abs=0.05)
        assert r["operator_norm"] <= 2 * r["matrix_norm"] + 1e-4
    bound = lipschitz_bound(critic.net, (1, 28, 28))
    assert bound == pytest.approx(math.prod(r["operator_norm"] for r in rows))
    x = torch.rand(64, 1, 28, 28) * 2 - 1
    assert input_gradient_norm(critic, x).max().item() <= bound


def test_bound_holds_for_an_unconstrained_critic_and_batch_norm_is_refused():
    torch.manual_seed(3)
    critic = Critic(width=4).eval()
    x = torch.rand(32, 1, 28, 28) * 2 - 1
    assert input_gradient_norm(critic, x).max().item() <= lipschitz_bound(critic.net, (1, 28, 28))
    with pytest.raises(ValueError, match="BatchNorm2d"):
        layer_norms(Critic(width=4, norm="batch").net, (1, 28, 28))


def test_gradient_norms_of_a_linear_critic():
    torch.manual_seed(4)
    net = nn.Sequential(nn.Flatten(), nn.Linear(6, 1))
    x = torch.randn(5, 2, 3)
    w_norm = net[1].weight.norm().item()
    assert torch.allclose(input_gradient_norm(lambda t: net(t).squeeze(-1), x), torch.full((5,), w_norm))
    assert activation_gradient_norms(net, x) == pytest.approx([w_norm])
    assert net[1].weight.grad is None  # measuring leaves the parameters' gradients alone


def test_activation_gradient_norms_follow_the_chain_rule():
    # f = w2 · LeakyReLU(W1 x): the gradient at the hidden layer is w2, at the input W1ᵀ (w2 ⊙ a')
    torch.manual_seed(5)
    net = nn.Sequential(nn.Linear(4, 3), nn.LeakyReLU(0.2, True), nn.Linear(3, 1))
    x = torch.randn(8, 4)
    first, last = activation_gradient_norms(net, x)
    assert last == pytest.approx(net[2].weight.norm().item())
    pre = net[0](x)
    slope = torch.where(pre > 0, 1.0, 0.2)
    expected = ((slope * net[2].weight) @ net[0].weight).norm(dim=1).mean().item()
    assert first == pytest.approx(expected, rel=1e-5)
