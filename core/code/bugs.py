"""The catalogue of this loop's classic bugs: each as code, written the way the Lab writes the loop.

Each entry is the solution with one bug put in, either by the Lab's own switches (a ``LoopConfig``
change, rendered by ``core.code.source``) or by one edit of the solution's text (a line removed,
moved or changed). Several bugs at once are the edits applied one after another. The sandbox
runs each entry on the learner's data with the learner's settings, and the diagnosis
(``core.code.diagnosis``) compares what the learner's own draft did with what each entry did.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from core.code import source
from core.lesson.drafts import SOLUTION, LoopConfig, Update

Edit = Callable[[str], str]


def _wrong_sign(code: str) -> str:
    """``m -= lr*m.grad`` becomes ``m += lr*m.grad``: gradient ascent."""
    return re.sub(r"^(\s+)([mb]) -= ", r"\1\2 += ", code, flags=re.M)


def _no_backward(code: str) -> str:
    return re.sub(r"^\s*loss\.backward\(\).*\n", "", code, flags=re.M)


def _zeroed_before_update(code: str) -> str:
    """The two ``.grad = None`` lines moved up, between backward() and the update."""
    lines = code.splitlines(keepends=True)
    zeroing = [line for line in lines if re.match(r"\s+[mb]\.grad = None", line)]
    rest = [line for line in lines if line not in zeroing]
    after = next((k for k, line in enumerate(rest) if "loss.backward()" in line), None)
    if after is None or not zeroing:
        return code
    return "".join([*rest[: after + 1], *zeroing, *rest[after + 1 :]])


def _integer_parameters(code: str) -> str:
    """``torch.tensor([0], requires_grad=True)``: a whole starting value, no floating dtype."""
    return re.sub(
        r"torch\.tensor\(\[(-?\d+)(?:\.0)?\], requires_grad=True, dtype=torch\.float32\)",
        r"torch.tensor([\1], requires_grad=True)",
        code,
    )


def _missing_requires_grad(code: str) -> str:
    return code.replace("requires_grad=True, ", "")


def _target_shape(code: str) -> str:
    return code.replace("y = torch.from_numpy(sleep)", "y = torch.from_numpy(sleep).reshape(-1, 1)")


def _forward_in_no_grad(code: str) -> str:
    return re.sub(r"^(\s+)(yhat = .*)$", r"\1with torch.no_grad():\n\1    \2", code, count=1, flags=re.M)


@dataclass(frozen=True)
class Bug:
    """One classic bug: its key, its name in words, what it does, and how the solution writes that part."""

    key: str
    words: str
    does: str  # what happens, in one plain sentence
    fix: str  # the solution's way, as code or in words
    changes: tuple[tuple[str, object], ...] = ()  # LoopConfig changes that put the bug in
    edit: Edit | None = None  # or an edit of the solution's text

    def config(self, base: LoopConfig) -> LoopConfig:
        return base.with_changes(**dict(self.changes)) if self.changes else base


BUGS = (
    Bug("solution", "no bug", "the loop the lesson fixes: it settles on the best line", "(this is the solution)"),
    Bug(
        "reassign-outside-no-grad",
        "reassignment outside torch.no_grad()",
        "`m = m - lr*m.grad` outside `no_grad` makes a new tensor that autograd records: `m` is no longer a leaf, "
        "its next `.grad` is None, and the next update raises",
        "with torch.no_grad():\n    m -= lr*m.grad",
        (("no_grad", False), ("update", Update.REASSIGN)),
    ),
    Bug(
        "in-place-outside-no-grad",
        "in-place update outside torch.no_grad()",
        "`m -= lr*m.grad` outside `no_grad` changes a leaf that requires grad in place, which PyTorch forbids",
        "with torch.no_grad():\n    m -= lr*m.grad",
        (("no_grad", False),),
    ),
    Bug(
        "reassign-inside-no-grad",
        "reassignment inside torch.no_grad()",
        "`m = m - lr*m.grad` inside `no_grad` makes a new tensor that does not require grad: the next "
        "`backward()` raises",
        "m -= lr*m.grad  (in place, the same tensor)",
        (("update", Update.REASSIGN),),
    ),
    Bug(
        "gradients-not-zeroed",
        "gradients never zeroed",
        "each `backward()` adds to `.grad`: every update uses the sum of all gradients so far",
        "m.grad = None  (after the update, every iteration)",
        (("zero_grad", False),),
    ),
    Bug(
        "single-step",
        "a single step instead of a loop",
        "the statements run once: one update, not a descent",
        "for i in range(10_000):",
        (("iterations", 1),),
    ),
    Bug(
        "zeroed-before-update",
        "gradients zeroed before the update",
        "`m.grad = None` before the update throws the gradient away: the update has no gradient to use",
        "m.grad = None  (after the update)",
        edit=_zeroed_before_update,
    ),
    Bug(
        "no-backward",
        "no loss.backward()",
        "without `backward()` autograd never computes `.grad`: it stays None",
        "loss.backward()",
        edit=_no_backward,
    ),
    Bug(
        "wrong-sign",
        "the update's sign",
        "`m += lr*m.grad` climbs the loss instead of descending it",
        "m -= lr*m.grad",
        edit=_wrong_sign,
    ),
    Bug(
        "integer-parameters",
        "integer parameters",
        "`torch.tensor([0], requires_grad=True)` is an integer tensor, and only floating-point tensors "
        "can require grad",
        "torch.tensor([0], requires_grad=True, dtype=torch.float32)",
        edit=_integer_parameters,
    ),
    Bug(
        "missing-requires-grad",
        "requires_grad missing",
        "a parameter made without `requires_grad=True` is a constant to autograd: `backward()` finds "
        "nothing to differentiate",
        "torch.tensor([0], requires_grad=True, dtype=torch.float32)",
        edit=_missing_requires_grad,
    ),
    Bug(
        "target-shape",
        "the target as a column",
        "`y` of shape (n, 1) against `yhat` of shape (n,) broadcasts to an n×n table: the loss averages every "
        "prediction against every target and fits the wrong line, silently",
        "y = torch.from_numpy(sleep)  (shape (n,), as yhat)",
        edit=_target_shape,
    ),
    Bug(
        "forward-in-no-grad",
        "the forward pass inside torch.no_grad()",
        "`yhat` computed under `no_grad` is not recorded: the loss has no graph and `backward()` raises",
        "yhat = m*x + b  (outside no_grad)",
        edit=_forward_in_no_grad,
    ),
    Bug(
        "lr-too-large",
        "a learning rate too large",
        "the code is the solution's, but each step overshoots the best line by more than it corrects",
        "a learning rate below the loop's limit",
        (("lr", 0.2),),
    ),
)
BY_KEY = {bug.key: bug for bug in BUGS}
NONE = "none"  # the diagnosis when no entry matches


def render(keys: Iterable[str], base: LoopConfig = SOLUTION) -> str:
    """The solution on ``base``'s settings with each bug of ``keys`` put in (configuration first, then edits)."""
    bugs = [BY_KEY[key] for key in keys if key not in ("solution", "lr-too-large")]
    config = base
    for bug in bugs:
        config = bug.config(config)
    code = source.render(config)
    for bug in bugs:
        if bug.edit is not None:
            code = bug.edit(code)
    return code


def preset(key: str) -> str:
    """An entry's code on the lesson's own settings, as the page offers it to start from."""
    bug = BY_KEY[key]
    return render([key], bug.config(SOLUTION)) if key == "lr-too-large" else render([key])
