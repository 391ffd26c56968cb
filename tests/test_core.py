import random

import numpy as np
import pytest
import torch
from torch import nn

import gencore


def test_device_is_cpu_or_cuda(monkeypatch):
    monkeypatch.delenv("GENCORE_DEVICE", raising=False)
    assert gencore.device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    monkeypatch.setenv("GENCORE_DEVICE", "cpu")
    assert gencore.device() == torch.device("cpu")


def test_seed_makes_every_generator_repeat():
    gencore.seed(7)
    a = (random.random(), np.random.rand(), torch.rand(3))
    gencore.seed(7)
    b = (random.random(), np.random.rand(), torch.rand(3))
    assert a[0] == b[0] and a[1] == b[1] and torch.equal(a[2], b[2])


@pytest.mark.parametrize("bad", [-1, 1.5, "3"])
def test_seed_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="non-negative integer"):
        gencore.seed(bad)


def test_cli_lists_data_recipes_and_models(capsys):
    from gencore.__main__ import main

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "mnist5k" in out and "vae-mnist" in out
    with pytest.raises(SystemExit):
        main(["train"])  # NAME is required


def test_module_device_and_map_batches():
    net = torch.nn.Linear(3, 2)
    assert gencore.module_device(net) == torch.device("cpu")
    assert gencore.module_device(torch.nn.ReLU()) == torch.device("cpu")  # no parameters: the CPU
    net.train()
    x = torch.randn(7, 3)
    out = gencore.map_batches(net, x, batch_size=3)
    assert out.shape == (7, 2) and not out.requires_grad and net.training  # mode restored
    with torch.no_grad():
        assert torch.equal(out, net(x))
    a, b = gencore.map_batches(net, x, lambda m, xb: (m(xb), m(xb).argmax(1)), batch_size=2)
    assert a.shape == (7, 2) and torch.equal(b, a.argmax(1))
    with pytest.raises(ValueError, match="batch_size"):
        gencore.map_batches(net, x, batch_size=0)


# --- top level ------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "tpu", "cuda:99"])
def test_bad_gencore_device_names_the_variable_and_the_choices(bad, monkeypatch):
    monkeypatch.setenv("GENCORE_DEVICE", bad)
    with pytest.raises(ValueError, match="(?s)GENCORE_DEVICE.*cpu.*cuda:N"):
        gencore.device()


def test_seed_documents_and_controls_deterministic_algorithms():
    assert "use_deterministic_algorithms" in gencore.seed.__doc__
    before = torch.are_deterministic_algorithms_enabled()
    try:
        torch.use_deterministic_algorithms(False)
        gencore.seed(0, deterministic=False)
        assert not torch.are_deterministic_algorithms_enabled()
        gencore.seed(0)
        assert torch.are_deterministic_algorithms_enabled()
    finally:
        torch.use_deterministic_algorithms(before, warn_only=True)


def test_eval_mode_restores_each_module_also_on_errors():
    a, b = nn.Sequential(nn.Linear(2, 2), nn.Dropout()), nn.BatchNorm1d(2).eval()
    a[1].eval()  # a mixed module: restored part by part
    with gencore.eval_mode(a, b):
        assert not a.training and not a[0].training and not b.training
    assert a.training and a[0].training and not a[1].training and not b.training
    with pytest.raises(RuntimeError), gencore.eval_mode(a):
        assert not a.training
        raise RuntimeError
    assert a.training and not a[1].training


def test_rng_gives_a_seeded_cpu_generator_or_none():
    assert gencore.rng(None) is None
    g = gencore.rng(5)
    assert g.device.type == "cpu" and torch.equal(torch.rand(3, generator=g), torch.rand(3, generator=gencore.rng(5)))
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="non-negative integer"):
            gencore.rng(bad)
