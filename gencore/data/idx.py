"""Reader (and writer, for tests) of the IDX format that MNIST is distributed in.

An IDX file is: two zero bytes, a type code, the number of dimensions, each
dimension as a big-endian uint32, then the data in C order.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
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

_MNIST_MAX = 70_000  # train and test together: no MNIST file holds more

_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


#: the largest data part :func:`read_idx` reads unless told otherwise (MNIST's largest file holds 47 MB)
MAX_BYTES = 1 << 30
_CHUNK = 1 << 24  # read in pieces of 16 MiB: memory follows what the file holds, not what it claims


def read_idx(
    path: str | Path,
    *,
    dtype: np.dtype | str | None = None,
    shape: tuple[int | None, ...] | None = None,
    max_bytes: int | None = MAX_BYTES,
) -> np.ndarray:
    """Read one IDX file (optionally gzipped, by its ``.gz`` suffix) into a NumPy array.

    The header is read and checked first; then exactly the number of bytes it
    declares, plus one to make sure nothing follows (so a small ``.gz`` that
    inflates to gigabytes is refused after at most the declared size + 1 byte).
    Optional checks, made on the header before any data is read: ``dtype`` (e.g.
    ``np.uint8``), ``shape`` (``None`` for a free dimension, e.g.
    ``(None, 28, 28)``) and ``max_bytes`` (the largest data part accepted;
    ``None`` for no limit). Every problem raises ``ValueError`` naming the file.
    """
    path = Path(path)
    if path.exists() and not path.is_file():  # a pipe or a device would block or never end
        raise ValueError(f"{path} is not a regular file")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:  # a missing file raises FileNotFoundError, with its name
        try:
            arr_dtype, dims = _read_header(f, path)
            _check_header(path, arr_dtype, dims, dtype, shape, max_bytes)
            nbytes = math.prod(dims) * arr_dtype.itemsize  # Python ints: no overflow
            raw = _read_at_most(f, nbytes + 1)
        except (OSError, EOFError, zlib.error) as e:  # gzip.BadGzipFile is an OSError
            raise ValueError(
                f"{path} cannot be read as an IDX file ({type(e).__name__}: {e}); "
                "the file is corrupt or not what its name says: get a fresh copy"
            ) from e
    if len(raw) != nbytes:
        what = "more data than" if len(raw) > nbytes else f"only {len(raw)} bytes of data, fewer than"
        raise ValueError(
            f"{path} is truncated or corrupt: it holds {what} its header declares "
            f"(shape {dims}, {nbytes} bytes of {arr_dtype.name})"
        )
    return np.frombuffer(raw, dtype=arr_dtype).reshape(dims).astype(arr_dtype.newbyteorder("="))


def _read_header(f, path: Path) -> tuple[np.dtype, tuple[int, ...]]:
    magic = f.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _DTYPES:
        hint = " (it looks gzipped: give it the suffix .gz)" if magic[:2] == b"\x1f\x8b" else ""
        raise ValueError(
            f"{path} is not an IDX file (bad magic number {magic.hex() or 'empty'}){hint}; "
            "expected the MNIST files as distributed, e.g. train-images-idx3-ubyte"
        )
    ndim = magic[3]
    raw = f.read(4 * ndim)
    if len(raw) != 4 * ndim:
        raise ValueError(
            f"{path} has a short header: it declares {ndim} dimensions ({4 * ndim} bytes) "
            f"but only {len(raw)} bytes follow; the file is truncated"
        )
    return _DTYPES[magic[2]], struct.unpack(f">{ndim}I", raw)


def _check_header(path, arr_dtype, dims, dtype, shape, max_bytes) -> None:
    if dtype is not None and arr_dtype.newbyteorder("=") != np.dtype(dtype).newbyteorder("="):
        raise ValueError(f"{path} holds {arr_dtype.name} values; expected {np.dtype(dtype).name}")
    if shape is not None and (
        len(dims) != len(shape) or any(s is not None and s != d for s, d in zip(shape, dims, strict=False))
    ):
        want = "(" + ", ".join("N" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{path} holds an array of shape {dims}; expected shape {want}")
    nbytes = math.prod(dims) * arr_dtype.itemsize
    if max_bytes is not None and nbytes > max_bytes:
        raise ValueError(
            f"{path} declares shape {dims}: {math.prod(dims)} values, {nbytes} bytes, more than the "
            f"{max_bytes} bytes read_idx accepts (pass max_bytes= to raise the limit if the file is genuine)"
        )


def _read_at_most(f, n: int) -> bytes:
    """Up to ``n`` bytes, read in pieces so that memory never exceeds what the file holds."""
    parts, left = [], n
    while left > 0:
        piece = f.read(min(left, _CHUNK))
        if not piece:
            break
        parts.append(piece)
        left -= len(piece)
    return b"".join(parts)


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

    ``split`` is ``"train"`` (60,000) or ``"test"`` (10,000). The files must
    hold uint8 images of 28x28 pixels and uint8 labels 0 to 9, as many of each
    (at most 70,000); anything else raises ``ValueError`` naming the file.
    """
    if split not in _FILES:
        raise ValueError(f"unknown split {split!r} for 'mnist-idx'; use 'train' or 'test'")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder; pass root= the folder holding MNIST's IDX files")
    image_path, label_path = _find(root, _FILES[split][0]), _find(root, _FILES[split][1])
    images = read_idx(image_path, dtype=np.uint8, shape=(None, 28, 28), max_bytes=_MNIST_MAX * 28 * 28)
    labels = read_idx(label_path, dtype=np.uint8, shape=(None,), max_bytes=_MNIST_MAX)
    if len(images) != len(labels):
        raise ValueError(f"{image_path} holds {len(images)} images but {label_path} holds {len(labels)} labels")
    if len(labels) and labels.max() > 9:
        bad = int(np.flatnonzero(labels > 9)[0])
        raise ValueError(f"{label_path} holds label {labels[bad]} at index {bad}; MNIST labels are 0 to 9")
    x = torch.as_tensor(images, dtype=torch.float32).unsqueeze(1) / 127.5 - 1.0
    return Data("mnist-idx", split, x, torch.as_tensor(labels, dtype=torch.int64), {"root": str(root)})
