"""``course`` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run every method on the bundled photos and save the figures")
    demo.add_argument("--out", type=Path, default=Path("output_figures"), help="folder for the figures")
    demo.add_argument("--quick", action="store_true", help="fewer positions and steps (a smoke run)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import run

        run(args.out, quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
