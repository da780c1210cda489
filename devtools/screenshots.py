"""Screenshots of every page and Lab view, at the sizes people use, to look at (not a test).

    python devtools/screenshots.py --out /tmp/shots                 # this checkout
    python devtools/screenshots.py --app ../old-checkout --out /tmp/old

Each shot is what the viewport shows (Streamlit scrolls inside its own container); ``--whole``
grows the viewport to the page's height instead, to compare two versions of a whole page.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from core import ROOT  # noqa: E402
from devtools import browser as harness  # noqa: E402

SIZES = {"laptop": (1400, 900), "projector": (1280, 720), "phone": (390, 844)}
PAGES = {
    "home": "/",
    "lesson": "/Lesson",
    "lab": "/Lab",
    "lab-draft1": "/Lab?no_grad=false&update=reassign&zero_grad=false&loop=false",
    "lab-landscape": "/Lab?view=Loss+landscape",
    "lab-tensors": "/Lab?view=Inside+the+tensors",
    "lab-accumulation": "/Lab?view=Accumulation&zero_grad=false",
    "lab-printed": "/Lab?view=Printed+output",
    "compare": "/Compare",
    "data": "/Data",
    "why-slow": "/Convergence",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", type=Path, default=ROOT, help="the checkout whose app to serve")
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=["laptop"])
    parser.add_argument("--pages", nargs="+", choices=list(PAGES), default=list(PAGES))
    parser.add_argument("--present", action="store_true", help="presenter mode (?present=true)")
    parser.add_argument("--whole", action="store_true", help="the whole page, not only the viewport")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with harness.AppServer(root=args.app.resolve()) as server, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=harness.chromium_path(), args=harness.CHROMIUM_ARGS)
        for size in args.sizes:
            width, height = SIZES[size]
            for name in args.pages:
                context = chromium.new_context(viewport={"width": width, "height": height})
                context.add_init_script(harness.instrument_js())
                page = harness.AppPage(context.new_page(), server.url, server)
                path = PAGES[name]
                if args.present:
                    path += ("&" if "?" in path else "?") + "present=true"
                page.open(path)
                target = args.out / f"{name}-{size}{'-present' * args.present}.png"
                if args.whole:
                    target.write_bytes(page.screenshot(target.stem).read_bytes())
                else:
                    page.page.screenshot(path=str(target))
                print(target, flush=True)
                context.close()
        chromium.close()


if __name__ == "__main__":
    main()
