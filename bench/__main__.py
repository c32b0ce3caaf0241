"""``python -m bench [--quick] [updates|drain|nudges|scale|pictures ...]``: run the benchmarks.

Without names, all five run in turn (about 70 minutes in full, about 10 with ``--quick``).
Each prints its tables and keeps them in test-artifacts/bench/<name>.md and .json.
"""

from __future__ import annotations

import sys
import time

from bench import drain, nudges, pictures, scale, updates
from bench.common import log

ORDER = {
    "updates": lambda quick: updates.main(["--quick"] if quick else ["--profile"]),
    "drain": lambda quick: drain.main(["--quick"] if quick else []),
    "nudges": lambda quick: nudges.main(["--quick"] if quick else []),
    "scale": lambda quick: scale.main(["--quick"] if quick else []),
    "pictures": lambda quick: pictures.main(["--quick"] if quick else []),
}


def main(argv: list[str] | None = None) -> None:
    """Run the named benchmarks (default: all) and say how long each took."""
    args = list(sys.argv[1:] if argv is None else argv)
    if {"-h", "--help"} & set(args):
        print(__doc__)
        return
    quick = "--quick" in args
    names = [a for a in args if a != "--quick"] or list(ORDER)
    unknown = [n for n in names if n not in ORDER]
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; choose from {list(ORDER)}")
    for name in names:
        started = time.perf_counter()
        log(f"=== {name}{' (quick)' if quick else ''}")
        ORDER[name](quick)
        log(f"=== {name} took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
