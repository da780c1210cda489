"""How long an upload of the largest size takes to parse, and the memory it takes, by shape.

    python bench/parse_upload.py

Each file is as close to the 5 MB limit as its shape allows: wide (the most columns a file may
have, as many rows as fit), long (two columns, the most rows a file may have, numbers long
enough to fill 5 MB), the tiniest cells (one character each: digits, then letters), too wide
(200,000 columns: refused at its header) and one huge quoted cell (refused). Beside each parse,
the floor: Python's csv module reading the same bytes into rows. Peak memory is tracemalloc's
in a separate traced read, for the parse alone (the file's bytes not counted); times are the
least of three untraced reads.
"""

from __future__ import annotations

import csv
import io
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.ingest.upload import MAX_BYTES, MAX_COLUMNS, MAX_ROWS, DataError, parse_csv  # noqa: E402

SIZE = MAX_BYTES - 1024  # bytes: just under the limit
REPEATS = 3  # the fastest of these is reported


def fill(header: str, row: str, rows: int | None = None) -> bytes:
    """A header and copies of ``row`` up to SIZE bytes (or ``rows`` of them)."""
    count = (SIZE - len(header)) // len(row) if rows is None else rows
    return (header + row * count).encode()


def wide() -> bytes:
    """MAX_COLUMNS number columns, each cell a few digits."""
    header = ",".join(f"c{j}" for j in range(MAX_COLUMNS)) + "\n"
    return fill(header, ",".join(f"{j % 97}.{j % 7}" for j in range(MAX_COLUMNS)) + "\n")


def long() -> bytes:
    """Two columns of numbers long enough that the most rows a file may have fill 5 MB."""
    digits = (SIZE // MAX_ROWS - 8) // 2  # a row is 2 * digits + 8 characters: "1...1.5,-9...9.25\n"
    row = f"{'1' * digits}.5,-{'9' * digits}.25\n"
    return fill("hours,score\n", row, MAX_ROWS)


def tiny_cells() -> bytes:
    """The most cells a 5 MB file can hold: one digit each, MAX_COLUMNS to a row."""
    header = ",".join(f"c{j}" for j in range(MAX_COLUMNS)) + "\n"
    return fill(header, ",".join("1" for _ in range(MAX_COLUMNS)) + "\n")


def tiny_text() -> bytes:
    """As many cells, each a letter: text columns, read cell by cell."""
    header = ",".join(f"c{j}" for j in range(MAX_COLUMNS)) + "\n"
    return fill(header, ",".join("a" for _ in range(MAX_COLUMNS)) + "\n")


def too_wide() -> bytes:
    """A header of 200,000 names, and rows of as many cells: refused as soon as the header is read."""
    header = ",".join(f"c{j}" for j in range(200_000)) + "\n"
    return fill(header, ",".join("1" for _ in range(200_000)) + "\n")


def one_cell() -> bytes:
    """One quoted cell filling the file: refused by the csv module's cell limit."""
    return b'a,b\n1,2\n"' + b"9" * (SIZE - 10) + b'"\n'


def measure(read) -> tuple[float, float, int, str]:
    """The least processor and wall time of REPEATS reads, the peak memory of one more (tracing slows
    it), and what the read said. Processor time is this thread's: what the parse's budget counts,
    and what a machine busy with other work does not inflate."""
    cpu, wall, said = float("inf"), float("inf"), ""
    for _ in range(REPEATS):
        started, started_cpu = time.perf_counter(), time.thread_time()
        said = said_by(read)
        cpu, wall = min(cpu, time.thread_time() - started_cpu), min(wall, time.perf_counter() - started)
    tracemalloc.start()
    said_by(read)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return cpu, wall, peak, said


def said_by(read) -> str:
    try:
        return read()
    except (DataError, csv.Error) as error:
        return f"refused: {str(error)[:60]}..."


def floor(raw: bytes) -> str:
    rows = list(csv.reader(io.StringIO(raw.decode(), newline="")))
    return f"{len(rows):,} rows"


def parsed(raw: bytes) -> str:
    table = parse_csv(raw, seconds=60)  # the budget off: measure the parse itself
    return f"{table.rows:,} rows x {len(table.columns):,} columns"


def main() -> None:
    print(
        f"{'file':<11} {'bytes':>10} {'cpu s':>6} {'wall s':>6} {'floor':>6} {'ratio':>6} "
        f"{'peak MB':>8} {'floor MB':>9}  result"
    )
    for make in (wide, long, tiny_cells, tiny_text, too_wide, one_cell):
        raw = make()
        cpu, wall, peak, said = measure(lambda raw=raw: parsed(raw))
        floor_cpu, _, floor_peak, _ = measure(lambda raw=raw: floor(raw))
        print(
            f"{make.__name__:<11} {len(raw):>10,} {cpu:>6.2f} {wall:>6.2f} {floor_cpu:>6.2f} {cpu / floor_cpu:>6.1f} "
            f"{peak / 2**20:>8.1f} {floor_peak / 2**20:>9.1f}  {said}"
        )
    print("cpu s, wall s: the parse; floor: Python's csv module reading the same bytes into rows (cpu s);")
    print("ratio: parse / floor; peak MB: tracemalloc's peak during one parse, floor MB during the csv read.")


if __name__ == "__main__":
    main()
