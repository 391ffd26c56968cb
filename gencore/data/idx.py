"""Reader (and writer, for tests) of the IDX format that MNIST is distributed in.

An IDX file is: two zero bytes, a type code, the number of dimensions, each
dimension as a big-endian uint32, then the data in C order.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import torch

from gencore.data.base import Data

_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {np.dtype(v).str[1:]: k for k, v in _DTYPES.items()}

_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (optionally gzipped) into a NumPy array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise ValueError(
            f"{path} is not an IDX file (bad magic number {raw[:4].hex() or 'empty'}); "
            "expected the MNIST files as distributed, e.g. train-images-idx3-ubyte"
        )
    dtype, ndim = _DTYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int(d) for d in np.frombuffer(raw[4:header], dtype=">u4"))
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(
            f"{path} is truncated or corrupt: header says shape {shape} "
            f"({expected} bytes of data) but the file holds {len(raw) - header}"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (used by the tests to make small MNIST files)."""
    array = np.asarray(array)
    key = array.dtype.newbyteorder(">").str[1:]
    if key not in _CODES:
        raise ValueError(f"IDX cannot store dtype {array.dtype}")
    header = bytes([0, 0, _CODES[key], array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    data = array.astype(array.dtype.newbyteorder(">")).tobytes()
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as f:
        f.write(header + data)


def _find(root: Path, stem: str) -> Path:
    for candidate in (root / stem, root / f"{stem}.gz"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"no {stem} (or {stem}.gz) in {root}; put the four MNIST IDX files "
        f"({', '.join(s for pair in _FILES.values() for s in pair)}) in that folder"
    )


def load_mnist_idx(root: str | Path, split: str = "train") -> Data:
    """Real MNIST from IDX files on disk: ``(N, 1, 28, 28)`` in ``[-1, 1]``.

    ``split`` is ``"train"`` (60,000) or ``"test"`` (10,000).
    """
    if split not in _FILES:
        raise ValueError(f"unknown split {split!r} for 'mnist-idx'; use 'train' or 'test'")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder; pass root= the folder holding MNIST's IDX files")
    images = read_idx(_find(root, _FILES[split][0]))
    labels = read_idx(_find(root, _FILES[split][1]))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"IDX files in {root} do not match: images {images.shape}, labels {labels.shape}")
    x = torch.as_tensor(images, dtype=torch.float32).unsqueeze(1) / 127.5 - 1.0
    return Data("mnist-idx", split, x, torch.as_tensor(labels, dtype=torch.int64), {"root": str(root)})
