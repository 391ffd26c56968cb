import os
import shutil

import pytest

os.environ.setdefault("GENCORE_PROGRESS", "0")


@pytest.fixture
def weights_copy(tmp_path, monkeypatch):
    """A private copy of gencore/weights that a test may break safely (pretrained reads it instead)."""
    from gencore import pretrained

    shutil.copytree(pretrained.WEIGHTS_DIR, tmp_path / "weights")
    monkeypatch.setattr(pretrained, "WEIGHTS_DIR", tmp_path / "weights")
    monkeypatch.setattr(pretrained, "MANIFEST", tmp_path / "weights" / "manifest.json")
    return tmp_path / "weights"
