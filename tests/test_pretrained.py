"""Shipped weights: named parts, integrity checks, the manifest, recipes and retraining from the command line."""

import json

import pytest
import torch

from gencore import checkpoint, pretrained, recipes
from gencore.models import VAE


def _edit_manifest(weights_copy, change):
    m = json.loads((weights_copy / "manifest.json").read_text())
    change(m)
    (weights_copy / "manifest.json").write_text(json.dumps(m))


def test_every_manifest_entry_is_complete_and_matches_its_recipe():
    for name, e in pretrained.manifest().items():
        for key in ("recipe", "main", "parts", "config", "seed", "steps", "device", "wall_time_s", "metrics"):
            assert key in e, f"{name} lacks {key}"
        r = recipes.recipe(e["recipe"])
        assert e["main"] == r.main and e["config"] == r.config, name
        assert {p: (pe["arch"], pe["config"]) for p, pe in e["parts"].items()} == {
            p: (a, c) for p, (a, c) in r.parts(e["config"]).items()
        }
        for part, pe in e["parts"].items():
            assert pe["file"] == f"{name}.{part}.safetensors"
            assert (pretrained.WEIGHTS_DIR / pe["file"]).stat().st_size < 5 * 2**20
            assert checkpoint.metadata(pretrained.WEIGHTS_DIR / pe["file"])["part"] == part
        assert set(e.get("measured_with", {})) == set(r.measured_with)


def test_no_shipped_metric_was_measured_with_an_older_model():
    for name in pretrained.names():
        assert pretrained.stale_measurements(name) == [], (
            f"{name}'s metrics were measured with an older version of {pretrained.stale_measurements(name)}: "
            f"retrain it (`python -m gencore train {name} --replace`)"
        )


def test_load_returns_the_main_part_ready_to_sample():
    m = pretrained.load("vae-mnist", device="cpu")
    assert not m.training
    x = m.sample(8, seed=0)
    assert x.shape == (8, 1, 28, 28) and x.min() >= -1 and x.max() <= 1


def test_gans_ship_their_critic_as_a_part():
    parts = pretrained.load_parts("wgan-gp-mnist", device="cpu")
    assert list(parts) == ["generator", "critic"]
    critic = pretrained.load("wgan-gp-mnist", part="critic", device="cpu")
    assert not critic.training and critic(parts["generator"].sample(4, seed=0)).shape == (4,)
    assert pretrained.parts("dcgan-mnist") == ["generator", "discriminator"]
    with pytest.raises(KeyError, match="has no part 'critic'; its parts: vae"):
        pretrained.load("vae-mnist", part="critic")


@pytest.mark.parametrize("name", sorted(pretrained.manifest()))
def test_manifest_metrics_match_the_shipped_weights(name):
    e = pretrained.entry(name)
    now = recipes.recipe(e["recipe"]).evaluate(pretrained.load_parts(name, device="cpu"))
    for k, v in e["metrics"].items():
        assert now[k] == pytest.approx(v, abs=0.05 + 1e-3 * abs(v)), f"{name}: {k} is {now[k]}, manifest says {v}"


def test_unknown_name_lists_what_exists():
    with pytest.raises(KeyError, match="shipped models: .*vae-mnist"):
        pretrained.load("vae-cifar")


def test_missing_file_or_directory_says_how_to_restore(weights_copy):
    (weights_copy / "vae-mnist.vae.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="is missing.*git checkout gencore/weights"):
        pretrained.load("vae-mnist")
    (weights_copy / "vae-mnist.vae.safetensors").mkdir()
    with pytest.raises(FileNotFoundError, match="is a directory.*make weights"):
        pretrained.load("vae-mnist")


def test_corrupt_file_is_refused(weights_copy):
    f = weights_copy / "vae-mnist.vae.safetensors"
    f.write_bytes(f.read_bytes()[:1000])
    with pytest.raises(ValueError, match="corrupt.*make weights"):
        pretrained.load("vae-mnist")


def test_a_bit_flip_is_caught_even_without_a_checksum_in_the_manifest(weights_copy):
    f = weights_copy / "vae-mnist.vae.safetensors"
    raw = bytearray(f.read_bytes())
    raw[-10] ^= 1
    f.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="corrupt or was changed"):
        pretrained.load("vae-mnist")
    _edit_manifest(weights_copy, lambda m: m["vae-mnist"]["parts"]["vae"].pop("sha256"))
    with pytest.raises(ValueError, match="lacks parts.vae.sha256.*git checkout"):
        pretrained.load("vae-mnist")


def test_checksums_compare_in_any_case(weights_copy):
    _edit_manifest(
        weights_copy,
        lambda m: m["vae-mnist"]["parts"]["vae"].update(sha256=m["vae-mnist"]["parts"]["vae"]["sha256"].upper()),
    )
    assert pretrained.load("vae-mnist", device="cpu").latent_dim == 2


def test_another_models_file_of_the_same_shape_is_refused(weights_copy):
    # the DCGAN and WGAN-GP generators have the same architecture: swap the files and their checksums
    def swap(m):
        a, b = m["dcgan-mnist"]["parts"]["generator"], m["wgan-gp-mnist"]["parts"]["generator"]
        a["file"], b["file"], a["sha256"], b["sha256"] = b["file"], a["file"], b["sha256"], a["sha256"]

    _edit_manifest(weights_copy, swap)
    with pytest.raises(ValueError, match="holds another model.*name is 'wgan-gp-mnist', expected 'dcgan-mnist'"):
        pretrained.load("dcgan-mnist")


def test_a_missing_or_truncated_manifest_says_how_to_restore(weights_copy):
    text = (weights_copy / "manifest.json").read_text()
    (weights_copy / "manifest.json").write_text(text[: len(text) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt.*git checkout gencore/weights"):
        pretrained.load("vae-mnist")
    (weights_copy / "manifest.json").unlink()
    with pytest.raises(FileNotFoundError, match="manifest .* is missing.*make weights"):
        pretrained.names()


def test_an_entry_without_config_names_what_is_missing(weights_copy):
    _edit_manifest(weights_copy, lambda m: m["vae-mnist"]["parts"]["vae"].pop("config"))
    with pytest.raises(ValueError, match="lacks parts.vae.config"):
        pretrained.load("vae-mnist")


def test_record_is_atomic_and_keeps_other_entries(weights_copy):
    before = pretrained.manifest()
    pretrained.record("extra", {"recipe": "x"})
    after = pretrained.manifest()
    assert after["extra"] == {"recipe": "x"} and all(after[k] == v for k, v in before.items())
    assert not list(weights_copy.glob(".manifest.json.*"))  # no temporary file left behind


def test_checkpoint_round_trip_metadata_and_architecture_mismatch(tmp_path):
    a, b = VAE(latent_dim=2, hidden=(8,)), VAE(latent_dim=2, hidden=(8,))
    sha = checkpoint.save(a, tmp_path / "a.safetensors", {"name": "toy", "part": "vae"})
    checkpoint.load_into(b, tmp_path / "a.safetensors", expected_sha256=sha, expected_metadata={"name": "toy"})
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    assert checkpoint.tensors_sha256(a.state_dict()) == checkpoint.tensors_sha256(b.state_dict())
    with pytest.raises(ValueError, match="does not fit the model"):
        checkpoint.load_into(VAE(latent_dim=3, hidden=(8,)), tmp_path / "a.safetensors", expected_sha256=sha)
    with pytest.raises(ValueError, match="no sha256 given"):
        checkpoint.load_into(b, tmp_path / "a.safetensors", expected_sha256="")


def test_train_recipe_takes_overrides_by_setting_name():
    run = recipes.train_recipe("vae-mnist", steps=3, beta=0.5, progress=False)
    assert run.history.completed_steps == 3 and run.config["train"]["beta"] == 0.5
    assert run.main is run.parts["vae"] and not run.main.training
    run = recipes.train_recipe("dcgan-mnist", steps=2, width=8, eval_every=0, progress=False)
    assert run.parts["generator"].config.width == 8 and run.parts["discriminator"].config.width == 8
    with pytest.raises(KeyError, match="no setting 'wdith'.*width"):
        recipes.train_recipe("dcgan-mnist", wdith=8)
    with pytest.raises(ValueError, match="steps must be a non-negative integer"):
        recipes.train_recipe("vae-mnist", steps=-1)
    with pytest.raises(KeyError, match="recipes: .*vae-mnist"):
        recipes.recipe("nope")


def test_recipes_come_after_the_models_that_measure_them():
    order = recipes.names()
    for n in order:
        for dep in recipes.recipe(n).measured_with:
            assert order.index(dep) < order.index(n)


def test_training_from_the_command_line_leaves_the_shipped_weights_alone(tmp_path, capsys):
    from gencore.__main__ import main

    shipped = {p.name: p.read_bytes() for p in pretrained.WEIGHTS_DIR.iterdir() if p.is_file()}
    assert main(["train", "mnist-classifier", "--steps", "2", "--out", str(tmp_path)]) == 0
    (run_dir,) = tmp_path.iterdir()
    assert (run_dir / "mnist-classifier.classifier.safetensors").exists() and (run_dir / "entry.json").exists()
    assert "shipped weights are unchanged" in capsys.readouterr().out
    # replacing a shipped model with fewer steps than its recipe needs --force
    assert main(["train", "mnist-classifier", "--steps", "2", "--replace"]) == 2
    assert "refusing to replace" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in pretrained.WEIGHTS_DIR.iterdir() if p.is_file()} == shipped


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "nonexistent"],
        ["train", "vae-mnist", "--seed", "-1"],
        ["train", "vae-mnist", "--steps", "-1"],
        ["train", "vae-mnist", "--steps", "x"],
        ["bench", "nope"],
        ["bench", "--jobs", "0"],
    ],
)
def test_bad_command_lines_are_usage_errors(argv, capsys):
    from gencore.__main__ import main

    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2 and "error:" in capsys.readouterr().err


def _record_many(args):
    weights_dir, prefix = args
    from pathlib import Path

    from gencore import pretrained as p

    for i in range(15):
        p.record(f"{prefix}-{i}", {"recipe": prefix, "i": i}, weights_dir=Path(weights_dir))


def test_two_processes_writing_the_manifest_lose_no_entry(tmp_path):
    import multiprocessing

    (tmp_path / "manifest.json").write_text("{}")
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_record_many, [(str(tmp_path), "a"), (str(tmp_path), "b")])
    m = pretrained.manifest(tmp_path / "manifest.json")
    assert len(m) == 30


def _first_weight(model):
    return next(iter(model.parameters())).flatten()[:1].clone()


def test_cached_loads_each_shipped_model_once_per_version():
    clf = pretrained.cached("mnist-classifier")
    assert clf is pretrained.cached("mnist-classifier") and not clf.training
    assert str(next(clf.parameters()).device) == "cpu"
    first = pretrained.cached("mnist-classifier", _first_weight)
    assert first is pretrained.cached("mnist-classifier", _first_weight)
    assert torch.equal(first, _first_weight(clf))
