import random

import numpy as np
import pytest
import torch

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
