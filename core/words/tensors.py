"""What the recorded tensor facts say, in the lesson's words: each fact's meaning, and sentences on m and yhat.

Every sentence is built from ``RunResult.facts`` (what torch reported at a moment of an iteration),
not from the configuration; the configuration only names the code that ran.
"""

from __future__ import annotations

from core.lesson.drafts import LoopConfig, Update
from core.lesson.results import ParamFacts, RunResult, TensorFacts

# The lesson's tensor facts, each with its one-line meaning: true of any tensor (tests/test_explain_facts.py
# checks each against torch). What they say about a run is built from its facts below.
FACT_EXPLANATIONS = {
    "is_leaf": (
        "A leaf is a tensor autograd did not compute: one you created, or one made while autograd was not "
        "recording. backward() fills the .grad of leaves that require grad."
    ),
    "requires_grad": "Whether autograd records the operations on it, so that gradients can flow back to it.",
    "grad_fn": "The autograd operation that computed it; None for a leaf.",
    ".grad": (
        "What backward() left there; None before the first backward(), after zeroing, and on a tensor "
        "backward() does not fill (a non-leaf, or one that does not require grad)."
    ),
    "data_ptr() changed": (
        "Whether its memory is not where it started: a reassignment makes a new tensor in new memory; an "
        "update through .data keeps the tensor but gives it new memory; an in-place update keeps both."
    ),
}


def kind_of(param: ParamFacts) -> str:
    """What a parameter is by its recorded facts: a leaf that requires grad, one that does not, or a non-leaf."""
    if not param.is_leaf:
        return f"not a leaf: autograd recorded the operation that made it, so it has a `grad_fn` (`{param.grad_fn}`)"
    if param.requires_grad:
        return "a leaf that requires grad, with no `grad_fn`"
    return "a leaf that does not require grad: autograd does not track it"


def memory_of(param: ParamFacts, name: str = "m") -> str:
    """Where a parameter's memory is, compared with where it started."""
    if param.data_ptr_changed:
        return f"in new memory (`{name}.data_ptr()` is not where it started)"
    return f"in the same memory it started in (`{name}.data_ptr()` unchanged)"


def grad_of(param: ParamFacts, name: str = "m") -> str:
    """What a parameter's ``.grad`` holds."""
    return f"`{name}.grad` is `None`" if param.grad_is_none else f"`{name}.grad` holds {param.grad:.4g}"


def update_code(config: LoopConfig) -> str:
    """The update that ran, as code with where it ran: ``m -= lr*m.grad`` inside ``torch.no_grad()``."""
    if config.optimizer:
        return "`optimizer.step()`"
    where = "inside" if config.no_grad else "outside"
    return f"`{config.update.statement()}` {where} `torch.no_grad()`"


# What each way of writing the update does to the tensor named `m` (Python's names, not torch's facts).
_NAME_BINDING = {
    Update.REASSIGN: ", which makes a new `m` from the old one",
    Update.DATA: ", which keeps the tensor `m` and replaces its data: it works, but autograd never sees the change",
    Update.IN_PLACE: "",
}


def update_sentence(config: LoopConfig, after: TensorFacts, before: TensorFacts | None = None) -> str:
    """What an update left `m` as, from the facts recorded after it; the code is named from the configuration."""
    m = after.m
    binding = "" if config.optimizer else _NAME_BINDING[config.update]
    kept = before is not None and (m.is_leaf, m.requires_grad) == (before.m.is_leaf, before.m.requires_grad)
    still = "still " if kept and config.update is not Update.REASSIGN else ""  # a reassigned `m` is a new tensor
    # The facts are recorded after the update and after any zeroing: say so, since zeroing sets .grad to None.
    zeroed = " and the zeroing of the gradients" if config.zero_grad else ""
    return (
        f"After the update{zeroed} of iteration {after.iteration} ({update_code(config)}{binding}), `m` is "
        f"{still}{kind_of(m)}. It sits {memory_of(m)}, and {grad_of(m)}."
    )


def after_first_update(result: RunResult) -> str:
    """What the first update did to m and what it means for a next iteration, read from the recorded facts."""
    first = {f.moment: f for f in result.facts if f.iteration == 0}
    after = first.get("after update")
    if after is None:
        return ""
    m = after.m
    if not m.is_leaf:
        then = (
            "`backward()` fills the `.grad` of leaves only (unless `retain_grad()` is called), so a second "
            "iteration would find `m.grad` to be `None`, and its update would fail."
        )
    elif not m.requires_grad:
        then = "A second iteration's `loss.backward()` would fail: nothing its loss is computed from requires grad."
    else:
        then = "A loop can repeat it."
    return f"{update_sentence(result.config, after, first.get('before update'))} {then}"


def yhat_sentence(facts: TensorFacts) -> str:
    """What the facts say about ``yhat``, ``x`` and ``y`` at one moment, in the lesson's words."""
    shown = (
        f"`yhat`: is_leaf **{facts.yhat_is_leaf}**, requires_grad **{facts.yhat_requires_grad}**, retains_grad "
        f"**{facts.yhat_retains_grad}**"
    )
    if facts.yhat_requires_grad and not facts.yhat_is_leaf and not facts.yhat_retains_grad:
        shown += (
            ": it is computed from `m` and `b`, so autograd tracks it, but it keeps no gradient of its own: "
            "reading `yhat.grad` gives `None`, with PyTorch's warning, unless `yhat.retain_grad()` was called."
        )
    else:
        shown += "."
    data = f" `x.requires_grad` **{facts.x_requires_grad}**, `y.requires_grad` **{facts.y_requires_grad}**"
    if not facts.x_requires_grad and not facts.y_requires_grad:
        return f"{shown}{data}: `torch.from_numpy` makes tensors autograd does not track.{_promotion(facts)}"
    return f"{shown}{data}.{_promotion(facts)}"


def _promotion(facts: TensorFacts) -> str:
    """What the recorded dtypes say: float32 parameters times float64 data make a float64 ``yhat``."""
    m, x, yhat = facts.dtypes
    if not (m and x and yhat) or m == x:
        return ""
    return (
        f" `m` is {m} and `x` {x}, so `yhat` comes out {yhat} (PyTorch's type promotion takes the wider type), "
        "and so does the loss."
    )
