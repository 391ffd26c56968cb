import json
import shutil

import pytest
import torch

from gencore import checkpoint, pretrained, recipes
from gencore.models import VAE


@pytest.fixture
def weights_copy(tmp_path, monkeypatch):
    """A private copy of gencore/weights so tests can break files safely."""
    shutil.copytree(pretrained.WEIGHTS_DIR, tmp_path / "weights")
    monkeypatch.setattr(pretrained, "WEIGHTS_DIR", tmp_path / "weights")
    monkeypatch.setattr(pretrained, "MANIFEST", tmp_path / "weights" / "manifest.json")
    return tmp_path / "weights"


def test_every_manifest_entry_is_complete():
    for name, e in pretrained.manifest().items():
        for key in ("file", "recipe", "config", "seed", "steps", "device", "wall_time_s", "metrics", "sha256"):
            assert key in e, f"{name} lacks {key}"
        assert (pretrained.WEIGHTS_DIR / e["file"]).stat().st_size < 5 * 2**20


def test_load_returns_a_ready_model_that_samples():
    m = pretrained.load("vae-mnist", device="cpu")
    assert not m.training
    x = m.sample(8, seed=0)
    assert x.shape == (8, 1, 28, 28) and x.min() >= -1 and x.max() <= 1


@pytest.mark.parametrize("name", sorted(pretrained.manifest()))
def test_manifest_metrics_match_the_shipped_weights(name):
    e = pretrained.entry(name)
    now = recipes.recipe(e["recipe"]).evaluate(pretrained.load(name, device="cpu"))
    for k, v in e["metrics"].items():
        assert now[k] == pytest.approx(v, abs=0.05 + 1e-3 * abs(v)), f"{name}: {k} is {now[k]}, manifest says {v}"


def test_unknown_name_lists_what_exists():
    with pytest.raises(KeyError, match="shipped models: .*vae-mnist"):
        pretrained.load("vae-cifar")


def test_missing_file_says_how_to_rebuild(weights_copy):
    (weights_copy / "vae-mnist.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="make weights"):
        pretrained.load("vae-mnist")


def test_corrupt_file_says_how_to_rebuild(weights_copy):
    f = weights_copy / "vae-mnist.safetensors"
    f.write_bytes(f.read_bytes()[:1000])
    with pytest.raises(ValueError, match="corrupt.*make weights"):
        pretrained.load("vae-mnist")
    # without a checksum in the manifest, the safetensors reader catches it
    m = json.loads((weights_copy / "manifest.json").read_text())
    del m["vae-mnist"]["sha256"]
    (weights_copy / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ValueError, match="cannot be read as safetensors.*make weights"):
        pretrained.load("vae-mnist")


def test_checkpoint_round_trip_and_architecture_mismatch(tmp_path):
    a, b = VAE(latent_dim=2, hidden=(8,)), VAE(latent_dim=2, hidden=(8,))
    checkpoint.save(a, tmp_path / "a.safetensors", {"note": "test"})
    checkpoint.load_into(b, tmp_path / "a.safetensors")
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    with pytest.raises(ValueError, match="does not fit the model"):
        checkpoint.load_into(VAE(latent_dim=3, hidden=(8,)), tmp_path / "a.safetensors")


def test_train_recipe_runs_a_few_steps():
    model, history, config = recipes.train_recipe("vae-mnist", steps=3, progress=False)
    assert history.completed_steps == 3 and config["steps"] == 3
    with pytest.raises(KeyError, match="recipes: .*vae-mnist"):
        recipes.recipe("nope")


def test_gans_ship_their_critic():
    critic = pretrained.load_critic("wgan-gp-mnist", device="cpu")
    g = pretrained.load("wgan-gp-mnist", device="cpu")
    assert not critic.training and critic(g.sample(4, seed=0)).shape == (4,)
    with pytest.raises(KeyError, match="ships no discriminator/critic; models that do: .*dcgan-mnist"):
        pretrained.load_critic("vae-mnist")
