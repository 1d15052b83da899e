"""`make bench`: run every benchmark section, print one table, write bench/results.json.

Each figure is measured next to its baseline in the same run and reported as a ratio, with
its target where it has one:
    {"name", "value", "unit", "baseline", "ratio", "target", "ok"}
A target is an upper bound unless the row says "target_is_minimum": true (at least).
Sections: exports (bench/exports.py), scale (bench/scale.py), selfservice
(bench/selfservice.py). Run one with `python -m bench --only exports`.
"""

import argparse
import json
import sys
import time
from pathlib import Path

from bench import exports, scale, selfservice
from bench.common import print_table

SECTIONS = {
    "exports": lambda: exports.run(),
    "scale": lambda: scale.run(),
    "selfservice": lambda: selfservice.run(),
}
RESULTS = Path(__file__).resolve().parent / "results.json"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", nargs="*", choices=sorted(SECTIONS), help="sections to run")
    options = parser.parse_args(argv)
    results = []
    for name in options.only or SECTIONS:
        started = time.monotonic()
        print(f"== {name}", flush=True)
        section = SECTIONS[name]()
        results.extend({"section": name, **row} for row in section)
        print(f"   {time.monotonic() - started:.0f} s", flush=True)
    print_table(results)
    RESULTS.write_text(json.dumps(results, indent=1, default=str) + "\n")
    targets = [r for r in results if r["ok"] is not None]
    missed = [r["name"] for r in targets if not r["ok"]]
    print(f"\n{len(targets) - len(missed)} of {len(targets)} targets met; wrote {RESULTS}")
    for name in missed:
        print(f"  missed: {name}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
