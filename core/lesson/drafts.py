"""The loop configuration: one frozen value that says everything about a run, and the drafts."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from core.lesson.data import DEFAULT_DATASET


class Update(StrEnum):
    """How the parameter update is written: its URL value, its statement, and its name in words."""

    template: str
    words: str

    IN_PLACE = "in-place", "{p} -= {lr}*{p}.grad", "in place"
    REASSIGN = "reassign", "{p} = {p} - {lr}*{p}.grad", "reassignment"
    DATA = "data", "{p}.data = {p} - {lr}*{p}.grad", "through .data"

    def __new__(cls, value: str, template: str, name: str) -> Update:
        member = str.__new__(cls, value)
        member._value_ = value
        member.template, member.words = template, name
        return member

    def statement(self, parameter: str = "m", lr: str = "lr") -> str:
        """The update of one parameter as code: ``m -= lr*m.grad`` for the in-place update."""
        return self.template.format(p=parameter, lr=lr)

    def described(self) -> str:
        """The update in words with its code: ``in place (m -= lr*m.grad)``."""
        return f"{self.words} ({self.statement()})"


class Loss(StrEnum):
    """The loss the loop minimises: its URL value, its code, its trailing comment, and its name in words."""

    code: str
    comment: str
    words: str
    label: str

    RMSE = "rmse", "torch.sqrt(torch.mean((yhat - y)**2))", "# root mean square error", "root mean square error"
    MSE = "mse", "torch.mean((yhat - y)**2)", "# mean square error", "mean square error"

    def __new__(cls, value: str, code: str, comment: str, words: str) -> Loss:
        member = str.__new__(cls, value)
        member._value_ = value
        member.code, member.comment, member.words = code, comment, words
        member.label = f"loss ({value.upper()})"  # how a chart or an outcome line names it
        return member


class Algorithm(StrEnum):
    """Which ``torch.optim`` optimizer does the update (with ``LoopConfig.optimizer`` on): its URL value,
    its class in ``torch.optim``, the keyword arguments it is given besides ``lr``, and its name in words."""

    class_name: str
    options: dict[str, float]
    words: str

    SGD = "sgd", "SGD", (), "plain SGD"
    MOMENTUM = "momentum", "SGD", (("momentum", 0.9),), "SGD with momentum 0.9"
    ADAM = "adam", "Adam", (), "Adam"
    # Momentum that never fades: the accumulation bug (gradients never zeroed) in exact arithmetic.
    MOMENTUM_1 = "momentum-1", "SGD", (("momentum", 1), ("dampening", 0)), "SGD with momentum 1, no dampening"

    def __new__(cls, value: str, class_name: str, options: tuple[tuple[str, float], ...], words: str) -> Algorithm:
        member = str.__new__(cls, value)
        member._value_ = value
        member.class_name, member.options, member.words = class_name, dict(options), words
        return member

    def constructor(self, lr: str = "lr") -> str:
        """The optimizer's construction as code: ``torch.optim.SGD([m, b], lr=0.02, momentum=0.9)``."""
        # Not named `options`: mypy takes a local of an attribute's name in an enum for the attribute (final).
        keywords = "".join(f", {name}={value!r}" for name, value in self.options.items())
        return f"torch.optim.{self.class_name}([m, b], lr={lr}{keywords})"


# Bounds a user may choose from; anything outside is refused, never clamped.
ITERATIONS_RANGE = (1, 100_000)
LR_RANGE = (1e-6, 100.0)
INITIAL_RANGE = (-1_000.0, 1_000.0)


class ConfigError(ValueError):
    """A setting outside its bounds; the message says which and what is allowed."""


@dataclass(frozen=True)
class LoopConfig:
    """Everything about one run of the lesson's loop; the solution when left at its defaults.

    With ``optimizer`` on, ``torch.optim.SGD`` does the update (``optimizer.step()``), so
    ``no_grad`` and ``update`` do not apply: they are normalised to the solution's values, and
    two configurations that differ only in them are equal (same run, same cache entry).
    ``algorithm`` applies only with ``optimizer`` (plain SGD without it, likewise normalised).

    With ``center`` the code fits ``m*(x - mean(x)) + b`` and turns ``b`` back into the original
    coordinates after the loop; ``m0`` and ``b0`` are the centred loop's start.
    """

    no_grad: bool = True  # the update is wrapped in `with torch.no_grad():`
    update: Update = Update.IN_PLACE
    zero_grad: bool = True  # gradients zeroed after the update (`optimizer.zero_grad()` with the optimizer)
    iterations: int = 10_000  # 1 is the lesson's "one step": no loop at all
    lr: float = 0.02
    m0: float = 0.0
    b0: float = 0.0
    dataset: str = DEFAULT_DATASET
    optimizer: bool = False  # torch.optim.SGD([m, b], lr=lr) does the update: the idiomatic draft
    loss: Loss = Loss.RMSE  # the lesson's loss, or the mean square error
    center: bool = False  # x has its mean subtracted; results are mapped back to the original x
    algorithm: Algorithm = Algorithm.SGD  # which torch.optim optimizer, with the optimizer on

    def __post_init__(self) -> None:
        # Each a lookup by value, which mypy checks against the members' __new__ (python/mypy#10573).
        object.__setattr__(self, "update", Update(self.update))  # type: ignore[call-arg]
        object.__setattr__(self, "loss", Loss(self.loss))  # type: ignore[call-arg]
        object.__setattr__(self, "algorithm", Algorithm(self.algorithm))  # type: ignore[call-arg]
        for name in ("optimizer", "center"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"The {name} setting must be True or False, not {getattr(self, name)!r}.")
        if not self.optimizer:  # without an optimizer there is no algorithm to choose: one value, one cache entry
            object.__setattr__(self, "algorithm", Algorithm.SGD)
        if self.optimizer:
            # optimizer.step() updates in place under no_grad: what the solution writes by hand.
            object.__setattr__(self, "no_grad", True)
            object.__setattr__(self, "update", Update.IN_PLACE)
        check_range("iterations", self.iterations, ITERATIONS_RANGE, integer=True)
        check_range("learning rate", self.lr, LR_RANGE)
        check_range("initial m", self.m0, INITIAL_RANGE)
        check_range("initial b", self.b0, INITIAL_RANGE)

    @property
    def loops(self) -> bool:
        """Whether the code has a `for` loop (more than the lesson's single step)."""
        return self.iterations > 1

    def with_changes(self, **changes: Any) -> LoopConfig:
        """A copy with some settings changed (validated again)."""
        return replace(self, **changes)


def check_range(name: str, value: float, bounds: tuple[float, float], integer: bool = False) -> None:
    """Refuse a value outside ``bounds`` (inclusive) with a message a learner can act on."""
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"The {name} must be a number, not {value!r}.")
    if not math.isfinite(value) or not low <= value <= high:
        raise ConfigError(
            f"The {name} must be between {readable(low)} and {readable(high)}; {readable(value)} is outside that range."
        )
    if integer and value != int(value):  # after the finiteness check: int(inf) would raise
        raise ConfigError(f"The {name} must be a whole number, not {value!r}.")


def readable(value: float) -> str:
    """A number as a learner reads it: whole numbers with thousands separators, others exactly."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return repr(float(value))


SOLUTION = LoopConfig()


@dataclass(frozen=True)
class Draft:
    """One of the lesson's drafts: how it is named, introduced, and the loop it runs."""

    key: str  # what a link, a preset button and the command line (--draft) call it
    label: str  # a button's or a legend's words
    title: str  # one line saying what the draft's code does
    introduction: str  # before the run, what to look at, without giving the answer away
    config: LoopConfig

    @property
    def in_lesson(self) -> bool:
        """Whether the lesson itself writes this draft (the torch.optim.SGD draft comes after it)."""
        return self.key.isdigit()


# The lesson's drafts, in order; Draft 4 is the solution. Drafts 1 and 2 are single steps
# and write no zeroing lines. "sgd" comes after the lesson: what a learner writes next, the
# solution's loop with torch.optim.SGD doing the update and the zeroing.
LESSON_DRAFTS: dict[str, Draft] = {
    draft.key: draft
    for draft in (
        Draft(
            "1",
            "Draft 1",
            "Draft 1: one step, update by reassignment outside no_grad",
            "One step, with the update written as a reassignment outside `torch.no_grad()`: "
            "`m = m - 0.02*m.grad`. Watch what `m` is after the update: the same tensor, or a new one?",
            LoopConfig(no_grad=False, update=Update.REASSIGN, zero_grad=False, iterations=1),
        ),
        Draft(
            "2",
            "Draft 2",
            "Draft 2: one step, update in place inside no_grad",
            "One step again, now updating in place inside `with torch.no_grad():`, so autograd does not record "
            "the update. (Updating `m.data` is the lesson's alternative.)",
            LoopConfig(no_grad=True, update=Update.IN_PLACE, zero_grad=False, iterations=1),
        ),
        Draft(
            "3",
            "Draft 3",
            "Draft 3: the loop, gradients never zeroed",
            "Now the loop: 10,000 iterations of the same step. But nothing resets `m.grad` and `b.grad` "
            "between iterations, and PyTorch's `backward()` adds to `.grad` rather than replacing it.",
            LoopConfig(no_grad=True, update=Update.IN_PLACE, zero_grad=False, iterations=10_000),
        ),
        Draft(
            "4",
            "Draft 4 (solution)",
            "Draft 4: the solution",
            "The solution: after each update the gradients are set to `None`, so every step uses a fresh gradient.",
            SOLUTION,
        ),
        Draft(
            "sgd",
            "torch.optim.SGD",
            "The idiomatic draft: torch.optim.SGD",
            "What a learner writes next: `torch.optim.SGD` holds `m` and `b`; `optimizer.step()` does the update "
            "(in place, without recording it) and `optimizer.zero_grad()` clears the gradients.",
            LoopConfig(optimizer=True),
        ),
    )
}
# The configurations alone, by key: what most code needs of a draft.
DRAFTS: dict[str, LoopConfig] = {key: draft.config for key, draft in LESSON_DRAFTS.items()}


def differences(config: LoopConfig) -> list[str]:
    """How a configuration's loop departs from the solution's, in plain words."""
    found = []
    if config.optimizer:
        found.append(f"written with torch.optim.{config.algorithm.class_name} (optimizer.step() updates m and b)")
    if config.optimizer and config.algorithm.options:
        found.append(f"the optimizer is {config.algorithm.words}")
    if config.loss is not SOLUTION.loss:
        found.append(f"the loss is the {config.loss.words}")
    if config.center:
        found.append("x centred (its mean subtracted)")
    if not config.no_grad:
        found.append("update outside torch.no_grad()")
    if config.update != SOLUTION.update:
        found.append(f"update written as {config.update.described()}")
    if not config.zero_grad and config.loops:
        found.append("optimizer.zero_grad() forgotten" if config.optimizer else "gradients never zeroed")
    if not config.loops:
        found.append("one step instead of a loop")
    return found


def matching_draft(config: LoopConfig) -> str | None:
    """The name of the lesson draft this configuration is, ignoring lr, start and dataset."""
    for name, draft in DRAFTS.items():
        if replace(config, lr=draft.lr, m0=draft.m0, b0=draft.b0, dataset=draft.dataset) == draft:
            return name
    return None


# Named configurations to compare: the drafts and the other rows of the lesson's bug table.
# The keys are what a shared link carries (?compare=3&compare=4).
VARIANTS: dict[str, tuple[str, LoopConfig]] = {
    **{key: (draft.label, draft.config) for key, draft in LESSON_DRAFTS.items() if draft.in_lesson},
    "1-loop": ("Draft 1 looped", DRAFTS["1"].with_changes(iterations=SOLUTION.iterations)),
    "in-place-outside": ("in place outside no_grad", SOLUTION.with_changes(no_grad=False)),
    "reassign-inside": ("reassign inside no_grad", SOLUTION.with_changes(update=Update.REASSIGN)),
    "data": ("through .data", SOLUTION.with_changes(update=Update.DATA, no_grad=False)),
    "sgd": (LESSON_DRAFTS["sgd"].label, DRAFTS["sgd"]),
    "sgd-no-zero-grad": (
        f"{LESSON_DRAFTS['sgd'].label} without zero_grad",
        DRAFTS["sgd"].with_changes(zero_grad=False),
    ),
}
