"""The Ray driver of `deno task sweep --engine ray` (docs/sweep.md).

Reads a queue file (one JSON object per line: {"job": ..., "previous": ... | null}), submits one
Ray task per job and, as each task finishes, writes the result it shipped back to
RESULTS/<hash>.json (temporary file + rename) and prints one JSON line
{"hash": ..., "failed": bool} (with "error" when the task itself could not run) for the sweep's
progress. Each task runs `deno run -A ROOT/cli/sweep_point.ts` on the job in a temporary folder
of the worker's node, so a node needs the project checkout at ROOT, deno, the model at the job's
path and, for deep stages, the tools (Yosys, Verilator or Icarus, the .venv). Scheduling, retries
(a task whose worker dies is retried by Ray) and placement are Ray's.

Without --address, a local Ray instance with --num-cpus CPUs is started and stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path


def run_point(entry: dict, root: str, deno: str) -> dict:
    """Run one job with cli/sweep_point.ts in a temporary folder; return its result (or error)."""
    job = entry["job"]
    with tempfile.TemporaryDirectory(prefix="rnnfab-sweep-") as work:
        job_path = Path(work, "job.json")
        job_path.write_text(json.dumps(job))
        args = [deno, "run", "-A", "-q", f"{root}/cli/sweep_point.ts", "--job", str(job_path),
                "--result", str(Path(work, "result.json"))]
        if entry.get("previous") is not None:
            previous = Path(work, "previous.json")
            previous.write_text(json.dumps(entry["previous"]))
            args += ["--previous", str(previous)]
        run = subprocess.run(args, cwd=root, capture_output=True, text=True, check=False)
        if run.returncode != 0:
            tail = (run.stderr or run.stdout).strip().splitlines()[-3:]
            return {"hash": job["hash"], "error": " | ".join(tail) or f"exit {run.returncode}"}
        return {"hash": job["hash"], "result": json.loads(Path(work, "result.json").read_text())}


def write_atomic(path: Path, text: str) -> None:
    """Write a file through a temporary sibling and a rename (never half-written)."""
    temporary = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    temporary.write_text(text)
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queue", required=True, help="queue file (JSON lines)")
    parser.add_argument("--results", required=True, help="folder of the result files")
    parser.add_argument("--root", required=True, help="the rnnfab checkout on every node")
    parser.add_argument("--deno", default="deno", help="deno executable on the nodes")
    parser.add_argument("--num-cpus", type=int, default=2, help="CPUs of a local instance")
    parser.add_argument("--address", default=None, help="address of a running Ray cluster")
    args = parser.parse_args(argv)

    import ray  # imported here: the module's help and tests of the helpers need no Ray

    # SIGTERM (the sweep was interrupted): leave through `finally`, which stops the local instance.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))

    entries = [json.loads(line) for line in Path(args.queue).read_text().splitlines() if line]
    if args.address:
        ray.init(address=args.address, logging_level="WARNING", log_to_driver=False)
    else:
        ray.init(address="local", num_cpus=args.num_cpus, include_dashboard=False,
                 logging_level="WARNING",
                 log_to_driver=False)
    try:
        task = ray.remote(num_cpus=1, max_retries=2)(run_point)
        pending = [task.remote(entry, args.root, args.deno) for entry in entries]
        errors = 0
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            outcome = ray.get(done[0])
            if "error" in outcome:
                errors += 1
                line = {"hash": outcome["hash"], "failed": True, "error": outcome["error"]}
            else:
                result = outcome["result"]
                write_atomic(Path(args.results, f"{outcome['hash']}.json"),
                             json.dumps(result, indent=2) + "\n")
                line = {"hash": outcome["hash"], "failed": result.get("failure") is not None}
            print(json.dumps(line), flush=True)
    finally:
        ray.shutdown()
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
