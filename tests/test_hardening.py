"""Hostile and careless inputs (issue 10, issue 9 item 7): each ends in a gencore error that says what to do."""

import gzip
import math
import struct

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

import gencore
from gencore import data, divergences, losses
from gencore.models.dcgan import Critic, DCGANConfig, Discriminator, Generator
from gencore.models.linear_gaussian import LinearGaussian
from gencore.models.toy import MLPGenerator
from gencore.models.vae import VAE

# --- Data ---------------------------------------------------------------------


@pytest.mark.parametrize("name,kw,batch", [("ring8", {"n": 10}, 100), ("digits", {"split": "heldout"}, 512)])
def test_batches_larger_than_the_data_set_are_refused_not_looped(name, kw, batch):
    d = data.load(name, **kw)
    with pytest.raises(ValueError, match=rf"(?s)(?=.*'{name}')(?=.*\b{len(d)}\b)(?=.*\b{batch}\b)"):
        next(d.batches(batch))
    with pytest.raises(ValueError, match=f"{len(d)}"):
        d.loader(batch)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "8"])
def test_batch_size_must_be_a_positive_integer(bad):
    d = data.load("ring8", n=20, seed=0)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        next(d.batches(bad))


def test_batches_up_to_the_data_set_size_still_work():
    d = data.load("ring8", n=10, seed=0)
    it = d.batches(10)
    assert [next(it)[0].shape for _ in range(3)] == [(10, 2)] * 3


def test_load_returns_data_that_cannot_corrupt_the_cache():
    held = data.load("digits", split="heldout").x.clone()
    for split in ("all", "train", "heldout"):
        data.load("digits", split=split).x.mul_(0)
    assert torch.equal(data.load("digits", split="heldout").x, held)
    x = data.load("digits", split="all").x
    assert x.abs().sum() > 0
    d = data.load("ring8", n=5, seed=0)
    d.info["means"].mul_(0)
    assert data.mixture("ring8")[0].abs().sum() > 0


def test_repr_of_empty_data():
    d = data.Data("empty", "all", torch.zeros(0, 2), torch.zeros(0, dtype=torch.int64))
    assert "empty" in repr(d) and "(0, 2)" in repr(d)


def test_data_is_a_torch_dataset():
    d = data.load("ring8", n=12, seed=0)
    assert isinstance(d, Dataset)
    x, y = d[3]
    assert torch.equal(x, d.x[3]) and y == d.y[3]
    xb, yb = next(iter(DataLoader(d, batch_size=5, shuffle=False)))
    assert torch.equal(xb, d.x[:5]) and torch.equal(yb, d.y[:5])


def test_mnist5k_binary_is_registered_and_matches_the_threshold():
    b = data.load("mnist5k-binary", split="heldout")
    g = data.load("mnist5k", split="heldout")
    assert b.name == "mnist5k-binary" and b.split == "heldout" and len(b) == len(g) == 1000
    assert torch.equal(b.x, torch.where(g.x > 0, 1.0, -1.0)) and torch.equal(b.y, g.y)
    assert torch.equal(data.binarize(g.x), b.x)
    assert "mnist5k-binary" in data.names()


# --- sampling -------------------------------------------------------------------


def _models():
    return [
        (Generator(latent_dim=4, width=4).eval(), (1, 28, 28)),
        (VAE(hidden=(8,)), (1, 28, 28)),
        (MLPGenerator(hidden=8, depth=1), (2,)),
        (LinearGaussian(5, 2), (5,)),
    ]


def test_a_training_generator_cannot_sample_one_image_and_says_so():
    with pytest.raises(ValueError, match=r"\.eval\(\)"):
        Generator(latent_dim=4, width=4).sample(1)
    assert Generator(latent_dim=4, width=4).eval().sample(1).shape == (1, 1, 28, 28)


@pytest.mark.parametrize("i", range(4))
def test_sample_zero_gives_an_empty_batch(i):
    model, shape = _models()[i]
    out = model.sample(0, seed=0)
    assert out.shape == (0, *shape)


@pytest.mark.parametrize("i", range(4))
@pytest.mark.parametrize("bad", [2.5, True, "3", -1, None])
def test_sample_rejects_a_count_that_is_not_a_non_negative_integer(i, bad):
    model, _ = _models()[i]
    with pytest.raises(ValueError, match="non-negative integer"):
        model.sample(bad)


@pytest.mark.parametrize("i", range(4))
def test_large_samples_are_drawn_in_chunks(i, monkeypatch):
    from gencore.models import sampling

    model, shape = _models()[i]
    sizes, randn = [], torch.randn

    def spy(*size, **kwargs):
        sizes.append(size[0])
        return randn(*size, **kwargs)

    monkeypatch.setattr(sampling, "CHUNK", 7)
    monkeypatch.setattr(torch, "randn", spy)
    out = model.sample(23, seed=1)
    noises = 2 if isinstance(model, LinearGaussian) else 1  # LinearGaussian draws z and ε
    assert out.shape == (23, *shape) and sorted(sizes) == sorted([6, 6, 6, 5] * noises)
    assert out.device.type == "cpu"
    assert torch.equal(out, model.sample(23, seed=1))  # a seed still fixes the whole batch
    assert model.sample(np.int64(3), seed=0).shape == (3, *shape)


def test_sample_count_helper_names_what_n_must_be(monkeypatch):
    from gencore.models import sampling

    monkeypatch.setattr(sampling, "CHUNK", 10)
    assert sampling.chunk_sizes(10) == [10] and sampling.chunk_sizes(21) == [7, 7, 7]
    assert sampling.chunk_sizes(11) == [6, 5]  # never a lone sample (batch norm in training mode needs 2)
    assert sampling.check_count(np.int32(4)) == 4
    with pytest.raises(ValueError, match="n must be a non-negative integer.*2.5"):
        sampling.check_count(2.5)


# --- models -------------------------------------------------------------------


@pytest.mark.parametrize("cls", [Generator, Discriminator, Critic])
def test_dcgan_overrides_apply_on_top_of_a_config(cls):
    m = cls(DCGANConfig(latent_dim=8, width=4), width=6)
    assert (m.config.latent_dim, m.config.width) == (8, 6)
    assert cls(width=5).config.width == 5 and cls(DCGANConfig(width=3)).config.width == 3


def test_one_mlp_builder_keeps_the_state_dict_keys():
    from gencore.models import toy, vae
    from gencore.models.layers import mlp

    assert toy._mlp is mlp and vae._mlp is mlp
    assert list(VAE(hidden=(8, 4)).state_dict()) == [
        f"{part}.{i}.{p}" for part in ("encoder", "decoder") for i in (0, 2, 4) for p in ("weight", "bias")
    ]
    net = mlp([2, 3, 1], act=lambda: nn.LeakyReLU(0.2))
    assert [type(m).__name__ for m in net] == ["Linear", "LeakyReLU", "Linear"]


@pytest.mark.parametrize("how", ["zero scale", "inf scale", "nan mean"])
def test_diverged_vae_encoder_raises_floating_point_error(how):
    model = VAE(hidden=(8,))
    last = model.encoder[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.zero_()
        k = model.latent_dim
        if how == "zero scale":
            last.bias[k:] = -1e4  # log σ² = −10⁴: σ underflows to 0
        elif how == "inf scale":
            last.bias[k:] = 1e4
        else:
            last.bias[:k] = float("nan")
    with pytest.raises(FloatingPointError, match="(?s)VAE encoder.*learning rate"):
        model.encode(torch.zeros(3, 1, 28, 28))


# --- divergences and losses -------------------------------------------------------


@pytest.mark.parametrize(
    "p_r,p_g", [([2.0], [-1.0]), ([float("nan")], [1.0]), ([1.0], [float("inf")]), ([-0.5, 1], [1, 1])]
)
def test_optimal_discriminator_rejects_negative_or_non_finite_densities(p_r, p_g):
    with pytest.raises(ValueError, match="finite and non-negative"):
        divergences.optimal_discriminator(p_r, p_g)
    with pytest.raises(ValueError, match="finite and non-negative"):
        divergences.optimal_discriminator(torch.tensor(p_r), torch.tensor(p_g))


def test_optimal_discriminator_checks_the_mass_on_a_grid():
    x = np.linspace(-5, 5, 1001)
    dx = x[1] - x[0]
    p = np.exp(-(x**2) / 2) / math.sqrt(2 * math.pi)
    assert divergences.optimal_discriminator(p, p, dx=dx) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="total mass"):
        divergences.optimal_discriminator(3 * p, p, dx=dx)
    # without dx the values are densities at points: any positive scale is allowed
    assert divergences.optimal_discriminator([3.0, 0.0], [1.0, 0.0]).tolist() == [0.75, 0.5]


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


# --- IDX files ------------------------------------------------------------------


def _idx(code: int, shape: tuple[int, ...], payload: bytes) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + payload


class _Counting:
    """Wraps a binary file and counts the bytes read from it."""

    def __init__(self, f):
        self.f, self.n = f, 0

    def read(self, size=-1):
        out = self.f.read(size)
        self.n += len(out)
        return out

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


def test_idx_bomb_is_rejected_after_the_declared_size(tmp_path, monkeypatch):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(_idx(0x08, (2, 28, 28), bytes(2 * 784)))
        for _ in range(40):  # 40 MB of zeros behind a header that declares 1,568 bytes
            f.write(bytes(1 << 20))
    assert path.stat().st_size < 200_000
    from gencore.data import idx

    opened = []
    real_open = gzip.open
    monkeypatch.setattr(idx.gzip, "open", lambda *a, **k: opened.append(_Counting(real_open(*a, **k))) or opened[-1])
    with pytest.raises(ValueError, match=f"(?s){path.name}.*more data than"):
        data.read_idx(path)
    assert opened[0].n <= 4 + 12 + 2 * 784 + 1


def test_idx_sizes_do_not_overflow(tmp_path):
    path = tmp_path / "huge"
    path.write_bytes(_idx(0x08, (65536, 65536, 65536, 65536), bytes(16)))
    with pytest.raises(ValueError, match=f"(?s){path.name}.*{65536**4}"):
        data.read_idx(path)
    with pytest.raises(ValueError, match=f"(?s){path.name}.*only 16 bytes"):
        data.read_idx(path, max_bytes=None)  # reads what is there, in pieces, and stops


def test_idx_short_header_and_corrupt_gzip_name_the_file(tmp_path):
    short = tmp_path / "short-header"
    short.write_bytes(bytes([0, 0, 8, 3, 0, 0]))
    with pytest.raises(ValueError, match=f"(?s){short.name}.*header"):
        data.read_idx(short)
    bad = tmp_path / "corrupt.gz"
    good = gzip.compress(_idx(0x08, (3,), bytes(3)))
    bad.write_bytes(good[:12] + bytes(len(good) - 12))
    with pytest.raises(ValueError, match=f"{bad.name}"):
        data.read_idx(bad)
    notgz = tmp_path / "plain.gz"
    notgz.write_bytes(b"plain text, not gzip")
    with pytest.raises(ValueError, match=f"{notgz.name}"):
        data.read_idx(notgz)
    unnamed = tmp_path / "train-labels-idx1-ubyte"  # gzipped but named without .gz
    unnamed.write_bytes(good)
    with pytest.raises(ValueError, match=r"(?s)train-labels.*suffix \.gz"):
        data.read_idx(unnamed)
    with pytest.raises(FileNotFoundError, match="missing"):
        data.read_idx(tmp_path / "missing")


def _write_mnist(root, images: bytes, labels: bytes):
    (root / "t10k-images-idx3-ubyte").write_bytes(images)
    (root / "t10k-labels-idx1-ubyte").write_bytes(labels)


def test_mnist_idx_requires_uint8_28x28_images_and_labels_0_to_9(tmp_path):
    ok_labels = _idx(0x08, (2,), bytes([3, 9]))
    ok_images = _idx(0x08, (2, 28, 28), bytes(2 * 784))
    _write_mnist(tmp_path, ok_images, ok_labels)
    assert len(data.load("mnist-idx", root=tmp_path, split="test")) == 2
    nan_images = _idx(0x0D, (2, 28, 28), np.full((2, 28, 28), np.nan, ">f4").tobytes())
    cases = {
        "uint8": (nan_images, ok_labels),
        "28": (_idx(0x08, (2, 32, 32), bytes(2 * 1024)), ok_labels),
        "0.*9": (ok_images, _idx(0x08, (2,), bytes([3, 200]))),
    }
    for message, (images, labels) in cases.items():
        _write_mnist(tmp_path, images, labels)
        with pytest.raises(ValueError, match=f"(?s)t10k.*{message}"):
            data.load("mnist-idx", root=tmp_path, split="test")


# --- more careless inputs, same kinds -------------------------------------------------


def test_load_names_the_keywords_a_data_set_takes():
    with pytest.raises(TypeError, match="(?s)'mnist5k'.*spilt.*split"):
        data.load("mnist5k", spilt="train")
    with pytest.raises(TypeError, match="(?s)'ring8'.*size.*n, seed"):
        data.load("ring8", size=10)


def test_batches_check_the_seed_at_the_call():
    d = data.load("ring8", n=20, seed=0)
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        d.batches(4, seed=1.5)


def test_divergence_helpers_reject_nan_and_mismatched_inputs():
    p = np.array([0.5, 0.5])
    with pytest.raises(ValueError, match=r"d must .*\[0, 1\]"):
        divergences.gan_value(p, p, [0.5, float("nan")])
    with pytest.raises(ValueError, match="broadcast"):
        divergences.optimal_discriminator([0.1, 0.2, 0.3], [0.1, 0.2])
    with pytest.raises(ValueError, match="theta"):
        divergences.parallel_lines(float("nan"))
    q = torch.tensor([0.25, 0.75], requires_grad=True)  # a tensor that requires grad is read, not refused
    assert divergences.kl(p, q) == pytest.approx(0.5 * math.log(2) + 0.5 * math.log(2 / 3))


@pytest.mark.parametrize("c", [0.0, -1.0, float("nan"), float("inf")])
def test_clip_weights_needs_a_finite_positive_bound(c):
    net = nn.Linear(2, 2)
    before = net.weight.detach().clone()
    with pytest.raises(ValueError, match="clipping bound"):
        losses.clip_weights(net, c)
    assert torch.equal(net.weight, before)


@pytest.mark.parametrize("n", [0, 2.5, True])
def test_sample_counts_of_the_elbo_and_the_importance_estimate(n):
    model = VAE(hidden=(8,))
    x = torch.zeros(2, 1, 28, 28)
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        losses.elbo(model, x, n_samples=n)
    prior = model.prior().expand((2,))
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        losses.importance_log_evidence(lambda z: z.sum(-1), model.prior(), prior, n)


@pytest.mark.parametrize("name", sorted(losses.GAN_LOSSES))
def test_gan_losses_refuse_empty_batches(name):
    d_loss, g_loss = losses.gan_losses(name)
    empty, some = torch.zeros(0), torch.zeros(3)
    with pytest.raises(ValueError, match="empty"):
        d_loss(some, empty)
    with pytest.raises(ValueError, match="empty"):
        g_loss(empty)


def test_models_say_what_shape_and_settings_they_expect():
    from gencore.models.toy import MLPDiscriminator

    with pytest.raises(ValueError, match="pack"):
        MLPDiscriminator(pack=0)
    with pytest.raises(ValueError, match=r"z of shape \(N, 2\)"):
        VAE(hidden=(8,)).decode(torch.zeros(3, 5))
    with pytest.raises(ValueError, match=r"z of shape \(N, 2\)"):
        MLPGenerator(hidden=8, depth=1)(torch.zeros(3, 5))
    for sigma in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="sigma"):
            LinearGaussian(3, 2, sigma=sigma)
    with pytest.raises(TypeError, match="nn.Module"):
        with gencore.eval_mode("G"):
            pass


def test_toy_data_refuses_a_bool_count():
    import pytest as _pytest

    from gencore import data as _data

    with _pytest.raises(ValueError, match="positive integer"):
        _data.load("ring8", n=True)
