"""Tests of the Ray driver's helpers (python/rnnfab/sweep_ray.py) without a Ray cluster: the task
body runs the point command and ships back its result or its error, and results are written
whole. tests/sweep_ray_test.ts runs the driver itself on a local Ray instance."""

from __future__ import annotations

import json
import os
import stat
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from rnnfab.sweep_ray import run_point, write_atomic  # noqa: E402

FAKE_DENO = """#!/usr/bin/env python3
import json, sys
args = sys.argv[1:]
job = json.load(open(args[args.index("--job") + 1]))
previous = args[args.index("--previous") + 1] if "--previous" in args else None
result = {"hash": job["hash"], "stages": {"estimate": {}}, "failure": None,
          "previous": json.load(open(previous)) if previous else None}
json.dump(result, open(args[args.index("--result") + 1], "w"))
"""


def fake_deno(tmp_path, text):
    path = tmp_path / "deno"
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_run_point_ships_back_the_result_and_passes_the_previous_one(tmp_path):
    deno = fake_deno(tmp_path, FAKE_DENO)
    entry = {"job": {"hash": "ab" * 32}, "previous": {"stages": {"estimate": {"pes": 2}}}}
    outcome = run_point(entry, str(tmp_path), deno)
    assert outcome["hash"] == "ab" * 32
    assert outcome["result"]["stages"] == {"estimate": {}}
    assert outcome["result"]["previous"] == entry["previous"]
    fresh = run_point({"job": {"hash": "cd" * 32}, "previous": None}, str(tmp_path), deno)
    assert fresh["result"]["previous"] is None


def test_run_point_reports_a_failed_command(tmp_path):
    deno = fake_deno(tmp_path, "#!/bin/sh\necho 'error: model differs' >&2\nexit 2\n")
    outcome = run_point({"job": {"hash": "ef" * 32}, "previous": None}, str(tmp_path), deno)
    assert outcome == {"hash": "ef" * 32, "error": "error: model differs"}


def test_write_atomic_leaves_no_temporary(tmp_path):
    target = tmp_path / "r.json"
    write_atomic(target, json.dumps({"a": 1}))
    write_atomic(target, json.dumps({"a": 2}))
    assert json.loads(target.read_text()) == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
