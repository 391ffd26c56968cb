"""The benchmark registry and a description of the machine that runs it."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

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


@contextmanager
def one_thread() -> Iterator[None]:
    """Run the block on one torch thread (a benchmark's CPU seconds are then one core's), then restore."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def write_results(record: dict, path: Path, shipped: Path | None = None) -> None:
    """Stamp ``record`` with the date and write it to ``path`` as JSON (and to ``shipped`` too, the file a
    chapter reads, when given). A benchmark calls it after every finished unit of work, so a run stopped
    early keeps what it finished."""
    record["date"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = json.dumps(record, indent=1, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if shipped is not None:
        shipped.write_text(text)
