"""Reading a learner's draft as code: its settings, and where it writes each of the catalogue's bugs.

Pure ``ast`` reading, no execution. The settings (learning rate, iterations, starting values, loss,
optimizer) let the catalogue's entries run as the learner's loop would; the bugs found in the
code are the diagnosis's second opinion, after behaviour (``core.code.diagnosis``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from core.lesson.drafts import INITIAL_RANGE, ITERATIONS_RANGE, LR_RANGE, SOLUTION, Algorithm, LoopConfig, Loss

PARAMETERS = ("m", "b")


@dataclass(frozen=True)
class Found:
    """A bug the code shows, at the learner's line (None where it is an absence, e.g. no backward())."""

    key: str
    line: int | None


@dataclass
class Reading:
    """What the draft's code says."""

    config: LoopConfig  # the solution on the draft's own settings
    found: list[Found] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        return [f.key for f in self.found]

    def line_of(self, key: str) -> int | None:
        return next((f.line for f in self.found if f.key == key), None)


def _attribute_chain(node: ast.AST) -> str:
    """``m.grad.data`` for the expression of that shape; "" for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return ""


def _uses_grad(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "grad" for n in ast.walk(node))


def _method_calls(node: ast.AST) -> list[tuple[str, ast.Call]]:
    """Each call of a method in ``node`` as (``receiver.method``, call)."""
    return [
        (_attribute_chain(n.func), n) for n in ast.walk(node) if isinstance(n, ast.Call) and _attribute_chain(n.func)
    ]


def _is_no_grad(item: ast.withitem) -> bool:
    expression = item.context_expr
    return isinstance(expression, ast.Call) and _attribute_chain(expression.func).endswith("no_grad")


def _statements(body: list[ast.stmt], in_no_grad: bool = False) -> list[tuple[ast.stmt, bool]]:
    """The simple statements of ``body`` in order, each with whether it runs inside ``torch.no_grad()``."""
    out: list[tuple[ast.stmt, bool]] = []
    for statement in body:
        if isinstance(statement, ast.With):
            inside = in_no_grad or any(_is_no_grad(item) for item in statement.items)
            out += _statements(statement.body, inside)
        elif isinstance(statement, (ast.If, ast.For, ast.While, ast.Try)):
            out += _statements(statement.body, in_no_grad)
            out += _statements(getattr(statement, "orelse", []), in_no_grad)
        else:
            out.append((statement, in_no_grad))
    return out


def _constants(tree: ast.Module) -> dict[str, float]:
    """Top-level ``name = number`` assignments."""
    values = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant):
            value = statement.value.value
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        values[target.id] = float(value)
    return values


def _number(node: ast.AST | None, constants: dict[str, float]) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand, constants)
        return None if inner is None else -inner
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def _loop(tree: ast.Module) -> ast.For | ast.While | None:
    loops = [s for s in tree.body if isinstance(s, (ast.For, ast.While))]
    calls_backward = [loop for loop in loops if any(c.endswith(".backward") for c, _ in _method_calls(loop))]
    return next(iter(calls_backward or loops), None)


def _iterations(loop: ast.For | ast.While | None, constants: dict[str, float]) -> int:
    if loop is None:
        return 1
    call = loop.iter if isinstance(loop, ast.For) else None
    if (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id == "range"
        and len(call.args) == 1
    ):
        count = _number(call.args[0], constants)
        if count is not None and count >= 1:
            return int(count)
    return SOLUTION.iterations


def _parameter_setup(tree: ast.Module) -> dict[str, ast.Call]:
    """``m = torch.tensor(...)`` (or as_tensor, zeros, ...) at the top level, by parameter."""
    setups = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call):
            for target in statement.targets:
                if isinstance(target, ast.Name) and target.id in PARAMETERS and target.id not in setups:
                    setups[target.id] = statement.value
    return setups


def _start(call: ast.Call | None) -> tuple[float | None, bool]:
    """A parameter's starting value, and whether it is written as an integer with no floating dtype."""
    if call is None or not call.args:
        return None, False
    value = call.args[0]
    if isinstance(value, (ast.List, ast.Tuple)) and len(value.elts) == 1:
        value = value.elts[0]
    start = _number(value, {})
    integer = isinstance(value, ast.Constant) and isinstance(value.value, int)
    floating = any(k.arg == "dtype" for k in call.keywords)
    return start, integer and not floating


def _keyword(call: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _optimizer(tree: ast.Module, constants: dict[str, float]) -> tuple[Algorithm | None, float | None]:
    for name, call in _method_calls(tree):
        if name.endswith("optim.SGD") or name.endswith("optim.Adam"):
            lr = _number(_keyword(call, "lr") or (call.args[1] if len(call.args) > 1 else None), constants)
            if name.endswith("Adam"):
                return Algorithm.ADAM, lr
            momentum = _number(_keyword(call, "momentum"), constants) or 0.0
            return (Algorithm.MOMENTUM if momentum == 0.9 else Algorithm.SGD), lr
    return None, None


def _update_lr(statements: list[tuple[ast.stmt, bool]], constants: dict[str, float]) -> float | None:
    """The factor before ``.grad`` in the first update: ``0.02*m.grad`` or ``lr*m.grad``."""
    for statement, _ in statements:
        for node in ast.walk(statement):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
                for factor, other in ((node.left, node.right), (node.right, node.left)):
                    if _uses_grad(other) and (lr := _number(factor, constants)) is not None:
                        return abs(lr)
    return None


def _targets(statement: ast.stmt) -> list[str]:
    if isinstance(statement, ast.Assign):
        return [_attribute_chain(t) for t in statement.targets]
    if isinstance(statement, (ast.AugAssign, ast.AnnAssign)):
        return [_attribute_chain(statement.target)]
    return []


def _is_zeroing(statement: ast.stmt) -> bool:
    """``m.grad = None``, ``m.grad.zero_()``, ``m.grad.data.zero_()``, ``m.grad *= 0``, ``optimizer.zero_grad()``."""
    if any(t.endswith(".grad") for t in _targets(statement)):
        return not isinstance(statement, ast.AugAssign) or isinstance(statement.op, ast.Mult)
    calls = [name for name, _ in _method_calls(statement)]
    return any(
        name.endswith(".grad.zero_") or name.endswith(".grad.data.zero_") or name.endswith("zero_grad")
        for name in calls
    )


def _update_kind(statement: ast.stmt) -> str | None:
    """How ``statement`` updates a parameter with its gradient: in-place, reassign, data, step; None if it does not."""
    names = [name for name, _ in _method_calls(statement)]
    if any(name.endswith(".step") for name in names):
        return "step"
    if not _uses_grad(statement) or _is_zeroing(statement):
        return None
    targets = _targets(statement)
    if isinstance(statement, ast.AugAssign) and targets[0] in PARAMETERS:
        return "in-place"
    if any(t in PARAMETERS for t in targets):
        return "reassign"
    if any(t in (f"{p}.data" for p in PARAMETERS) for t in targets):
        return "data"
    if any(name in (f"{p}.{op}" for p in PARAMETERS for op in ("sub_", "add_")) for name in names):
        return "in-place"
    if any(name.split(".")[0] in PARAMETERS and name.endswith(("sub_", "add_")) for name in names):
        return "data"  # m.data.sub_(...)
    return None


def _ascends(statement: ast.stmt) -> bool:
    """An update that adds the gradient: ``m += lr*m.grad``, ``m = m + lr*m.grad``, ``m.add_(lr*m.grad)``."""
    if isinstance(statement, ast.AugAssign):
        return isinstance(statement.op, ast.Add) and not _negated(statement.value)
    value = getattr(statement, "value", None)
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
        return _uses_grad(value.right) or _uses_grad(value.left)
    return any(
        name.endswith(".add_") and not any(k.arg == "alpha" for k in call.keywords)
        for name, call in _method_calls(statement)
    )


def _negated(node: ast.AST) -> bool:
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)


def _is_forward(statement: ast.stmt) -> bool:
    """``yhat = m*x + b``: a new name computed from the parameters, without their gradients."""
    if not isinstance(statement, ast.Assign) or _uses_grad(statement):
        return False
    reads = {n.id for n in ast.walk(statement.value) if isinstance(n, ast.Name)}
    targets = _targets(statement)
    return bool(reads & set(PARAMETERS)) and not any(t in PARAMETERS or "." in t for t in targets)


def _column_target(tree: ast.Module) -> int | None:
    """The line that makes ``y`` a column: ``.reshape(-1, 1)``, ``.view(-1, 1)``, ``.unsqueeze(1)``, ``[:, None]``."""
    for statement in ast.walk(tree):
        if isinstance(statement, ast.Assign) and "y" in _targets(statement):
            calls = [
                n for n in ast.walk(statement.value) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            ]
            for call in calls:
                name = call.func.attr  # type: ignore[attr-defined]
                shape = [_number(a, {}) for a in call.args]
                if name in ("reshape", "view") and shape[-1:] == [1.0] and len(shape) == 2:
                    return statement.lineno
                if name == "unsqueeze" and shape in ([1.0], [-1.0]):
                    return statement.lineno
            if any(isinstance(n, ast.Subscript) and "None" in ast.unparse(n.slice) for n in ast.walk(statement.value)):
                return statement.lineno
    return None


def _clamped(value: float, bounds: tuple[float, float]) -> float:
    """A setting the catalogue can run: the draft's own where the Lab's bounds allow it."""
    low, high = bounds
    return min(max(value, low), high)


def read(code: str) -> Reading | None:
    """The draft's settings and the bugs its code shows; None if it does not parse."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    constants = _constants(tree)
    loop = _loop(tree)
    body = _statements(loop.body if loop is not None else tree.body)
    algorithm, optimizer_lr = _optimizer(tree, constants)
    setups = _parameter_setup(tree)
    m0, m_integer = _start(setups.get("m"))
    b0, b_integer = _start(setups.get("b"))
    lr = optimizer_lr or _update_lr(body, constants) or SOLUTION.lr
    loss = Loss.RMSE if any(name.endswith("sqrt") for name, _ in _method_calls(loop or tree)) else Loss.MSE
    config = SOLUTION.with_changes(
        lr=_clamped(lr, LR_RANGE),
        iterations=int(_clamped(_iterations(loop, constants), ITERATIONS_RANGE)),
        m0=_clamped(m0 or 0.0, INITIAL_RANGE),
        b0=_clamped(b0 or 0.0, INITIAL_RANGE),
        loss=loss,
        optimizer=algorithm is not None,
        algorithm=algorithm or Algorithm.SGD,
    )
    return Reading(config, _found(tree, loop, body, setups, m_integer or b_integer))


def _found(tree, loop, body, setups, integer: bool) -> list[Found]:
    found = []
    if loop is None:
        found.append(Found("single-step", None))
    if integer:
        found.append(Found("integer-parameters", (setups.get("m") or setups.get("b")).lineno))
    for name, call in setups.items():
        grad_later = any(c == f"{name}.requires_grad_" for c, _ in _method_calls(tree)) or any(
            f"{name}.requires_grad" in _targets(s) for s in ast.walk(tree) if isinstance(s, ast.stmt)
        )
        if (
            not isinstance(_keyword(call, "requires_grad"), ast.Constant)
            and not grad_later
            and "Parameter" not in ast.unparse(call.func)
        ):
            found.append(Found("missing-requires-grad", call.lineno))
            break
    if (line := _column_target(tree)) is not None:
        found.append(Found("target-shape", line))
    backward = [s for s, _ in body if any(c.endswith(".backward") for c, _ in _method_calls(s))]
    if not backward:
        found.append(Found("no-backward", None))
    forward = next(((s, inside) for s, inside in body if _is_forward(s)), None)
    if forward is not None and forward[1]:
        found.append(Found("forward-in-no-grad", forward[0].lineno))
    updates = [(s, inside, kind) for s, inside in body if (kind := _update_kind(s)) is not None]
    zeroings = [s for s, _ in body if _is_zeroing(s)]
    found += _update_bugs(updates)
    if loop is not None and not zeroings:
        found.append(Found("gradients-not-zeroed", None))
    if backward and updates and zeroings:
        first_update, after_backward = updates[0][0].lineno, backward[0].lineno
        early = [z for z in zeroings if after_backward < z.lineno < first_update]
        if early:
            found.append(Found("zeroed-before-update", early[0].lineno))
    return found


def _update_bugs(updates: list[tuple[ast.stmt, bool, str]]) -> list[Found]:
    found = []
    for statement, inside, kind in updates:
        if kind == "in-place" and not inside:
            found.append(Found("in-place-outside-no-grad", statement.lineno))
        elif kind == "reassign":
            found.append(Found("reassign-inside-no-grad" if inside else "reassign-outside-no-grad", statement.lineno))
        if kind != "step" and _ascends(statement):
            found.append(Found("wrong-sign", statement.lineno))
    unique: dict[str, Found] = {}
    for each in found:
        unique.setdefault(each.key, each)  # m's line, not b's too
    return list(unique.values())
