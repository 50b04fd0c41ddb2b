"""The job protocol of the ``python -m rnnfab.X JOB.json`` entry points.

The TypeScript side (prune/finetune.ts, prune/schedules.ts, prune/delta_finetune.ts) writes a job
file, runs the module, and reads the result back from the path in ``job["history"]``. Exit codes:
0 done, 2 bad command line, 3 a job error the module reports itself (one ``rnnfab-error:`` line).
"""

from __future__ import annotations

import json
import sys
from typing import Callable, Tuple, Type


def run_job_file(argv: list[str], module: str, run: Callable[[dict], dict],
                 reported: Tuple[Type[BaseException], ...] = ()) -> int:
    """Read ``argv[0]`` as a job, run it, write its result to ``job["history"]``.

    An exception of a ``reported`` type is printed as one ``rnnfab-error:`` line (exit 3) and no
    result is written.
    """
    if len(argv) != 1:
        print(f"usage: python -m rnnfab.{module} JOB.json", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as handle:
        job = json.load(handle)
    try:
        result = run(job)
    except reported as error:
        print(f"rnnfab-error: {error}", file=sys.stderr, flush=True)
        return 3
    with open(job["history"], "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return 0
