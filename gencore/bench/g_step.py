"""What freezing the discriminator saves in a generator's step, per GAN family (``gencore.frozen``).

Each family at its shipped recipe's sizes takes generator steps (and whole steps: one
discriminator step and one generator step) on one thread, alternately with the
discriminator frozen, as the phases run, and not frozen, as they ran before; the
median CPU time of each is reported. Both give the generator the same update, bit
for bit (``tests/test_phases.py``).
"""

from __future__ import annotations

import contextlib
import statistics
import time

import torch

import gencore
from gencore import recipes
from gencore.bench.registry import benchmark
from gencore.train import cyclegan, gan_phases, phases, stylegan

_USERS = (phases, cyclegan, stylegan)  # the modules whose generator steps call `frozen`


def _gan(name: str):
    r = recipes.recipe(name)
    tr, parts = r.config["train"], r.build()
    g, d = parts["generator"], parts["critic" if "critic" in parts else "discriminator"]
    critic, gen = gan_phases(
        g,
        d,
        torch.optim.Adam(g.parameters()),
        torch.optim.Adam(d.parameters()),
        loss=tr["loss"],
        gp_weight=tr.get("gp_weight", 0.0),
    )
    batch = (torch.rand(tr["batch_size"], 1, 28, 28) * 2 - 1,)
    critic.update(batch)
    return lambda: gen.update(None), lambda: (critic.update(batch), gen.update(None))


def _cyclegan():
    r = recipes.recipe("cyclegan-digits")
    p, b = r.build(), r.config["train"]["batch_size"]
    opt_g = torch.optim.Adam([*p["G_AB"].parameters(), *p["G_BA"].parameters()])
    opt_d = torch.optim.Adam([*p["D_A"].parameters(), *p["D_B"].parameters()])
    gens, discs = cyclegan.cyclegan_phases(p["G_AB"], p["G_BA"], p["D_A"], p["D_B"], opt_g, opt_d)
    batch = (torch.rand(b, 1, 28, 28) * 2 - 1, torch.rand(b, 1, 28, 28) * 2 - 1)
    return lambda: gens.update(batch), lambda: (gens.update(batch), discs.update(None))


def _stylegan():
    r = recipes.recipe("stylegan-shapes")
    p, tr = r.build(), r.config["train"]
    g, d = p["generator"], p["discriminator"]
    disc, gen = stylegan.stylegan_phases(
        g, d, torch.optim.Adam(g.parameters()), torch.optim.Adam(d.parameters()), r1_gamma=tr["r1_gamma"]
    )
    real = (torch.rand(tr["batch_size"], 3, 32, 32) * 2 - 1,)
    disc.update(real)
    return lambda: gen.update(None), lambda: (disc.update(real), gen.update(None))


FAMILIES = {
    "dcgan-mnist": lambda: _gan("dcgan-mnist"),
    "wgan-gp-mnist": lambda: _gan("wgan-gp-mnist"),
    "cyclegan-digits": _cyclegan,
    "stylegan-shapes": _stylegan,
}


@benchmark("g-step-freeze")
def g_step_freeze(reps: int = 30, families=tuple(FAMILIES)) -> dict:
    """Median CPU ms of a generator step and of a whole step (one D step, one G step; n_critic = 1),
    discriminator frozen and not, on one thread, ``reps`` alternating pairs after a warm-up."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    out: dict = {}
    try:
        for name in families:
            gencore.seed(0)
            row = {}
            for what, step in zip(("g_step", "whole_step"), FAMILIES[name](), strict=True):
                times: dict[bool, list[float]] = {True: [], False: []}
                for i in range(reps + 1):
                    for freeze in (True, False) if i % 2 else (False, True):
                        for module in _USERS:
                            module.frozen = gencore.frozen if freeze else (lambda *nets: contextlib.nullcontext())
                        t = time.process_time()
                        step()
                        if i:  # the first pair warms up
                            times[freeze].append(time.process_time() - t)
                on, off = statistics.median(times[True]), statistics.median(times[False])
                row[what] = {
                    "frozen_ms": round(on * 1e3, 1),
                    "not_frozen_ms": round(off * 1e3, 1),
                    "saved": round(1 - on / off, 3),
                }
            out[name] = row
    finally:
        for module in _USERS:
            module.frozen = gencore.frozen
        torch.set_num_threads(threads)
    return out
