"""Helpers of the coordination tests."""

from __future__ import annotations

import os
import subprocess
import sys


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tinhgon.cli", *args], capture_output=True, text=True,
                          env={**os.environ}, timeout=300)
