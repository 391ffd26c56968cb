"""IP-GAN in the conditional family: networks, phases, pairs and measures of ``book/conditional.ipynb``."""

from __future__ import annotations

import pytest
import torch

from gencore import models, pretrained
from gencore.models.conditional import (
    POSE,
    AttributeEncoder,
    IdentityGenerator,
    PrintedFactorJudge,
    Recognizer,
    pose_targets,
)
from gencore.recipes import ipgan_fonts as ip
from gencore.recipes import train_recipe
from gencore.recipes.conditional_fonts import task
from gencore.train.conditional import ipgan_phases

WEIGHTS = {"lambda": 0.1, "kl": 1.0, "centre_d": 0.01, "centre_c": 0.1}


def test_networks_shapes_and_build():
    a = models.build("attribute-encoder", {"latent_dim": 3, "width": 4})
    g = models.build("identity-generator", {"identity_dim": 8, "latent_dim": 3, "width": 4})
    j = models.build("printed-factor-judge", {"width": 4, "feature_dim": 8})
    x = torch.rand(5, 1, 28, 28) * 2 - 1
    mu, log_var = a(x)
    assert mu.shape == log_var.shape == (5, 3)
    out = g(torch.randn(5, 8), mu)
    assert out.shape == (5, 1, 28, 28) and float(out.detach().abs().max()) <= 1
    digit, weight, pose = j(x)
    assert digit.shape == (5, 10) and weight.shape == (5, 2) and pose.shape == (5, len(POSE))
    read = j.read(x)
    assert set(read) == {"digit", "weight", *POSE} and read["digit"].shape == (5,)


def test_networks_refuse_bad_inputs():
    g = IdentityGenerator(identity_dim=8, latent_dim=3, width=4)
    with pytest.raises(ValueError, match=r"identity features of shape \(N, 8\)"):
        g(torch.randn(2, 7), torch.randn(2, 3))
    with pytest.raises(ValueError, match=r"attribute codes z of shape \(2, 3\)"):
        g(torch.randn(2, 8), torch.randn(3, 3))
    with pytest.raises(ValueError, match=r"AttributeEncoder expects images of shape \(N, 1, 28, 28\)"):
        AttributeEncoder(latent_dim=3, width=4)(torch.zeros(2, 3, 28, 28))
    with pytest.raises(ValueError, match="PrintedFactorJudge expects images"):
        PrintedFactorJudge(width=4)(torch.zeros(2, 28, 28))


def test_pose_targets_are_standardized_on_real_data():
    d = task("heldout")
    t = pose_targets(d.info)
    assert t.shape == (2000, 4)
    assert t.mean(0).abs().max() < 0.1 and ((t.std(0) - 1).abs() < 0.1).all()


def _nets(k=3):
    torch.manual_seed(0)
    ident = Recognizer(classes=k, width=4, feature_dim=8)
    enc = AttributeEncoder(latent_dim=3, width=4)
    gen = IdentityGenerator(identity_dim=8, latent_dim=3, width=4)
    disc = models.build("feature-discriminator", {"classes": 0, "width": 4, "feature_dim": 8})
    return ident, enc, gen, disc


def test_ipgan_phases_step_d_and_ag_and_leave_the_identity_network_alone():
    ident, enc, gen, disc = _nets()
    opt_ag = torch.optim.Adam([*enc.parameters(), *gen.parameters()], lr=1e-3)
    opt_d = torch.optim.Adam(disc.parameters(), lr=1e-3)
    phases = ipgan_phases(ident, enc, gen, disc, opt_ag, opt_d, centres=torch.randn(3, 8), weights=WEIGHTS)
    assert [p.takes_batch for p in phases] == [True, False]
    x = torch.rand(8, 1, 28, 28) * 2 - 1
    c = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    batch = (x, c, x.flip(0), c.flip(0))
    before = {n: [p.detach().clone() for p in m.parameters()] for n, m in {"i": ident, "g": gen, "d": disc}.items()}
    out = phases[0].update(batch)
    d_after = [p.detach().clone() for p in disc.parameters()]
    out.update(phases[1].update(None))
    assert set(out) == {"d_loss", "rec", "kl", "centre_d", "centre_c"}
    assert all(torch.equal(a, b) for a, b in zip(before["i"], ident.parameters(), strict=True))
    assert any(not torch.equal(a, b) for a, b in zip(before["g"], gen.parameters(), strict=True))
    assert any(not torch.equal(a, b) for a, b in zip(before["d"], d_after, strict=True))
    assert all(torch.equal(a, b) for a, b in zip(d_after, disc.parameters(), strict=True))  # D frozen in A+G


def test_reconstruction_weight_is_lambda_for_pairs_of_different_identities():
    ident, enc, gen, disc = _nets()
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    c = torch.tensor([0, 1, 2, 0])
    zero = {"kl": 0.0, "centre_d": 0.0, "centre_c": 0.0}

    def rec(lam, c_s):
        torch.manual_seed(1)
        phases = ipgan_phases(
            ident,
            enc,
            gen,
            disc,
            torch.optim.SGD([*enc.parameters(), *gen.parameters()], lr=0.0),
            torch.optim.SGD(disc.parameters(), lr=0.0),
            centres=torch.zeros(3, 8),
            weights={"lambda": lam, **zero},
        )
        phases[0].update((x, c, x, c_s))
        return phases[1].update(None)["rec"]

    same, other = rec(0.25, c), rec(0.25, (c + 1) % 3)
    assert other == pytest.approx(0.25 * same, rel=1e-5)


def test_ipgan_phases_refuse_missing_weights_and_bad_centres():
    ident, enc, gen, disc = _nets()
    opt = torch.optim.Adam(gen.parameters())
    with pytest.raises(ValueError, match="missing \\['lambda'\\]"):
        ipgan_phases(
            ident, enc, gen, disc, opt, opt, centres=torch.zeros(3, 8), weights={"kl": 1, "centre_d": 1, "centre_c": 1}
        )
    with pytest.raises(ValueError, match="feature centres \\(8 wide\\)"):
        ipgan_phases(ident, enc, gen, disc, opt, opt, centres=torch.zeros(3, 5), weights=WEIGHTS)


def test_identities_hold_out_two_fonts_and_pairs_share_an_identity_as_asked():
    x, ident = ip.identity_task("train")
    assert len(x) == 6000 and torch.bincount(ident).tolist() == [1000] * 6
    batches = ip.pair_batches(x, ident, 200, seed=0, p_same=0.5)
    x_a, c_a, x_s, c_s = next(batches)
    assert x_a.shape == x_s.shape == (200, 1, 28, 28)
    share = float((c_a == c_s).float().mean())
    assert 0.45 < share < 0.75  # 0.5 + 0.5 / 6 expected
    same_only = next(ip.pair_batches(x, ident, 200, seed=0, p_same=1.0))
    assert torch.equal(same_only[1], same_only[3])
    with pytest.raises(ValueError, match="p_same must be a probability"):
        next(ip.pair_batches(x, ident, 8, seed=0, p_same=1.5))


@pytest.mark.parametrize("source", ip.SOURCES)
def test_mixing_pairs_differ_in_font_and_digit(source):
    d = task("heldout")
    s, a = ip.mixing_pairs(source, seed=3, n=200)
    pos = ip.font_position(d)
    fonts = ip.HELD_OUT if source == "held-out fonts" else ip.TRAIN_FONTS
    assert torch.isin(pos[s], torch.tensor(fonts)).all() and torch.isin(pos[a], torch.tensor(ip.TRAIN_FONTS)).all()
    assert (pos[s] != pos[a]).all() and (d.info["digit"][s] != d.info["digit"][a]).all()
    assert torch.equal(ip.mixing_pairs(source, seed=3, n=200)[0], s)


def test_mixing_refuses_unknown_sources_and_unpaired_images():
    with pytest.raises(ValueError, match="source must be one of"):
        ip.mixing_pairs("all fonts", 0)
    parts = dict(zip(("identity", "attributes", "generator"), _nets()[:3], strict=True))
    with pytest.raises(ValueError, match="as many identity images as attribute images"):
        ip.mix(parts, torch.zeros(3, 1, 28, 28), torch.zeros(2, 1, 28, 28))
    assert ip.mix(parts, torch.zeros(3, 1, 28, 28), torch.zeros(3, 1, 28, 28), seed=0).shape == (3, 1, 28, 28)


def test_factor_agreement_of_a_perfect_reading_is_one():
    d = task("heldout")
    f = {k: d.info[k][:100] for k in ("digit", "weight", "height", "rotation", "shift")}
    read = {"digit": f["digit"], "weight": f["weight"], "height": f["height"], "rotation": f["rotation"]}
    read |= {"shift_x": f["shift"][:, 0], "shift_y": f["shift"][:, 1]}
    out = ip.factor_agreement(read, f)
    assert all(v == pytest.approx(1.0, abs=1e-5) for v in out.values())


def test_recipes_train_a_few_steps():
    run = train_recipe("ipgan-fonts", identity_steps=3, steps=3, batch_size=16, progress=False)
    assert run.history.completed_steps == 3 and set(run.parts) == {
        "identity",
        "attributes",
        "generator",
        "discriminator",
    }
    assert run.history.evals["cpu_time_s"][0][0] == 3
    judge = train_recipe("font-factor-judge", steps=2, batch_size=16, progress=False)
    assert judge.history.completed_steps == 2


def test_copy_baselines_read_from_the_real_images_match_reading_the_copies():
    from gencore import pretrained

    parts = pretrained.load_parts("ipgan-fonts")
    scores = ip.mixing_scores(parts, "held-out fonts", seed=2)
    s, a = ip.mixing_pairs("held-out fonts", seed=2)
    d = task("heldout")
    assert scores["copy x^a"] == pytest.approx(ip.transfer_scores(d.x[a], s, a))
    assert scores["copy x^s"]["font_of_s"] > 0.9 and scores["copy x^s"]["digit"] == 0.0


def test_the_ipgan_benchmark_reads_the_shipped_model_for_each_seed():
    from gencore import bench
    from gencore.bench import conditional

    assert "ipgan" in bench.BENCHMARKS
    out = conditional.ipgan(seeds=(0,))
    assert out["steps"] == pretrained.entry("ipgan-fonts")["steps"] and out["train_cpu_s"] > 0
    for source in ("held-out fonts", "training fonts"):
        assert set(out[source]) == {"IP-GAN", "copy x^s", "copy x^a"}
        assert out[source]["copy x^s"]["font_of_s"][0] > 0.9 > out[source]["copy x^a"]["font_of_s"][0]
    shipped = pretrained.entry("ipgan-fonts")["metrics"]
    assert out["held-out fonts"]["IP-GAN"]["font_of_s"][0] == pytest.approx(shipped["heldout_font_of_s"], abs=0.01)
