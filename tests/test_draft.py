"""A learner's own draft: each catalogue bug found in two styles, the lesson's drafts as printed, the
sandbox's refusals (language and process), the command line and the page."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from core import ROOT
from core.code import bugs, link, source
from core.lesson.data import load_builtin
from core.lesson.drafts import LESSON_DRAFTS
from core.measure.verdict import Verdict
from core.run.guards import MAX_PRINTED
from core.run.sandbox import run_draft
from core.serve.checking import check
from core.serve.sandbox import SandboxService

DATA = load_builtin("solution")
SHORT = "300"  # iterations: the catalogue's 10,000 shortened, the bugs show within the first


@pytest.fixture(scope="module")
def service():
    return SandboxService(running=2, cpu_seconds=4)


def checked(service, code: str):
    found = check(code, DATA, service)
    assert found.refusal is None, found.refusal
    return found


@pytest.mark.parametrize("key", [bug.key for bug in bugs.BUGS])
def test_each_catalogue_entry_as_the_lab_writes_it_gets_its_key(service, key):
    found = checked(service, bugs.preset(key).replace("10_000", SHORT))
    assert found.diagnosis.key == key


# Each entry in another style: other names, grad.zero_(), torch.optim, sub_(), a while loop.
VARIANTS = {
    "solution": """
        import torch
        lr = 0.02
        m = torch.tensor([0.0], requires_grad=True)
        b = torch.tensor([0.0], requires_grad=True)
        x, y = torch.from_numpy(screentime), torch.from_numpy(sleep)
        for step in range(300):
            loss = torch.sqrt(torch.mean((m*x + b - y)**2))
            loss.backward()
            with torch.no_grad():
                m -= lr * m.grad
                b -= lr * b.grad
                m.grad.zero_()
                b.grad.zero_()
    """,
    "gradients-not-zeroed": """
        import torch
        m = torch.tensor([0.0], requires_grad=True)
        b = torch.tensor([0.0], requires_grad=True)
        x = torch.from_numpy(screentime)
        y = torch.from_numpy(sleep)
        optimizer = torch.optim.SGD([m, b], lr=0.02)
        for i in range(300):
            loss = torch.sqrt(torch.mean((m*x + b - y)**2))
            loss.backward()
            optimizer.step()
    """,
    "in-place-outside-no-grad": """
        import torch
        learning_rate = 0.02
        m = torch.tensor([0.0], requires_grad=True)
        b = torch.tensor([0.0], requires_grad=True)
        x = torch.from_numpy(screentime)
        y = torch.from_numpy(sleep)
        for i in range(300):
            loss = torch.sqrt(torch.mean((m*x + b - y)**2))
            loss.backward()
            m.sub_(learning_rate * m.grad)
            b.sub_(learning_rate * b.grad)
            m.grad = None
            b.grad = None
    """,
    "wrong-sign": """
        import torch
        step_size = 0.02
        m = torch.tensor([0.0], requires_grad=True)
        b = torch.tensor([0.0], requires_grad=True)
        x = torch.from_numpy(screentime)
        y = torch.from_numpy(sleep)
        for i in range(300):
            loss = torch.sqrt(torch.mean((m*x + b - y)**2))
            loss.backward()
            with torch.no_grad():
                m += step_size * m.grad
                b += step_size * b.grad
            m.grad.zero_()
            b.grad.zero_()
    """,
    "no-backward": """
        import torch
        lr = 0.02
        m = torch.tensor([0.0], requires_grad=True)
        b = torch.tensor([0.0], requires_grad=True)
        x = torch.from_numpy(screentime)
        y = torch.from_numpy(sleep)
        i = 0
        while i < 300:
            loss = torch.sqrt(torch.mean((m*x + b - y)**2))
            with torch.no_grad():
                m -= lr * m.grad
                b -= lr * b.grad
            i += 1
    """,
    "integer-parameters": """
        import torch
        m = torch.tensor([1], requires_grad=True)
        b = torch.tensor([1], requires_grad=True)
        x = torch.from_numpy(screentime)
        y = torch.from_numpy(sleep)
        optimizer = torch.optim.SGD([m, b], lr=0.02)
        for i in range(300):
            optimizer.zero_grad()
            loss = torch.mean((m*x + b - y)**2)
            loss.backward()
            optimizer.step()
    """,
    "target-shape": """
        import torch
        m = torch.tensor([0.0], requires_grad=True)
        b = torch.tensor([0.0], requires_grad=True)
        x = torch.from_numpy(screentime)
        y = torch.from_numpy(sleep).unsqueeze(1)
        optimizer = torch.optim.SGD([m, b], lr=0.02)
        for i in range(100):
            optimizer.zero_grad()
            loss = torch.sqrt(torch.mean((m*x + b - y)**2))
            loss.backward()
            optimizer.step()
    """,
    "reassign-outside-no-grad": """
        import torch
        lr = 0.02
        m = torch.tensor([0.0], requires_grad=True)
        b = torch.tensor([0.0], requires_grad=True)
        for i in range(300):
            yhat = m * torch.from_numpy(screentime) + b
            loss = torch.sqrt(torch.mean((yhat - torch.from_numpy(sleep))**2))
            loss.backward()
            m = m - lr * m.grad
            b = b - lr * b.grad
    """,
    "missing-requires-grad": """
        import torch
        m = torch.zeros(1)
        b = torch.zeros(1)
        x = torch.from_numpy(screentime)
        y = torch.from_numpy(sleep)
        for i in range(300):
            loss = torch.sqrt(torch.mean((m*x + b - y)**2))
            loss.backward()
            with torch.no_grad():
                m -= 0.02 * m.grad
                b -= 0.02 * b.grad
            m.grad = None
            b.grad = None
    """,
}


@pytest.mark.parametrize("key", list(VARIANTS))
def test_each_entry_in_another_style_gets_its_key(service, key):
    found = checked(service, textwrap.dedent(VARIANTS[key]))
    assert key in found.diagnosis.keys, (found.diagnosis, found.record.get("error"))


@pytest.mark.parametrize(
    ("draft", "expected"),
    [
        ("1", "single-step,reassign-outside-no-grad"),
        ("2", "single-step"),
        ("3", "gradients-not-zeroed"),
        ("4", "solution"),
        ("sgd", "solution"),
    ],
)
def test_the_lessons_drafts_as_printed_get_theirs(service, draft, expected):
    code = source.render(LESSON_DRAFTS[draft].config).replace("10_000", SHORT)
    assert checked(service, code).diagnosis.key == expected


def test_a_draft_runs_exactly_as_the_engine_runs_the_solution():
    """The sandbox changes nothing the loop does: the lesson's figures, to the last bit of float32."""
    record = run_draft(bugs.preset("solution"), DATA.x, DATA.y)
    assert record.status == "finished" and len(record.rows) == 10_000
    first = record.rows[0]
    assert (round(first[3], 3), round(first[4], 3), round(first[5], 3)) == (-6.635, -0.917, 5.659)
    assert (round(record.final[0], 3), round(record.final[1], 3)) == (-0.755, 11.241)
    from core.lesson.drafts import SOLUTION
    from core.run import engine

    ran = engine.run(SOLUTION)
    assert record.final == (ran.outcome.final_m, ran.outcome.final_b)
    columns = ["m", "b", "m_grad", "b_grad", "loss"]
    assert np.array_equal(np.asarray(record.rows)[:, 1:], ran.trajectory[columns].to_numpy())


def test_the_verdict_of_a_configured_bug_is_the_labs(service):
    """A draft whose bug is one of the Lab's switches is judged by the Lab's own verdict."""
    found = checked(service, bugs.preset("lr-too-large").replace("10_000", SHORT))
    assert found.verdict in (Verdict.OSCILLATING, Verdict.DIVERGED)
    assert checked(service, bugs.preset("solution")).verdict is Verdict.CONVERGED


# -- the language layer: refused or unavailable, nothing written -----------------------------------------

HOSTILE = {
    "import os": "import os\nos.system('touch {tmp}/x')",
    "import subprocess": "import subprocess",
    "from torch import save": "from torch import save\nsave(1, '{tmp}/x')",
    "torch.save": "import torch\ntorch.save(torch.ones(1), '{tmp}/x')",
    "torch.load": "import torch\ntorch.load('{tmp}/x')",
    "torch.from_file": "import torch\ntorch.from_file('{tmp}/x')",
    "torch.hub": "import torch\ntorch.hub.load('a', 'b')",
    "numpy save": "import numpy as np\nnp.save('{tmp}/x', screentime)",
    "ndarray.tofile": "screentime.tofile('{tmp}/x')",
    "np.fromfile": "import numpy as np\nnp.fromfile('{tmp}/x')",
    "tensor storage": "import torch\ntorch.ones(1).untyped_storage()",
    "dunder chain": "x = ().__class__.__bases__[0].__subclasses__()",
    "dunder name": "__builtins__['open']('{tmp}/x', 'w')",
    "getattr string": "getattr(screentime, 'tofile')('{tmp}/x')",
    "eval": "eval('1 + 1')",
    "exec": "exec('x = 1')",
    "open": "open('{tmp}/x', 'w').write('x')",
    "globals": "globals()['x'] = 1",
    "type": "type(screentime)",
    "format attribute": "'{{0.__class__}}'.format(1)",
    "format method": "'{{0}}'.format(1)",
    "generator frame": "g = (i for i in range(3))\nf = g.gi_frame",
    "class": "class A:\n    pass",
    "optimizer state": "import torch\no = torch.optim.SGD([torch.ones(1, requires_grad=True)], lr=1)\no.state_dict()",
    "grad_fn variable": "import torch\nm = torch.ones(1, requires_grad=True)\n"
    "(m*2).grad_fn.next_functions[0][0].variable",
    "hook name": "lesson_records_a_row(1, 2, 3)",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_code_is_refused_and_writes_nothing(name, tmp_path):
    record = run_draft(HOSTILE[name].format(tmp=tmp_path), DATA.x, DATA.y)
    assert record.status in ("refused", "raised"), record
    assert record.error and record.error["message"]
    if record.status == "raised":  # not among the builtins at all
        assert record.error["type"] in ("NameError", "Refused"), record.error
    assert not list(tmp_path.iterdir())


def test_a_refusal_names_what_was_refused():
    record = run_draft("import torch\ntorch.save(1, 'x')", DATA.x, DATA.y)
    assert record.status == "refused"
    assert "`.save` of the module torch is not available" in record.error["message"]
    assert record.error["line"] == 2


def test_huge_prints_are_cut():
    record = run_draft("for i in range(100):\n    print('x' * 10_000)", DATA.x, DATA.y)
    assert record.status == "finished"
    assert len(record.printed) < MAX_PRINTED + 100 and record.printed.endswith("characters")


def test_deep_recursion_is_the_drafts_own_error():
    record = run_draft("def f(n):\n    return f(n + 1)\nf(0)", DATA.x, DATA.y)
    assert record.status == "raised" and record.error["type"] == "RecursionError"


# -- the process layer ------------------------------------------------------------------------------------


def test_an_endless_loop_is_stopped_at_its_cpu_seconds(service):
    found = check("while True:\n    pass", DATA, service)
    stopped = found.refusal is not None or found.record["status"] == "stopped"
    assert stopped, found


def test_a_memory_bomb_fails_to_allocate(service):
    found = check("import torch\nx = torch.ones(2 * 10**9)", DATA, service)
    assert found.refusal is None
    assert found.record["status"] == "raised"
    assert "allocate" in found.record["error"]["message"]


def test_the_confined_process_cannot_write_connect_fork_or_exec(tmp_path):
    probe = textwrap.dedent(
        f"""
        import os, socket, subprocess
        from core.run import confine
        missing = confine.confine(10, 1 << 30)
        results = []
        for attempt in (
            lambda: open({str(tmp_path / "x")!r}, "w"),
            lambda: socket.socket(),
            lambda: os.fork(),
            lambda: subprocess.run(["true"]),
        ):
            try:
                attempt()
                results.append("allowed")
            except OSError:
                results.append("refused")
        print(missing, results)
        """
    )
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    missing_text, _, results = run.stdout.partition("] ")
    assert run.returncode == 0, run.stderr
    assert "seccomp" in missing_text or results.strip() == "['refused', 'refused', 'refused', 'refused']", run.stdout
    assert not list(tmp_path.iterdir())


# -- the command line, the link, the page -----------------------------------------------------------------


def run_file(tmp_path, code: str) -> subprocess.CompletedProcess:
    path = tmp_path / "draft.py"
    path.write_text(code)
    command = [sys.executable, "-m", "core", "--run-file", str(path)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_run_file_prints_the_drafts_output_its_diagnosis_and_verdict(tmp_path):
    code = bugs.preset("gradients-not-zeroed").replace("10_000", SHORT) + "print('done', round(m.item(), 3))\n"
    run = run_file(tmp_path, code)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("done ")
    assert "diagnosis: gradients-not-zeroed" in lines
    assert any(line.startswith("verdict: ") for line in lines)


def test_run_file_exits_1_for_a_raise_and_2_for_a_refusal(tmp_path):
    raised = run_file(tmp_path, bugs.preset("in-place-outside-no-grad"))
    assert raised.returncode == 1 and "diagnosis: in-place-outside-no-grad" in raised.stdout
    refused = run_file(tmp_path, "import os")
    assert refused.returncode == 2 and refused.stdout.startswith("refused: ")


def test_a_link_carries_a_draft_and_refuses_a_broken_one():
    code = bugs.preset("wrong-sign")
    packed = link.encode(code)
    assert packed is not None and link.decode(packed) == code
    for broken in ("", "abc", packed[: len(packed) // 2], "A" * (link.MAX_LINK + 1)):
        with pytest.raises(link.LinkError):
            link.decode(broken)
    assert link.encode("x = 1\n" * 10_000) is None or len(link.encode("x = 1\n" * 10_000)) <= link.MAX_LINK


def open_draft_page(**query):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=180)
    for name, value in query.items():
        at.query_params[name] = value
    at.switch_page("app_pages/6_Draft.py")
    return at.run()


def test_the_page_runs_a_linked_draft_and_names_its_bug():
    at = open_draft_page(draft=link.encode(bugs.preset("no-backward")))
    assert not at.exception
    said = "\n".join(e.value for e in [*at.warning, *at.error, *at.info, *at.success])
    assert "Verdict: raised" in said and "Diagnosis: `no-backward`" in said
    assert any("→" in block.value for block in at.code)  # the error marked at the learner's line


def test_the_page_says_a_broken_link_and_opens_a_start_instead():
    at = open_draft_page(draft="not-a-draft")
    assert not at.exception
    assert any("could not be read" in e.value for e in at.error)
    assert any("Diagnosis" in e.value for e in [*at.warning, *at.success, *at.info])
