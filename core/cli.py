"""``python -m core``: run one configuration of the lesson's loop and print it as the lesson does."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from core import engine
from core.data import BUILTIN_DATASETS
from core.drafts import DRAFTS, SOLUTION, ConfigError, LoopConfig, Update
from core.printout import report_lines


def build_parser() -> argparse.ArgumentParser:
    """The command's flags: a draft to start from, then one flag per bug and per setting."""
    parser = argparse.ArgumentParser(
        prog="python -m core",
        description="Fit sleep = m * screentime + b with the lesson's PyTorch loop. "
        "Without flags this runs the solution; each flag switches a bug on.",
    )
    parser.add_argument(
        "--draft",
        choices=list(DRAFTS),
        help="start from a lesson draft (4 is the solution; sgd is the idiomatic torch.optim.SGD loop, "
        "where the update flags do not apply and --keep-grads forgets optimizer.zero_grad())",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--outside-no-grad", dest="no_grad", action="store_const", const=False, help="update outside torch.no_grad()"
    )
    where.add_argument(
        "--inside-no-grad", dest="no_grad", action="store_const", const=True, help="update inside torch.no_grad()"
    )
    parser.add_argument("--update", choices=[u.value for u in Update], help="how the update is written")
    zeroing = parser.add_mutually_exclusive_group()
    zeroing.add_argument(
        "--keep-grads", dest="zero_grad", action="store_const", const=False, help="never zero the gradients"
    )
    zeroing.add_argument(
        "--zero-grads", dest="zero_grad", action="store_const", const=True, help="zero the gradients after the update"
    )
    parser.add_argument("--iterations", type=int, metavar="N", help="1 is a single step (default 10000)")
    parser.add_argument("--lr", type=float, metavar="X", help="learning rate (default 0.02)")
    parser.add_argument("--dataset", choices=list(BUILTIN_DATASETS), help="default: solution")
    parser.add_argument("--print-first", type=int, default=0, metavar="N", help="print the first N iterations")
    return parser


def config_from_args(args: argparse.Namespace) -> LoopConfig:
    """The draft (or the solution) with every flag given on top of it."""
    base = DRAFTS[args.draft] if args.draft else SOLUTION
    if base.optimizer and (args.no_grad is not None or args.update is not None):
        # LoopConfig would quietly ignore them; a flag that changes nothing deserves a word.
        raise ConfigError("--update, --inside-no-grad and --outside-no-grad do not apply to torch.optim.SGD")
    changes = {
        name: getattr(args, name)
        for name in ("no_grad", "update", "zero_grad", "iterations", "lr", "dataset")
        if getattr(args, name) is not None
    }
    return base.with_changes(**changes)


def arguments(config: LoopConfig, print_first: int = 0) -> list[str]:
    """The flags that make ``python -m core`` run ``config`` (its start must be the lesson's (0, 0))."""
    if (config.m0, config.b0) != (SOLUTION.m0, SOLUTION.b0):
        raise ValueError("the command line always starts from (m, b) = (0, 0)")
    if config.optimizer:
        flags = ["--draft", "sgd"]
    else:
        where = "--inside-no-grad" if config.no_grad else "--outside-no-grad"
        flags = [where, "--update", config.update.value]
    flags += ["--zero-grads" if config.zero_grad else "--keep-grads", "--iterations", str(config.iterations)]
    flags += ["--lr", repr(config.lr), "--dataset", config.dataset]
    return flags + (["--print-first", str(print_first)] if print_first else [])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: the process's arguments); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.print_first < 0:
        parser.error("--print-first must be 0 or more")
    try:
        config = config_from_args(args)
    except ConfigError as error:
        parser.error(str(error))
    result = engine.run(config)
    print("\n".join(report_lines(result, args.print_first)))
    return 0 if result.outcome.finished else 1


if __name__ == "__main__":
    sys.exit(main())
