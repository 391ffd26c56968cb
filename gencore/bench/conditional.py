"""Benchmark of ``book/conditional.ipynb``: CVAE, CGAN and CVAE-GAN at an equal CPU budget on 80 (digit, font) classes.

``conditional``: each shipped generator scored now (the recognizer's top-1 on its images,
FID in the recognizer's features, IS; :func:`gencore.recipes.conditional_fonts.score`)
for the sample seeds 0-4, with the steps and CPU seconds of its training from the manifest,
beside the held-out real images, the ceiling. ``retrain=True`` trains each recipe again
for its shipped step count first (about ``BUDGET_CPU_S`` CPU seconds each, on one thread).
"""

from __future__ import annotations

from gencore import pretrained, recipes
from gencore.bench.registry import benchmark, machine
from gencore.recipes import conditional_fonts as task

#: the generators of the chapter's table, as it names them
GENERATORS = {"CVAE": "cvae-fonts", "CGAN": "cgan-fonts", "CVAE-GAN": "cvae-gan-fonts"}


@benchmark("conditional")
def conditional(retrain: bool = False, seeds: tuple[int, ...] = (0, 1, 2, 3, 4)) -> dict:
    """Top-1, FID and IS of each generator (per seed), its steps and training CPU seconds; real data's row."""
    held = task.task("heldout")
    out: dict = {"real (held-out)": task.score(held.x, held.y), "machine": machine()}
    for label, name in GENERATORS.items():
        if retrain:
            run = recipes.train_recipe(name, progress=False)
            gen, history = run.main, run.history
            cpu_s, steps = history.evals["cpu_time_s"][0][1], history.completed_steps
        else:
            e = pretrained.entry(name)
            gen, cpu_s, steps = pretrained.load(name, device="cpu"), e["curves"]["cpu_time_s"][0][1], e["steps"]
        rows = [task.score(*task.generated(gen, seed=s)) for s in seeds]
        out[label] = {
            "steps": steps,
            "train_cpu_s": cpu_s,
            **{k: [round(r[k], 4) for r in rows] for k in ("top1", "fid", "is")},
        }
    return out


@benchmark("ipgan")
def ipgan(seeds: tuple[int, ...] = (0, 1, 2, 3, 4)) -> dict:
    """The shipped IP-GAN's transfer for the sample seeds 0-4 (:func:`gencore.recipes.ipgan_fonts.mixing_scores`):
    per source of the identity image (held-out or training fonts), the share of mixed images read as the
    font of x^s and as the digit of x^a, beside the two copying baselines; its steps and training CPU seconds
    (both stages) from the manifest."""
    from gencore.recipes import ipgan_fonts

    e = pretrained.entry("ipgan-fonts")
    parts = pretrained.load_parts("ipgan-fonts", device="cpu")
    out: dict = {"steps": e["steps"], "train_cpu_s": e["curves"]["cpu_time_s"][0][1], "machine": machine()}
    for source in ipgan_fonts.SOURCES:
        rows = [ipgan_fonts.mixing_scores(parts, source, s) for s in seeds]
        out[source] = {who: {k: [round(r[who][k], 4) for r in rows] for k in rows[0][who]} for who in rows[0]}
    return out
