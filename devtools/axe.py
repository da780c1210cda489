"""axe-core, the accessibility checker the browser tests inject into each page, fetched once and checked.

    python3 devtools/axe.py          # fetch the pinned release into .cache/ (CI does this)

Only the standard library, so CI can run it before any virtual environment exists and without npm:
the npm registry's tarball of one pinned version, its sha512 checked against the integrity the
registry published for it, unpacked to ``.cache/axe-core/<version>/axe.min.js`` (not in git).
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSION = "4.14.1"
TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
# The registry's "dist.integrity" of that tarball: a changed file is refused, never run in a page.
INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
SCRIPT = ROOT / ".cache" / "axe-core" / VERSION / "axe.min.js"
FETCH_HINT = "python3 devtools/axe.py"
# What the tests fail on: axe-core rates each rule's violations minor, moderate, serious or critical.
BLOCKING = ("serious", "critical")


def integrity_of(data: bytes) -> str:
    """The Subresource Integrity string of ``data``, as npm writes it."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch(target: Path = SCRIPT) -> Path:
    """Download the pinned tarball, refuse it unless its integrity matches, and unpack axe.min.js."""
    if target.exists():
        return target
    with urllib.request.urlopen(TARBALL, timeout=60) as response:
        data = response.read()
    if integrity_of(data) != INTEGRITY:
        raise RuntimeError(f"{TARBALL} does not match its published integrity: refusing to use it")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        script = archive.extractfile("package/axe.min.js")
        if script is None:
            raise RuntimeError(f"{TARBALL} holds no package/axe.min.js")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(script.read())
    return target


def script() -> str | None:
    """The text of axe.min.js when it has been fetched, else None."""
    return SCRIPT.read_text() if SCRIPT.exists() else None


# Runs axe-core on the whole document and returns its violations, each with the nodes it found.
RUN_JS = r"""
async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: (n.failureSummary || '').slice(0, 300),
                               html: n.html.slice(0, 200)})),
  }));
}
"""


def violations(page, script_text: str) -> list[dict]:
    """axe-core's violations on a Playwright page (injected once per page)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=script_text)
    return page.evaluate(RUN_JS)


def blocking(found: list[dict]) -> list[dict]:
    """The serious and critical ones: what the tests fail on."""
    return [violation for violation in found if violation["impact"] in BLOCKING]


def count_nodes(found: list[dict]) -> int:
    return sum(len(violation["nodes"]) for violation in found)


if __name__ == "__main__":
    print(fetch())
    sys.exit(0)
