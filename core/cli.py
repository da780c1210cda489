"""``python -m core``: run one configuration of the lesson's loop and print it as the lesson does."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from core.lesson.data import BUILTIN_DATASETS, load_builtin
from core.lesson.drafts import DRAFTS, SOLUTION, Algorithm, ConfigError, LoopConfig, Loss, Update
from core.lesson.results import RunResult
from core.measure import convergence, dynamics, verdict
from core.measure.verdict import Verdict
from core.run import engine
from core.words import headline
from core.words.printout import report_lines


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
    parser.add_argument("--loss", choices=[loss.value for loss in Loss], help="default: rmse, the lesson's")
    parser.add_argument(
        "--center", action="store_true", default=None, help="centre x; (m, b) printed for the original x"
    )
    parser.add_argument(
        "--optimizer",
        choices=[algorithm.value for algorithm in Algorithm],
        help="update with torch.optim: sgd, momentum (0.9), adam, or momentum-1 (momentum 1, no dampening)",
    )
    parser.add_argument(
        "--sweep-lr", metavar="LO:HI:N", help="run at N learning rates from LO to HI (log spaced), one row each"
    )
    parser.add_argument(
        "--run-file",
        metavar="FILE",
        help="run your own draft from FILE in the sandbox (screentime and sleep are given) and say which "
        "bug it has: exit 0 finished, 1 raised or diverged, 2 refused",
    )
    parser.add_argument("--notebook", metavar="PATH", help="write these settings as a Jupyter notebook to PATH")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="after the lesson's lines, print the run's verdict (converged, descending, oscillating, diverged, "
        "raised, one step, stopped) and why, as the pages say it",
    )
    return parser


def config_from_args(args: argparse.Namespace) -> LoopConfig:
    """The draft (or the solution) with every flag given on top of it."""
    base = DRAFTS[args.draft] if args.draft else SOLUTION
    if (base.optimizer or args.optimizer) and (args.no_grad is not None or args.update is not None):
        # LoopConfig would quietly ignore them; a flag that changes nothing deserves a word.
        # Algorithm(...) is a lookup by value, which mypy checks against the members' __new__ (python/mypy#10573).
        algorithm = Algorithm(args.optimizer) if args.optimizer else base.algorithm  # type: ignore[call-arg]
        raise ConfigError(
            f"--update, --inside-no-grad and --outside-no-grad do not apply to torch.optim.{algorithm.class_name}"
        )
    changes = {
        name: getattr(args, name)
        for name in ("no_grad", "update", "zero_grad", "iterations", "lr", "dataset", "loss", "center")
        if getattr(args, name) is not None
    }
    if args.optimizer is not None:
        changes.update(optimizer=True, algorithm=Algorithm(args.optimizer))  # type: ignore[call-arg]  # as above
    return base.with_changes(**changes)


def parse_sweep(text: str) -> list[float]:
    """``LO:HI:N`` as the sweep's learning rates; ConfigError with a message if it is not one."""
    parts = text.split(":")
    try:
        low, high, points = float(parts[0]), float(parts[1]), int(parts[2])
    except (ValueError, IndexError):
        raise ConfigError(f"--sweep-lr takes LO:HI:N, such as 1e-4:1:20, not {text!r}") from None
    if len(parts) != 3:
        raise ConfigError(f"--sweep-lr takes LO:HI:N, such as 1e-4:1:20, not {text!r}")
    return convergence.sweep_rates(low, high, points)


def sweep_lines(config: LoopConfig, rates: list[float]) -> list[str]:
    """The sweep as the command prints it: one row per learning rate, then the stability limit."""
    data = load_builtin(config.dataset)
    table = convergence.sweep(config, data, rates, engine.run)
    lines = ["lr\tfinal RMSE\tverdict"]
    lines += [f"{row.lr:g}\t{row.final_loss:.6g}\t{row.verdict}" for row in table.itertuples()]
    limit = dynamics.settling_limit(config, data)
    centred = " (x centred)" if config.center else ""
    lines.append(
        "no stability limit applies to this loop" if limit is None else f"stability limit{centred} ≈ {limit:.3g}"
    )
    return lines


def arguments(config: LoopConfig, print_first: int = 0) -> list[str]:
    """The flags that make ``python -m core`` run ``config`` (its start must be the lesson's (0, 0))."""
    if (config.m0, config.b0) != (SOLUTION.m0, SOLUTION.b0):
        raise ValueError("the command line always starts from (m, b) = (0, 0)")
    if config.optimizer:
        flags = ["--optimizer", config.algorithm.value]
    else:
        where = "--inside-no-grad" if config.no_grad else "--outside-no-grad"
        flags = [where, "--update", config.update.value]
    flags += ["--zero-grads" if config.zero_grad else "--keep-grads", "--iterations", str(config.iterations)]
    flags += ["--lr", repr(config.lr), "--dataset", config.dataset, "--loss", config.loss.value]
    flags += ["--center"] if config.center else []
    return flags + (["--print-first", str(print_first)] if print_first else [])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: the process's arguments); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.print_first < 0:
        parser.error("--print-first must be 0 or more")
    try:
        config = config_from_args(args)
        rates = parse_sweep(args.sweep_lr) if args.sweep_lr is not None else None
    except ConfigError as error:
        parser.error(str(error))
    if args.run_file is not None:
        return _run_file(parser, args.run_file, args.dataset or SOLUTION.dataset)
    if args.notebook is not None:
        return _write_notebook(parser, config, args.notebook, args.print_first)
    if rates is not None:
        print("\n".join(sweep_lines(config, rates)))
        return 0
    result = engine.run(config)
    print("\n".join(report_lines(result, args.print_first)))
    if args.explain:
        print(explained(result))
    # A loop that finished while growing without bound diverged too: the verdict says so, not only an overflow.
    failed = verdict.verdict(result, load_builtin(config.dataset)) in (Verdict.RAISED, Verdict.DIVERGED)
    return 1 if failed else 0


def explained(result: RunResult) -> str:
    """The verdict and its why, as the outcome line says them; a single step is also run as a loop."""
    data = load_builtin(result.config.dataset)
    looped = None if result.config.loops else engine.run(result.config.with_changes(iterations=SOLUTION.iterations))
    return headline.outcome_words(result, data, looped)


def _run_file(parser: argparse.ArgumentParser, path: str, dataset: str) -> int:
    """Run a learner's draft in the sandbox; print its output, its diagnosis and its verdict."""
    from core.code import diagnosis
    from core.serve.checking import check
    from core.serve.sandbox import SandboxService

    try:
        with open(path, encoding="utf-8") as file:
            code = file.read()
    except (OSError, UnicodeDecodeError) as error:
        parser.error(f"--run-file cannot read {path!r}: {getattr(error, 'strerror', None) or error}")
    checked = check(code, load_builtin(dataset), SandboxService(running=1, keep_spare=False))
    if checked.refusal is not None:
        print(f"refused: {checked.refusal}")
        return 2
    record = checked.record
    print(record["printed"], end="")
    raised = record.get("error")
    if raised:
        line = f" (line {raised['line']})" if raised.get("line") else ""
        print(f"{raised['type']}: {raised['message']}{line}")
    assert checked.diagnosis is not None and checked.verdict is not None
    print(f"diagnosis: {checked.diagnosis.key}")
    print(f"verdict: {checked.verdict}")
    for sentence in diagnosis.said(checked.diagnosis, code, record):
        print(sentence.replace("**", ""))
    return 1 if checked.verdict in (Verdict.RAISED, Verdict.DIVERGED) else 0


def _write_notebook(parser: argparse.ArgumentParser, config: LoopConfig, path: str, print_first: int) -> int:
    """Write the notebook of ``config``; a path that cannot be written is a bad argument (status 2)."""
    from core.code import notebook  # nbformat: only when a notebook is asked for

    try:
        notebook.write(config, path, print_first)
    except OSError as error:
        parser.error(f"--notebook cannot write {path!r}: {error.strerror or error}")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
