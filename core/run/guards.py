"""The sandbox's allow-lists: what a learner's draft may import, read, write and call.

RestrictedPython compiles every attribute read of the draft to ``_getattr_(obj, name)``, every
attribute or item write to ``_write_(obj)``, every in-place operator to ``_inplacevar_`` and
every import to the builtins' ``__import__``: this module supplies them, each an allow-list by
the kind of object (a tensor, the torch module, an optimizer, a NumPy array, a list, ...). What
is not listed is refused with a message naming it, so a function that reads or writes files
(``torch.save``, ``ndarray.tofile``, ``np.load``) is unavailable because it was never listed.
"""

from __future__ import annotations

import builtins
import dis
import math
import operator
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

FILENAME = "<your draft>"  # the learner's code, as tracebacks and warnings name it
MAX_PRINTED = 20_000  # characters of printed output kept; the rest is cut with a note


class Refused(Exception):
    """Something the sandbox does not allow, said in words for the learner."""


# -- what the learner's code may read -------------------------------------------------------------


def _names(text: str) -> frozenset[str]:
    """An allow-list written as words: easier to read and review than a column of strings."""
    return frozenset(text.split())


TORCH_NAMES = _names(
    "tensor from_numpy as_tensor sqrt mean sum no_grad enable_grad optim float32 float64 float16 "
    "int64 int32 zeros ones zeros_like ones_like full arange linspace randn rand manual_seed abs "
    "square pow exp log max min clamp where isfinite isnan allclose dot matmul stack cat is_tensor "
    "is_grad_enabled nn"
)
OPTIM_NAMES = frozenset({"SGD", "Adam"})
NN_NAMES = frozenset({"functional", "Parameter"})
FUNCTIONAL_NAMES = frozenset({"mse_loss", "l1_loss"})
TENSOR_ATTRS = _names(
    "grad data item zero_ sub_ add_ mul_ div_ copy_ fill_ requires_grad requires_grad_ is_leaf "
    "grad_fn data_ptr reshape view detach clone backward shape dtype mean sum sqrt pow abs square exp "
    "log numpy tolist float double retain_grad retains_grad size dim ndim numel squeeze unsqueeze "
    "flatten t T max min clamp norm neg argmin argmax isfinite any all"
)
OPTIMIZER_ATTRS = frozenset({"step", "zero_grad", "param_groups"})
GRAPH_NODE_ATTRS = frozenset({"name", "next_functions"})
NUMPY_NAMES = _names(
    "array asarray mean sum sqrt float32 float64 int64 linspace arange zeros ones abs square exp log "
    "polyfit isfinite isnan allclose round min max argmin argmax std var dot clip random"
)
NUMPY_RANDOM_NAMES = frozenset({"default_rng", "seed"})
NDARRAY_ATTRS = _names(
    "shape dtype mean sum reshape astype size ndim min max std var item tolist T copy round argmin "
    "argmax squeeze flatten"
)
GENERATOR_ATTRS = frozenset({"uniform", "normal", "integers", "random"})
MATH_NAMES = frozenset(
    ["sqrt", "isfinite", "isnan", "isinf", "inf", "nan", "exp", "log", "log10", "pi", "fabs", "floor", "ceil"]
)
DTYPE_ATTRS = frozenset({"is_floating_point"})
BUILTIN_TYPE_ATTRS: dict[type, frozenset[str]] = {
    list: frozenset(
        ["append", "extend", "insert", "pop", "index", "count", "copy", "reverse", "sort", "clear", "remove"]
    ),
    dict: frozenset(["items", "keys", "values", "get", "copy", "update", "pop", "setdefault"]),
    tuple: frozenset({"index", "count"}),
    set: frozenset(["add", "update", "discard", "remove", "copy", "union", "intersection"]),
    # Not format or format_map: "{0.__class__}".format(x) reads attributes past every guard.
    str: _names(
        "join upper lower strip lstrip rstrip split replace startswith endswith rjust ljust center zfill "
        "splitlines title capitalize isdigit count find"
    ),
    float: frozenset({"is_integer", "real", "imag"}),
    int: frozenset({"real", "imag", "bit_length"}),
}
WRITABLE_TENSOR_ATTRS = frozenset({"grad", "data", "requires_grad"})
IMPORTABLE = frozenset({"torch", "torch.optim", "torch.nn", "torch.nn.functional", "numpy", "math"})


_BY_TYPE: dict[type, frozenset[str] | None] = {}  # each type's allow-list, once looked up (the hot loop reads it)


def _allowed_names(obj: object) -> frozenset[str] | None:
    """The attributes the learner may read on ``obj``; None for an object the sandbox offers nothing of."""
    kind = type(obj)
    if kind in _BY_TYPE:
        return _BY_TYPE[kind]
    if isinstance(obj, type(math)):
        return _MODULES.get(id(obj))
    _BY_TYPE[kind] = names = _names_of_kind(obj)
    return names


def _module_names() -> dict[int, frozenset[str]]:
    return {
        id(torch): TORCH_NAMES,
        id(torch.optim): OPTIM_NAMES,
        id(torch.nn): NN_NAMES,
        id(torch.nn.functional): FUNCTIONAL_NAMES,
        id(np): NUMPY_NAMES,
        id(np.random): NUMPY_RANDOM_NAMES,
        id(math): MATH_NAMES,
    }


_MODULES = _module_names()


def _names_of_kind(obj: object) -> frozenset[str] | None:
    kinds: tuple[tuple[type | tuple[type, ...], frozenset[str]], ...] = (
        (torch.Tensor, TENSOR_ATTRS),
        (torch.optim.Optimizer, OPTIMIZER_ATTRS),
        (torch.autograd.graph.Node, GRAPH_NODE_ATTRS),
        (np.ndarray, NDARRAY_ATTRS),
        (np.generic, frozenset({"item", "dtype", "shape"})),
        (np.random.Generator, GENERATOR_ATTRS),
        (torch.dtype, DTYPE_ATTRS),
    )
    for kind, names in kinds:
        if isinstance(obj, kind):
            return names
    for kind, names in BUILTIN_TYPE_ATTRS.items():
        if type(obj) is kind or (kind is tuple and isinstance(obj, tuple)):
            return names
    return None


def _described(obj: object) -> str:
    """How a refusal names the object whose attribute was asked for."""
    if isinstance(obj, type(math)):
        return f"the module {obj.__name__}"
    return f"a {type(obj).__name__}"


def guarded_getattr(obj: object, name: str, *default: object) -> object:
    """``obj.name`` if the allow-list lists ``name`` for this kind of object; else a refusal."""
    allowed = _allowed_names(obj)
    if allowed is None or name not in allowed:
        raise Refused(f"`.{name}` of {_described(obj)} is not available in your draft")
    return getattr(obj, name, *default)


class Writer:
    """What ``_write_`` hands back: attribute writes on tensors' allowed attributes, item writes as they are."""

    def __init__(self, target: object) -> None:
        object.__setattr__(self, "target", target)

    def __setattr__(self, name: str, value: object) -> None:
        target = object.__getattribute__(self, "target")
        if not isinstance(target, torch.Tensor) or name not in WRITABLE_TENSOR_ATTRS:
            raise Refused(f"setting `.{name}` of {_described(target)} is not available in your draft")
        setattr(target, name, value)

    def __setitem__(self, key: object, value: object) -> None:
        object.__getattribute__(self, "target")[key] = value

    def __delitem__(self, key: object) -> None:
        del object.__getattribute__(self, "target")[key]


SUBSCRIPTABLE = (torch.Tensor, np.ndarray, list, tuple, dict, str, range)


def guarded_getitem(obj: Any, key: Any) -> object:
    """``obj[key]`` on the containers a loop uses."""
    if not isinstance(obj, SUBSCRIPTABLE):
        raise Refused(f"indexing {_described(obj)} is not available in your draft")
    return obj[key]


_IN_PLACE = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "@=": operator.imatmul,
}


def in_place(op: str, target: object, value: object) -> object:
    """``target op= value`` with Python's own in-place meaning: ``m -= ...`` changes the tensor itself."""
    if op not in _IN_PLACE:
        raise Refused(f"the operator `{op}` is not available in your draft")
    return _IN_PLACE[op](target, value)


def _import_statement() -> bool:
    """Whether the import under way is an ``import`` statement of the draft's, not torch's C code importing
    its own parts (which calls ``__import__`` from the draft's frame too, in the middle of a call)."""
    frame = sys._getframe(2)  # this function's caller's caller: the frame that is importing
    return frame.f_code.co_filename == FILENAME and frame.f_code.co_code[frame.f_lasti] == IMPORT_NAME


IMPORT_NAME = dis.opmap["IMPORT_NAME"]


def guarded_import(name: str, globals_: object = None, locals_: object = None, fromlist=(), level: int = 0):
    """``import`` of torch, NumPy and math only; ``from X import y`` only of names the allow-list has.

    Torch's C code imports its own modules while a draft's call runs; those are already loaded
    and are handed back as they are (an attribute of a module the allow-lists do not list is refused).
    """
    if not _import_statement():
        if name not in sys.modules:
            raise Refused(f"loading the module {name} is not available in your draft")
        return __import__(name, fromlist=fromlist or (), level=level)
    if level != 0 or name not in IMPORTABLE:
        raise Refused(f"`import {name}` is not available in your draft: it may import torch, numpy and math")
    module = __import__(name, fromlist=fromlist or (), level=0)
    for each in fromlist or ():
        guarded_getattr(module, each)
    return module


class Printed:
    """Everything the draft printed, cut at ``MAX_PRINTED`` characters."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.cut = False

    def write(self, text: str) -> None:
        room = MAX_PRINTED - self.size
        if len(text) > room:
            text, self.cut = text[: max(0, room)], True
        self.parts.append(text)
        self.size += len(text)

    def text(self) -> str:
        more = f"\n… output cut at {MAX_PRINTED:,} characters" if self.cut else ""
        return "".join(self.parts) + more


def print_factory(printed: Printed) -> Callable[..., Any]:
    """RestrictedPython's ``_print_``: called once a scope, its ``_call_print`` for each print()."""

    class _Print:
        def __init__(self, _getattr: object = None) -> None:
            pass

        def _call_print(self, *objects: object, sep: str = " ", end: str = "\n", **rest: object) -> None:
            if rest:
                raise Refused("print() in your draft takes only sep= and end=")
            if printed.cut:
                return
            printed.write(str(sep).join(str(each) for each in objects) + str(end))

    return _Print


SAFE_BUILTINS: dict[str, object] = {
    name: getattr(builtins, name)
    for name in [
        "abs",
        "all",
        "any",
        "bool",
        "dict",
        "enumerate",
        "float",
        "int",
        "isinstance",
        "len",
        "list",
        "max",
        "min",
        "range",
        "reversed",
        "round",
        "sorted",
        "str",
        "sum",
        "tuple",
        "zip",
        "set",
        "frozenset",
        "divmod",
        "pow",
        "repr",
        "chr",
        "ord",
        "hash",
        "callable",
        "map",
        "filter",
        "Exception",
        "ValueError",
        "TypeError",
        "RuntimeError",
        "ArithmeticError",
        "ZeroDivisionError",
        "IndexError",
        "KeyError",
        "StopIteration",
        "AssertionError",
        "NameError",
        "AttributeError",
    ]
} | {"True": True, "False": False, "None": None}
