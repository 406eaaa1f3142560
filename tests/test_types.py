"""The shipped stubs: mypy --strict over examples/, and a file with type
errors that mypy must reject (so the check can fail)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_mypy(*paths):
    env = dict(os.environ, MYPYPATH=str(ROOT / "python"))
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental",
         "--ignore-missing-imports", *map(str, paths)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)


def test_examples_pass_mypy_strict():
    proc = run_mypy(ROOT / "examples")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_rejects_wrong_field_use(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import iotpager\n"
        "def f(client: object) -> int:\n"
        "    for page in iotpager.get_paginator(client, 'list_jobs').paginate(status='RUNNING'):\n"
        "        for job in page['jobs']:\n"
        "            return job['createdAt'] + 1\n"
        "    for tpage in iotpager.get_paginator(client, 'list_things').paginate(thingName=1):\n"
        "        return tpage['things'] + 1\n"
        "    iotpager.get_paginator(client, 3)\n"
        "    return 0\n")
    proc = run_mypy(bad)
    out = proc.stdout
    assert proc.returncode == 1, out
    assert "RUNNING" in out                                   # not a JobStatus
    assert 'Unsupported operand types for + ("datetime" and "int")' in out
    # any other operation: a plain-dict page (Any), so only the name's type is checked
    assert "No overload variant of \"get_paginator\" matches" in out   # 3 is not a name
