"""The benchmark registry and a description of the machine that runs it."""

from __future__ import annotations

import os
import platform
from collections.abc import Callable

import torch

#: name -> function returning a JSON-able dict; registered with :func:`benchmark`
BENCHMARKS: dict[str, Callable[..., dict]] = {}


def benchmark(name: str):
    """Decorator: register ``fn(**options) -> dict`` as benchmark ``name``."""

    def wrap(fn: Callable[..., dict]) -> Callable[..., dict]:
        BENCHMARKS[name] = fn
        return fn

    return wrap


def machine() -> dict:
    """What ran the benchmarks: CPU model, cores, torch version and threads, kernel path, GPU."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "aten_cpu_capability": os.environ.get("ATEN_CPU_CAPABILITY", "native"),
        "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
    }
