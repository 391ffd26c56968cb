import math

import pytest
import torch

import gencore
from gencore import checkpoint
from gencore.train import History, Phase, TrainingDiverged, train


def _linear_problem():
    gencore.seed(0)
    model = torch.nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def update(batch):
        x = batch
        loss = (model(x) - 3 * x).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return {"loss": loss.item()}

    def batches():
        while True:
            yield torch.randn(16, 1)

    return model, Phase("fit", update), batches()


def test_loop_records_history_snapshots_evals_and_checkpoints(tmp_path):
    model, phase, batches = _linear_problem()
    saved = []
    h = train(
        [phase],
        batches,
        50,
        progress=False,
        evaluate=lambda: {"w": model.weight.item()},
        eval_every=20,
        snapshot=lambda: model.weight.item(),
        snapshot_every=25,
        checkpoint=lambda step: saved.append(checkpoint.save(model, tmp_path / f"s{step}.safetensors")),
        checkpoint_every=25,
    )
    assert h.completed_steps == 50 and len(h.losses["loss"]) == 50 and h.steps[-1] == 50
    assert [s for s, _ in h.snapshots] == [0, 25, 50]
    assert [s for s, _ in h.evals["w"]] == [20, 40, 50]
    assert abs(model.weight.item() - 3) < 0.05 and h.last("loss", 5) < 1e-2
    assert len(saved) == 2 and (tmp_path / "s50.safetensors").exists()
    h2 = train([phase], batches, 10, progress=False, history=h)  # continue a run
    assert h2 is h and h.completed_steps == 60


def test_n_critic_repeats_a_phase():
    calls = {"c": 0, "g": 0}
    phases = [
        Phase("c", lambda b: calls.__setitem__("c", calls["c"] + 1) or {}, repeat=5),
        Phase("g", lambda b: calls.__setitem__("g", calls["g"] + 1) or {}),
    ]
    train(phases, iter(range(10**6)), 7, progress=False)
    assert calls == {"c": 35, "g": 7}


def test_nan_loss_stops_with_a_clear_message_and_keeps_history():
    step = {"n": 0}

    def update(_):
        step["n"] += 1
        return {"loss": 1.0 if step["n"] < 4 else math.nan}

    with pytest.raises(TrainingDiverged, match="loss 'loss' of phase 'p' became nan at step 4") as err:
        train([Phase("p", update)], iter(range(100)), 10, progress=False)
    assert err.value.history.completed_steps == 3 and len(err.value.history.losses["loss"]) == 3


def test_ctrl_c_keeps_model_and_history(capsys):
    model, phase, batches = _linear_problem()

    def update(b):
        if len(h.steps) == 12:
            raise KeyboardInterrupt
        return phase.update(b)

    h = History()
    out = train([Phase("fit", update)], batches, 100, progress=False, history=h)
    assert out.interrupted and out.completed_steps == 12 and len(out.losses["loss"]) == 12
    assert model.weight.grad is not None  # the model object is the one that was trained
    assert "Interrupted at step 12 of 100" in capsys.readouterr().out


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least one Phase"):
        train([], iter([]), 1)
    with pytest.raises(KeyError, match="no values logged"):
        History().last("loss")


def test_stop_ends_a_run_cleanly_with_the_end_of_run_evaluation_and_snapshot():
    model, phase, batches = _linear_problem()
    seen = []

    def stop(step):
        seen.append(step)
        return step >= 13

    h = train(
        [phase],
        batches,
        100,
        progress=False,
        evaluate=lambda: {"w": model.weight.item()},
        eval_every=10,
        snapshot=lambda: model.weight.item(),
        snapshot_every=5,
        stop=stop,
    )
    assert seen == list(range(1, 14)) and h.completed_steps == 13 and not h.interrupted
    assert [s for s, _ in h.evals["w"]] == [10, 13] and [s for s, _ in h.snapshots] == [0, 5, 10, 13]
    assert train([phase], batches, 5, progress=False, history=h, stop=lambda s: False).completed_steps == 18
