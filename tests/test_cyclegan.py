"""CycleGAN pieces: printed digits, networks, losses, the training phase, the recipe and the metrics."""

import pytest
import torch

from gencore import data, losses, metrics, models, recipes
from gencore.models.cyclegan import PatchDiscriminator
from gencore.train import ImagePool, LinearDecay, train
from gencore.train.cyclegan import cycle_loss, cyclegan_phases, identity_loss


@pytest.fixture(scope="module")
def printed():
    return data.load("printed-digits", split="heldout", n=200)


def test_printed_digits_are_seeded_and_shaped_like_mnist(printed):
    again = data.load("printed-digits", split="heldout", n=200)
    assert torch.equal(printed.x, again.x) and torch.equal(printed.y, again.y)
    other = data.load("printed-digits", split="heldout", n=200, seed=1)
    assert not torch.equal(printed.x, other.x)
    assert printed.x.shape == (200, 1, 28, 28) and printed.x.dtype == torch.float32
    assert printed.x.min() >= -1 and printed.x.max() <= 1
    # a dark background with a light digit, as MNIST: corners are background
    assert (printed.x[:, 0, :3, :3] == -1).float().mean() > 0.99
    assert torch.equal(torch.bincount(printed.y, minlength=10), torch.full((10,), 20))
    assert len(data.load("printed-digits").x) == 4000


def test_printed_splits_differ_and_all_is_both():
    train = data.load("printed-digits", split="train", n=50)
    held = data.load("printed-digits", split="heldout", n=50)
    assert not torch.equal(train.x, held.x)
    both = data.load("printed-digits", split="all", n=50)
    assert torch.equal(both.x, torch.cat([train.x, held.x]))
    with pytest.raises(ValueError, match="unknown split"):
        data.load("printed-digits", split="test")


def test_the_two_domains_differ_but_share_a_format(printed):
    mnist = data.load("mnist5k", split="heldout")
    assert mnist.x.shape[1:] == printed.x.shape[1:]
    # the average images differ (0.078 per pixel when written): the domains are not one distribution
    mean_a, mean_b = mnist.x.mean(0), printed.x.mean(0)
    assert (mean_a - mean_b).abs().mean() > 0.04
    fonts = printed.info["font"]
    assert len(set(fonts.tolist())) > 8  # many fonts drawn


def test_generator_and_patch_discriminator_shapes():
    g = models.build("cyclegan-generator", {"width": 8, "blocks": 2})
    d = models.build("patchgan-discriminator", {"width": 8})
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    y = g(x)
    assert y.shape == x.shape and y.abs().max() <= 1
    assert d(y).shape == (3, 1, 7, 7)
    with pytest.raises(ValueError, match="28, 28"):
        g(torch.zeros(2, 1, 32, 32))
    snaps = models.build("cyclegan-snapshots", {"snapshots": 4, "panel": 3})
    assert snaps.frames.dtype == torch.uint8 and snaps.images(0).shape == (2, 3, 1, 28, 28)


def test_cycle_identity_and_lsgan_losses_by_hand():
    real = torch.tensor([[[[0.0, 1.0], [-1.0, 0.5]]]])
    rec = torch.tensor([[[[0.5, 1.0], [0.0, 0.5]]]])
    assert cycle_loss(real, rec).item() == pytest.approx((0.5 + 0 + 1 + 0) / 4)
    assert identity_loss(real, rec).item() == pytest.approx(0.375)
    scores = torch.tensor([0.0, 1.0, 3.0])
    # CycleGAN's generator loss is the official code's MSE: the LSGAN loss without its ½
    assert losses.g_loss_least_squares(scores, scale=1.0).item() == pytest.approx((1 + 0 + 4) / 3)
    assert losses.g_loss_least_squares(scores).item() == pytest.approx((1 + 0 + 4) / 6)
    # the discriminator's side is the LSGAN loss already in losses: ½E[(D(real) − 1)²] + ½E[D(fake)²]
    assert losses.d_loss_least_squares(torch.tensor([1.0, 0.0]), torch.tensor([2.0])).item() == pytest.approx(
        0.5 * 0.5 + 0.5 * 4
    )
    with pytest.raises(ValueError, match="same shape"):
        cycle_loss(real, rec[..., :1])


def _tiny(seed=0):
    torch.manual_seed(seed)
    nets = [models.build("cyclegan-generator", {"width": 4, "blocks": 1}) for _ in range(2)]
    nets += [models.build("patchgan-discriminator", {"width": 4}) for _ in range(2)]
    opt_g = torch.optim.Adam([*nets[0].parameters(), *nets[1].parameters()], lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam([*nets[2].parameters(), *nets[3].parameters()], lr=2e-4, betas=(0.5, 0.999))
    return nets, opt_g, opt_d


def test_cyclegan_phases_use_the_pools_and_the_decay():
    nets, opt_g, opt_d = _tiny()
    pools = (ImagePool(6, generator=torch.Generator().manual_seed(0)), ImagePool(6))
    phases = cyclegan_phases(*nets, opt_g, opt_d, pools=pools)
    assert [p.takes_batch for p in phases] == [True, False]
    batches = iter([(torch.rand(4, 1, 28, 28) * 2 - 1, torch.rand(4, 1, 28, 28) * 2 - 1)] * 10)
    decay = LinearDecay([opt_g, opt_d], total_steps=4, decay_from=0.5)
    h = train(phases, batches, 4, hooks=[decay], progress=False)
    assert {"g_adv", "cycle", "identity", "d_a", "d_b"} <= set(h.losses)
    assert len(pools[0]) == 6 and len(pools[1]) == 6  # 4 steps x 4 fakes, capped at the pool size
    assert h.losses["lr_scale"] == [1.0, 1.0, 0.5, 0.0]  # constant for half the steps, then to 0
    assert opt_g.param_groups[0]["lr"] == 0.0


def test_no_cycle_means_no_identity_term_either():
    nets, opt_g, opt_d = _tiny()
    phases = cyclegan_phases(*nets, opt_g, opt_d, cycle=0.0)
    out = phases[0].update((torch.zeros(2, 1, 28, 28), torch.zeros(2, 1, 28, 28)))
    assert "identity" not in out and "cycle" in out


def test_recipe_overrides_and_parts():
    r = recipes.recipe("cyclegan-digits")
    # the paper's optimizer and pool; a lower λ and identity weight and a discriminator that sees the whole digit
    # (the settings that translated furthest in a short search; book/cyclegan.ipynb)
    assert r.config["train"]["cycle"] == 2.0 and r.config["train"]["identity"] == 0.1
    assert r.config["model"]["d_width"] == 32 and r.config["model"]["d_extra"] == 1
    assert r.config["optim"] == {"lr": 2e-4, "betas": [0.5, 0.999]} and r.config["train"]["pool"] == 50
    assert recipes.recipe("cyclegan-digits-no-cycle").config["train"]["cycle"] == 0.0
    assert recipes.recipe("cyclegan-digits-no-identity").config["train"]["identity"] == 0.0
    parts = r.build()
    assert set(parts) == {"G_AB", "G_BA", "D_A", "D_B", "snapshots"}
    size = sum(p.numel() * 4 for k in ("G_AB", "G_BA") for p in parts[k].parameters())
    assert size < 10 * 2**20
    run = recipes.train_recipe("cyclegan-digits", steps=3, cycle=5.0, width=4, blocks=1, d_width=4, batch_size=4)
    assert run.config["train"]["cycle"] == 5.0 and run.history.completed_steps == 3
    snaps = run.parts["snapshots"]
    assert snaps.steps[-1].item() == 3 and snaps.frames[-1].float().std() > 0


def test_label_preservation_of_the_identity_map_is_the_classifier_accuracy(printed):
    class Always(torch.nn.Module):
        def __init__(self, digit):
            super().__init__()
            self.digit, self.w = digit, torch.nn.Parameter(torch.zeros(()))

        def forward(self, x):
            return torch.nn.functional.one_hot(torch.full((len(x),), self.digit), 10).float() + self.w

    ident = torch.nn.Conv2d(1, 1, 1, bias=False)
    torch.nn.init.ones_(ident.weight)
    # a classifier that always says 3 is right on exactly the 3s, translated or not
    assert metrics.label_preservation(ident, printed.x, printed.y, Always(3)) == pytest.approx(0.1)
    assert metrics.accuracy(metrics.predict(Always(3), printed.x), printed.y) == pytest.approx(0.1)
    assert metrics.cycle_error(ident, ident, printed.x) == pytest.approx(0.0, abs=1e-6)
    c = metrics.confusion(metrics.predict(Always(3), metrics.translate(ident, printed.x)), printed.y)
    assert c[:, 3].sum() == 200 and c[3, 3] == 20


def test_the_benchmark_is_registered_and_names_the_recipes():
    from gencore import bench
    from gencore.bench import cyclegan

    assert "cyclegan" in bench.BENCHMARKS
    for name in cyclegan.VARIANTS.values():
        assert recipes.recipe(name).measured_with == ("digit-classifier",)


def test_the_frontier_bench_trains_each_setting_and_writes_as_it_goes(tmp_path):
    import json

    from gencore.bench import cyclegan

    tiny = {"short": {"steps": 2, "width": 4, "d_width": 4}, "shorter, no identity": {"steps": 1, "identity": 0.0}}
    out = cyclegan.cyclegan_frontier(out_dir=str(tmp_path), settings=tiny)
    assert not out["shipped"] and list(out["runs"]) == list(tiny)
    row = out["runs"]["short"]
    assert row["changes"] == tiny["short"] and row["steps"] == 2 and row["cpu_s"] > 0
    for key in ("looks_printed_ab", "digit_kept_ab", "looks_handwritten_ba", "digit_kept_ba"):
        assert 0 <= row[key] <= 1
    assert out["runs"]["shorter, no identity"]["steps"] == 1
    assert json.loads((tmp_path / "cyclegan_frontier_results.json").read_text())["runs"] == out["runs"]


def test_the_frontier_bench_updates_some_settings_and_keeps_the_others(tmp_path, monkeypatch):
    import json

    from gencore.bench import cyclegan

    shipped = tmp_path / "shipped.json"
    kept_row = {"changes": {"steps": 1200}, "steps": 1200, "cpu_s": 1.0}
    old = {"runs": {"1,200 steps": kept_row, "a setting no longer named": kept_row}}
    shipped.write_text(json.dumps(old))
    monkeypatch.setattr(cyclegan, "FRONTIER", shipped)
    tiny = {"short": {"steps": 1, "width": 4, "d_width": 4}}
    out = cyclegan.cyclegan_frontier(out_dir=str(tmp_path), settings=tiny, update=True)
    # the run still named by FRONTIER_SETTINGS is kept as it was, the other dropped, the new one added
    assert list(out["runs"]) == ["1,200 steps", "short"] and out["runs"]["1,200 steps"] == kept_row
    assert json.loads(shipped.read_text()) == old  # not shipped: the chapter's file is untouched


def test_the_shipped_frontier_names_its_settings():
    import json

    from gencore.bench import cyclegan

    runs = json.loads(cyclegan.FRONTIER.read_text())["runs"]
    assert set(runs) <= set(cyclegan.FRONTIER_SETTINGS)
    for label, row in runs.items():
        assert row["changes"] == cyclegan.FRONTIER_SETTINGS[label]


def test_identity_translation_scores_the_shipped_classifiers_accuracy(printed):
    from gencore import pretrained

    clf = pretrained.load("digit-classifier", device="cpu")
    ident = torch.nn.Conv2d(1, 1, 1, bias=False)
    torch.nn.init.ones_(ident.weight)
    accuracy = (clf(printed.x).argmax(1) == printed.y).float().mean().item()
    assert metrics.label_preservation(ident, printed.x, printed.y, clf) == pytest.approx(accuracy)
    assert accuracy > 0.95  # the classifier reads printed digits


def test_patch_discriminator_extra_layers():
    plain = models.build("patchgan-discriminator", {"width": 4})
    d = models.build("patchgan-discriminator", {"width": 4, "extra": 2})
    assert d(torch.zeros(2, 1, 28, 28)).shape == (2, 1, 7, 7)
    convs = [m for m in d.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 4 + 2 and len(convs) - 2 == sum(isinstance(m, torch.nn.Conv2d) for m in plain.modules())
    with pytest.raises(ValueError, match="'extra' = -1 is not allowed"):
        models.build("patchgan-discriminator", {"width": 4, "extra": -1})
    with pytest.raises(ValueError, match="extra must be"):
        PatchDiscriminator(4, extra=-1)


def test_grey_and_colour_digits_are_disjoint_seeded_halves_of_mnist5k():
    from gencore.data.colour_digits import _half_indices

    for split, n in (("train", 2000), ("heldout", 500)):
        grey, colour = data.load("mnist-grey", split=split), data.load("mnist-colour", split=split)
        assert grey.x.shape == colour.x.shape == (n, 3, 28, 28)
        assert torch.equal(torch.bincount(grey.y), torch.full((10,), n // 10))
        assert torch.equal(torch.bincount(colour.y), torch.full((10,), n // 10))
        assert grey.x.min() >= -1 and grey.x.max() <= 1 and colour.x.min() >= -1 and colour.x.max() <= 1
        # grey: MNIST's image in all three channels; colour: the channels differ
        assert torch.equal(grey.x[:, 0], grey.x[:, 2]) and not torch.equal(colour.x[:, 0], colour.x[:, 2])
        y = data.load("mnist5k", split=split).y
        a, b = _half_indices(y, "grey"), _half_indices(y, "colour")
        assert len(set(a.tolist()) & set(b.tolist())) == 0 and len(a) + len(b) == len(y)
    again = data.load("mnist-colour", split="heldout")
    assert torch.equal(again.x, colour.x)  # seeded: the same colours every load
    with pytest.raises(ValueError, match="unknown split"):
        data.load("mnist-colour", split="test")


def test_colourize_keeps_the_digit_visible_and_rejects_bad_input():
    from gencore.data.colour_digits import colourize, load_colour_pair

    x = data.load("mnist5k", split="heldout").x[:50]
    out = colourize(x, torch.Generator().manual_seed(0))
    stroke, background = x[:, 0] > 0.9, x[:, 0] < -0.9
    for i in range(len(x)):  # the ink differs from the background's mean by half the range in each channel
        gap = (out[i][:, stroke[i]].mean(1) - out[i][:, background[i]].mean(1)).abs()
        assert gap.min() > 0.3
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        colourize(torch.zeros(2, 3, 28, 28), torch.Generator())
    with pytest.raises(ValueError, match="unknown domain"):
        load_colour_pair("blue")


def test_networks_take_three_channels_and_reject_bad_channels():
    g = models.build("cyclegan-generator", {"width": 4, "blocks": 1, "channels": 3})
    d = models.build("patchgan-discriminator", {"width": 4, "channels": 3})
    x = torch.rand(2, 3, 28, 28) * 2 - 1
    assert g(x).shape == x.shape and d(x).shape == (2, 1, 7, 7)
    with pytest.raises(ValueError, match=r"\(N, 3, 28, 28\)"):
        g(torch.zeros(2, 1, 28, 28))
    with pytest.raises(ValueError, match="channels"):
        models.build("cyclegan-generator", {"channels": 0})
    snaps = models.build("cyclegan-snapshots", {"snapshots": 2, "panel": 3, "channels": 3})
    assert snaps.images(1).shape == (2, 3, 3, 28, 28)
    clf = models.build("mnist-classifier", {"width": 4, "channels": 3, "classes": 2})
    assert clf(x).shape == (2, 2)
    with pytest.raises(ValueError, match="classes"):
        models.build("mnist-classifier", {"classes": 0})


def test_edge_shift_repeats_the_border():
    from gencore.data.augment import random_shift

    x = torch.full((4, 3, 28, 28), 0.5)
    assert torch.equal(random_shift(x, edge=True), x)  # a flat image stays flat, no black border


def test_colour_pair_judges_read_real_images_and_reject_untranslated_ones():
    from gencore.recipes import cyclegan_colour as cc

    grey, colour = (data.load(name, split="heldout") for name in cc.DOMAINS)
    assert cc.judged(colour.x, colour.y, "colour") == {
        "looks_target": pytest.approx(1.0, abs=0.02),
        "digit_kept": pytest.approx(0.95, abs=0.04),
    }
    untranslated = cc.judged(grey.x, grey.y, "colour")
    assert untranslated["looks_target"] < 0.05
    inverted = cc.judged(-grey.x, grey.y, "colour")  # black on white is not colour
    assert inverted["looks_target"] < 0.05
    with pytest.raises(ValueError, match="unknown target domain"):
        cc.judged(grey.x, grey.y, "printed")
    with pytest.raises(ValueError, match="unknown judge"):
        cc.judge_data("size", "train")
