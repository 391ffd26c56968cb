"""Importing gencore sets a CPU threading default (OMP_WAIT_POLICY=PASSIVE) unless the user set one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _policy_after_import(env_value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    if env_value is not None:
        env["OMP_WAIT_POLICY"] = env_value
    code = "import gencore, os; print(os.environ.get('OMP_WAIT_POLICY'))"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_gencore_sets_passive_waiting_by_default():
    assert _policy_after_import(None) == "PASSIVE"


def test_a_users_own_setting_wins():
    assert _policy_after_import("ACTIVE") == "ACTIVE"
