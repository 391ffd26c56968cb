"""No error in a run loses its history; a run that ends with NaN weights is refused."""

import pytest
import torch

from gencore import recipes
from gencore.recipes import base
from gencore.train import Phase, TrainingDiverged, train


def _phase(log):
    def update(_):
        log.append(1)
        return {"loss": 1.0}

    return Phase("p", update)


def _endless():
    while True:
        yield (torch.zeros(1),)


def test_an_error_in_a_phase_keeps_the_history():
    def update(_):
        if len(seen) == 3:
            raise RuntimeError("out of memory")
        seen.append(1)
        return {"loss": 1.0}

    seen = []
    with pytest.raises(RuntimeError, match="out of memory") as info:
        train([Phase("p", update)], _endless(), 10)
    assert info.value.history.completed_steps == 3 and len(info.value.history.losses["loss"]) == 3


@pytest.mark.parametrize("where", ["hook", "evaluate", "checkpoint", "stop", "final evaluate"])
def test_an_error_in_a_hook_an_evaluation_a_checkpoint_or_stop_keeps_the_history(where):
    def boom(step=0):
        if where != "final evaluate" or step == "end":
            raise OSError("disk full")
        return {}

    options = {
        "hook": {"hooks": [lambda s: boom() if s == 2 else None]},
        "evaluate": {"evaluate": lambda: boom(), "eval_every": 2},
        "checkpoint": {"checkpoint": lambda s: boom() if s == 2 else None, "checkpoint_every": 1},
        "stop": {"stop": lambda s: boom() if s == 2 else False},
        "final evaluate": {"evaluate": lambda: boom("end"), "eval_every": 0},
    }[where]
    with pytest.raises(OSError, match="disk full") as info:
        train([_phase([])], _endless(), 3, **options)
    # a hook runs before its step is recorded; the others after
    assert info.value.history.completed_steps == {"hook": 1, "final evaluate": 3}.get(where, 2)


def test_a_finite_batch_iterator_ending_is_a_clear_error():
    with pytest.raises(ValueError, match="batch iterator ended at step 3") as info:
        train([_phase([])], iter([(torch.zeros(1),)] * 2), 5)
    assert info.value.history.completed_steps == 2


@pytest.mark.parametrize("source", ["hook", "evaluate"])
def test_nan_from_a_hook_or_an_evaluation_is_not_stored(source):
    options = (
        {"hooks": [lambda s: {"ema": float("nan")}]}
        if source == "hook"
        else {"evaluate": lambda: {"fid": float("inf")}}
    )
    with pytest.raises(TrainingDiverged, match="is (nan|inf)") as info:
        train([_phase([])], _endless(), 3, **options)
    assert "ema" not in info.value.history.losses and "fid" not in info.value.history.evals


def test_ctrl_c_in_the_end_of_run_evaluation_returns_the_history():
    def evaluate():
        raise KeyboardInterrupt

    h = train([_phase([])], _endless(), 3, evaluate=evaluate)
    assert h.interrupted and h.completed_steps == 3


def test_train_recipe_refuses_weights_that_became_nan_and_keeps_the_run(monkeypatch):
    r = recipes.recipe("mnist-classifier")

    def fit(parts, config, progress=None, **options):
        history = r.fit(parts, config, progress, **options)
        with torch.no_grad():
            next(parts["classifier"].parameters()).fill_(float("nan"))
        return history

    monkeypatch.setitem(base._RECIPES, r.name, __import__("dataclasses").replace(r, fit=fit))
    with pytest.raises(TrainingDiverged, match="part 'classifier' has NaN or infinite weights after step 2") as info:
        recipes.train_recipe("mnist-classifier", steps=2)
    assert info.value.run.history.completed_steps == 2 and set(info.value.run.parts) == {"classifier"}


@pytest.mark.parametrize(
    "args, options, message",
    [
        (([Phase("p", lambda b: {}, repeat=0)], _endless(), 3), {}, "repeat must be a positive integer"),
        ((["not a phase"], _endless(), 3), {}, "takes Phase objects"),
        (([Phase("p", lambda b: {})], [(torch.zeros(1),)], 3), {}, "batches must be an iterator"),
        (([Phase("p", lambda b: {})], _endless(), 3), {"eval_every": -1}, "eval_every must be"),
        (([Phase("p", lambda b: {})], _endless(), 3), {"checkpoint_every": 1.5}, "checkpoint_every must be"),
    ],
)
def test_bad_arguments_of_train_are_refused(args, options, message):
    with pytest.raises(ValueError, match=message):
        train(*args, **options)


def test_a_phase_that_returns_no_dict_is_a_clear_error():
    with pytest.raises(TypeError, match="update must return a dict") as info:
        train([Phase("p", lambda b: 1.0)], _endless(), 3)
    assert info.value.history.completed_steps == 0
