"""Benchmarks of ``book/cyclegan.ipynb``: the shipped CycleGAN and its two ablations, and the grey <-> colour
pair (``cyclegan``); the trade-off between looking like the other domain and keeping the digit over other
settings of handwritten <-> printed, each trained from scratch (``cyclegan-frontier``)::

    nice -n 5 python -m gencore bench cyclegan-frontier --no-chapters --ship
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from gencore import pretrained, recipes
from gencore.bench.registry import benchmark, machine, one_thread, write_results

#: the shipped model and its ablations, as the chapter names them
VARIANTS = {
    "full": "cyclegan-digits",
    "no cycle loss": "cyclegan-digits-no-cycle",
    "no identity loss": "cyclegan-digits-no-identity",
}
#: the appearance pair (grey <-> coloured digits), measured by its own CNN judges
COLOUR = "cyclegan-colour"


@benchmark("cyclegan")
def cyclegan() -> dict:
    """Label preservation (both directions), cycle error and the held-out judges' scores of each shipped
    variant, measured now on the 1,000 held-out images of each domain, with its training time and steps
    from the manifest.

    The same for ``cyclegan-colour`` (grey <-> coloured digits), by its CNN judges.

    The issue's target for the full model: the pixel k-NN domain judge calls >= 90 % of the translations
    the target domain and the target domain's k-NN digit judge reads >= 90 % as their source digit, both ways.
    """
    out: dict = {}
    for label, name in VARIANTS.items():
        e = pretrained.entry(name)
        now = recipes.recipe(name).evaluate(pretrained.load_parts(name, device="cpu"))
        out[label] = {
            **{k: round(v, 4) for k, v in now.items()},
            "steps": e["steps"],
            "train_wall_time_s": e["wall_time_s"],
            "device": e.get("device_name", e["device"]),
        }
    full = out["full"]
    keys = ("looks_printed_ab", "looks_handwritten_ba", "digit_kept_ab", "digit_kept_ba")
    out["target_met"] = min(full[k] for k in keys) >= 0.9
    e = pretrained.entry(COLOUR)
    now = recipes.recipe(COLOUR).evaluate(pretrained.load_parts(COLOUR, device="cpu"))
    out["grey <-> colour"] = {
        **{k: round(v, 4) for k, v in now.items()},
        "steps": e["steps"],
        "train_wall_time_s": e["wall_time_s"],
        "train_cpu_time_s": e.get("cpu_time_s"),
        "device": e.get("device_name", e["device"]),
    }
    keys = ("looks_colour_ab", "looks_grey_ba", "digit_kept_ab", "digit_kept_ba")
    out["target_met_grey_colour"] = min(now[k] for k in keys) >= 0.9
    return out


#: the frontier's results, which the chapter reads
FRONTIER = Path(__file__).resolve().parent.parent / "weights" / "cyclegan_frontier_results.json"
#: settings of ``cyclegan-digits`` that the frontier trains, each a change of the recipe's: one lever at a
#: time from a shorter run of 1,200 steps (the weights of the two pulls towards the input, the
#: discriminator's view, the generator's capacity), and a run half as long as the shipped one (the
#: shipped 7,000 steps are the longest: the chapter reads them from the manifest)
FRONTIER_SETTINGS = {
    "1,200 steps": {"steps": 1200},
    "1,200 steps, identity 0.5 λ": {"steps": 1200, "identity": 0.5},
    "1,200 steps, λ = 1": {"steps": 1200, "cycle": 1.0},
    "1,200 steps, λ = 5": {"steps": 1200, "cycle": 5.0},
    "1,200 steps, the paper's λ = 10, identity 0.5 λ": {"steps": 1200, "cycle": 10.0, "identity": 0.5},
    "1,200 steps, discriminator sees 26 px": {"steps": 1200, "d_extra": 0},
    "1,200 steps, discriminator one layer deeper": {"steps": 1200, "d_extra": 2},
    "1,200 steps, generator twice as wide": {"steps": 1200, "width": 32},
    "3,500 steps": {"steps": 3500},
}


@benchmark("cyclegan-frontier")
def cyclegan_frontier(
    ship: bool = False, out_dir: str = "_build", settings: dict | None = None, update: bool = False
) -> dict:
    """Each of ``settings`` (default :data:`FRONTIER_SETTINGS`) trained from scratch on one thread as
    ``cyclegan-digits`` with those changes, training seed 0, and measured by the recipe's held-out judges
    (:func:`gencore.recipes.cyclegan_digits.translation_metrics`), with its CPU seconds. The record is
    written to ``out_dir/cyclegan_frontier_results.json`` after every setting; ``ship`` also writes
    :data:`FRONTIER`, which the chapter reads.

    With ``update``, the runs of :data:`FRONTIER` that :data:`FRONTIER_SETTINGS` still names are kept and
    only ``settings`` are trained (the changed settings, without retraining the others), e.g.
    ``cyclegan_frontier(ship=True, settings={"3,500 steps": FRONTIER_SETTINGS["3,500 steps"]}, update=True)``.
    """
    settings = FRONTIER_SETTINGS if settings is None else settings
    path = Path(out_dir) / "cyclegan_frontier_results.json"
    record: dict = {
        "what": "cyclegan-digits retrained with each setting's changes (training seed 0, one thread); the "
        "held-out k-NN domain and digit judges of the recipe's evaluation. Written by "
        "`python -m gencore bench cyclegan-frontier`.",
        "machine": machine(),
        "runs": {},
    }
    if update:
        kept = json.loads(FRONTIER.read_text())["runs"]
        record["runs"] = {k: v for k, v in kept.items() if k in FRONTIER_SETTINGS and k not in settings}
    with one_thread():
        for label, changes in settings.items():
            t0 = time.process_time()
            run = recipes.train_recipe("cyclegan-digits", progress=False, **changes)
            cpu_s = time.process_time() - t0
            metrics = recipes.recipe("cyclegan-digits").evaluate(run.parts)
            record["runs"][label] = {
                "changes": changes,
                "steps": run.history.completed_steps,
                "cpu_s": round(cpu_s, 1),
                **{k: round(v, 4) for k, v in metrics.items()},
            }
            write_results(record, path, FRONTIER if ship else None)
            print(json.dumps({"setting": label, **record["runs"][label]}, ensure_ascii=False), flush=True)
    return record | {"written": str(path), "shipped": ship}
