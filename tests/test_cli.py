"""The command line never loses a trained run: bad --out first, interrupted and failed runs kept, atomic --replace."""

import dataclasses
import json

import pytest
import torch

from gencore import checkpoint, pretrained, recipes
from gencore.__main__ import _new_run_dir, main
from gencore.recipes import base

NAME = "mnist-classifier"


def _patch_fit(monkeypatch, stop_at=None, fail_at=None):
    r = recipes.recipe(NAME)

    def stop(step):
        if step == stop_at:
            raise KeyboardInterrupt
        if step == fail_at:
            raise RuntimeError("CUDA error: device lost")
        return False

    def fit(parts, config, progress=None, **options):
        return r.fit(parts, config, progress, stop=stop, **options)

    monkeypatch.setitem(base._RECIPES, NAME, dataclasses.replace(r, fit=fit))


@pytest.mark.parametrize("how", ["file", "under a file"])
def test_a_bad_out_is_refused_before_training(tmp_path, capsys, monkeypatch, how):
    (tmp_path / "f").write_text("x")
    out = tmp_path / "f" if how == "file" else tmp_path / "f" / "runs"
    monkeypatch.setattr(recipes, "train_recipe", lambda *a, **k: pytest.fail("trained before checking --out"))
    assert main(["train", NAME, "--steps", "2", "--out", str(out)]) == 2
    assert "--out" in capsys.readouterr().err


def test_ctrl_c_writes_the_run_marked_interrupted(tmp_path, capsys, monkeypatch):
    _patch_fit(monkeypatch, stop_at=3)
    assert main(["train", NAME, "--steps", "50", "--out", str(tmp_path)]) == 130
    (run_dir,) = tmp_path.iterdir()
    entry = json.loads((run_dir / "entry.json").read_text())
    assert entry["status"] == "interrupted" and entry["steps"] == 3
    assert (run_dir / f"{NAME}.classifier.safetensors").exists()
    assert "interrupted at step 3 of 50" in capsys.readouterr().err


def test_a_failing_phase_writes_the_run_marked_failed(tmp_path, capsys, monkeypatch):
    _patch_fit(monkeypatch, fail_at=2)
    assert main(["train", NAME, "--steps", "50", "--out", str(tmp_path)]) == 1
    (run_dir,) = tmp_path.iterdir()
    entry = json.loads((run_dir / "entry.json").read_text())
    assert entry["status"] == "failed" and entry["steps"] == 2 and "device lost" in entry["error"]
    assert "failed at step 2" in capsys.readouterr().err


def test_a_failing_evaluation_keeps_the_trained_run(tmp_path, monkeypatch):
    r = recipes.recipe(NAME)

    def evaluate(parts):
        raise RuntimeError("classifier missing")

    monkeypatch.setitem(base._RECIPES, NAME, dataclasses.replace(r, evaluate=evaluate))
    assert main(["train", NAME, "--steps", "2", "--out", str(tmp_path)]) == 1
    (run_dir,) = tmp_path.iterdir()
    entry = json.loads((run_dir / "entry.json").read_text())
    assert entry["status"] == "failed" and entry["steps"] == 2 and "classifier missing" in entry["error"]


def test_an_interrupted_replace_never_touches_the_shipped_weights(tmp_path, monkeypatch):
    _patch_fit(monkeypatch, stop_at=2)
    shipped = {p.name: p.read_bytes() for p in pretrained.WEIGHTS_DIR.iterdir() if p.is_file()}
    assert main(["train", NAME, "--steps", "3", "--replace", "--force", "--out", str(tmp_path)]) == 130
    assert {p.name: p.read_bytes() for p in pretrained.WEIGHTS_DIR.iterdir() if p.is_file()} == shipped
    (run_dir,) = tmp_path.iterdir()
    assert json.loads((run_dir / "entry.json").read_text())["status"] == "interrupted"


def test_run_folders_never_collide(tmp_path):
    dirs = {_new_run_dir(tmp_path, NAME) for _ in range(3)}
    assert len(dirs) == 3 and all(d.is_dir() for d in dirs)


@pytest.mark.parametrize("fail", ["manifest", "second file"])
def test_replace_is_atomic_across_part_files_and_manifest(tmp_path, monkeypatch, fail):
    parts = {"a": torch.nn.Linear(2, 2), "b": torch.nn.Linear(2, 2)}
    pretrained.replace("m", parts, lambda files: {"parts": files}, weights_dir=tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file() and not p.name.endswith(".lock")}
    new = {"a": torch.nn.Linear(2, 2), "b": torch.nn.Linear(2, 2)}
    if fail == "manifest":
        monkeypatch.setattr(checkpoint, "atomic_write", _raising(checkpoint.atomic_write, "manifest.json"))
    else:
        monkeypatch.setattr(checkpoint, "save", _raising(checkpoint.save, ".m.b."))
    with pytest.raises(KeyboardInterrupt):
        pretrained.replace("m", new, lambda files: {"parts": files}, weights_dir=tmp_path)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file() and not p.name.endswith(".lock")}
    assert after == before


def _raising(fn, marker):
    def wrapped(*args, **kwargs):
        if marker in str(args[1] if fn.__name__ == "save" else args[0]):
            raise KeyboardInterrupt
        return fn(*args, **kwargs)

    return wrapped


def test_steps_zero_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", NAME, "--steps", "0"])
    assert info.value.code == 2 and "use 1 or more" in capsys.readouterr().err


def test_bench_with_an_unknown_chapter_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["bench", "--chapters", "vea", "--no-chapters"])
    assert info.value.code == 2 and "unknown chapter vea" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", NAME, "--seed", str(2**64)], "seeds go from 0"),
        (["bench", "cpu-budget", "--budget", "inf", "--no-chapters"], "positive, finite"),
        (["bench", "cpu-budget", "--budget", "nan", "--no-chapters"], "positive, finite"),
    ],
)
def test_out_of_range_numbers_are_usage_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2 and message in capsys.readouterr().err


def test_bench_checks_its_out_before_running(tmp_path, capsys, monkeypatch):
    from gencore import bench

    (tmp_path / "f").write_text("x")
    monkeypatch.setattr(bench, "main", lambda *a, **k: pytest.fail("ran before checking --out"))
    assert main(["bench", "cpu-budget", "--no-chapters", "--out", str(tmp_path / "f" / "bench.json")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert main(["bench", "cpu-budget", "--no-chapters", "--out", str(tmp_path)]) == 2


_SIGINT_CHILD = """
import dataclasses, pathlib, sys
from gencore import recipes
from gencore.__main__ import main
from gencore.recipes import base

r = recipes.recipe("mnist-classifier")
flag = pathlib.Path(sys.argv[1])

def fit(parts, config, progress=None, **options):
    return r.fit(parts, config, progress, stop=lambda step: flag.touch() if step == 2 else False, **options)

base._RECIPES[r.name] = dataclasses.replace(r, fit=fit)
sys.exit(main(["train", "mnist-classifier", "--steps", "100000", "--out", sys.argv[2]]))
"""


def test_a_real_ctrl_c_writes_the_run(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    flag, out = tmp_path / "started", tmp_path / "runs"
    child = subprocess.Popen(
        [sys.executable, "-c", _SIGINT_CHILD, str(flag), str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "GENCORE_PROGRESS": "0"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # a background shell ignores it
    )
    deadline = time.monotonic() + 120
    while not flag.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    (run_dir,) = out.iterdir()
    entry = json.loads((run_dir / "entry.json").read_text())
    assert entry["status"] == "interrupted" and entry["steps"] >= 2
    assert (run_dir / f"{NAME}.classifier.safetensors").exists() and "interrupted at step" in err


def test_ctrl_c_in_the_evaluation_keeps_the_trained_run(tmp_path, capsys, monkeypatch):
    r = recipes.recipe(NAME)

    def evaluate(parts):
        raise KeyboardInterrupt

    monkeypatch.setitem(base._RECIPES, NAME, dataclasses.replace(r, evaluate=evaluate))
    assert main(["train", NAME, "--steps", "2", "--out", str(tmp_path)]) == 130
    (run_dir,) = tmp_path.iterdir()
    entry = json.loads((run_dir / "entry.json").read_text())
    assert entry["status"] == "interrupted" and entry["steps"] == 2 and "evaluation" in entry["error"]
    assert "(in the evaluation" in capsys.readouterr().err
