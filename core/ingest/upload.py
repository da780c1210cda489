"""A learner's own CSV file: parse it, check it, and turn two of its number columns into a Dataset.

Every problem is raised as a ``DataError`` whose message says what is wrong and where, in plain
words, because the page shows it to the learner as it is (as text). Line numbers in messages
count every line of the file, the header row being line 1, as a text editor or a spreadsheet
numbers them; a quoted cell spanning several lines is reported at the line where it starts.

The rules, in the order they are checked:
- at most ``MAX_BYTES`` bytes, UTF-8 text (a leading byte-order mark is dropped), read within
  ``PARSE_SECONDS`` of processor time (``core.ingest.csv_scan`` reads it in one linear pass);
- the delimiter is a comma, semicolon or tab, whichever the header line uses most (outside
  quotes); a header line without any of them means a single column;
- lines holding nothing but spaces and delimiters are skipped, wherever they are;
- the first line is a header naming at most ``MAX_COLUMNS`` columns: it may not be all numbers,
  a blank name becomes "column N" (N counting from 1), and two columns may not share a name.
  A name is kept on one line (line breaks and tabs become spaces), and one longer than
  ``MAX_NAME`` characters is shortened, with a note saying so;
- every data line has one cell per column, and there are 2 to ``MAX_ROWS`` data lines;
- a column is a number column when more than half of its filled-in cells look like numbers
  (1.5, -2, 3e4, and also nan, inf, 1e999 or a comma decimal 1,5). All its cells must then be
  finite numbers written with a dot for decimals, or the file is refused naming the lines.
  Other columns (names, dates, notes) are text columns and are simply not offered for x and y;
- at least two number columns remain;
- the two columns chosen for x and y hold numbers of at most ``MAX_MAGNITUDE`` in size, x is not
  constant, and their least-squares line is no steeper than that either, so that every view
  (the loss, the landscape, the fitted line) can be computed in float64.
"""

from __future__ import annotations

import codecs
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from core.ingest import csv_scan
from core.ingest.csv_scan import COMMA, EMPTY, LISTED, NOT_FINITE, NUMBER, TEXT, TOO_LARGE, DataError, Deadline
from core.lesson.data import Dataset
from core.lesson.text import and_list, listing, one_line, shortened

__all__ = ["MAX_BYTES", "MAX_COLUMNS", "MAX_NAME", "MAX_ROWS", "CsvTable", "DataError", "parse_csv"]

MAX_ROWS = 100_000
MAX_COLUMNS = 1_000  # a line needs two; every number column is offered in a list and a preview
MAX_BYTES = 5 * 1024 * 1024
MAX_NAME = 60  # characters of a column name: axis titles, lists and code stay readable
MAX_MAGNITUDE = 1e100  # squares and sums of squares of such numbers stay far inside float64
PARSE_SECONDS = 2.0
DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs"}  # in order of preference on a tie


@dataclass(frozen=True, eq=False)
class CsvTable:
    """A parsed CSV file: its column names, which of them hold numbers, and their values."""

    columns: tuple[str, ...]  # every column name, in file order (on one line, shortened if long)
    numeric: tuple[str, ...]  # the number columns, in file order: every cell a finite number
    rows: int  # data rows (blank lines skipped)
    delimiter: str  # "," ";" or "\t"
    values: Mapping[str, np.ndarray] = field(repr=False)  # read-only float64 arrays, one per number column
    lines: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64), repr=False)  # each row's line
    notes: tuple[str, ...] = ()  # what was done to the file's names to show them, for the learner


def parse_csv(raw: bytes, *, seconds: float = PARSE_SECONDS) -> CsvTable:
    """Decode and parse an uploaded CSV file, or raise DataError saying what is wrong and where."""
    deadline = Deadline(seconds)
    text = _decode(raw)
    delimiter = _sniff_delimiter(text)
    rows = csv_scan.records(text, delimiter)
    first = next(rows, None)
    if first is None:
        raise DataError("The file is empty: it has no header row and no data.")
    header_line, header = first[0], [cell.strip() for cell in first[1]]
    _check_header(header, header_line)
    columns, notes = _column_names(header)
    body = csv_scan.body(rows, len(columns), MAX_ROWS, deadline)
    _check_row_count(body.rows)
    _check_shape(columns, body, delimiter)
    numeric = _number_columns(body.kinds)
    _check_cells(text, delimiter, columns, numeric, body)
    values = {columns[j]: _read_only(np.ascontiguousarray(body.values[:, j])) for j in numeric}
    lines = _read_only(body.lines)
    return CsvTable(
        columns, tuple(columns[j] for j in numeric), body.rows, delimiter, MappingProxyType(values), lines, notes
    )


def dataset_from_table(
    table: CsvTable,
    x: str,
    y: str,
    *,
    title: str = "Your data",
    x_label: str | None = None,
    y_label: str | None = None,
) -> Dataset:
    """The Dataset of two different number columns of a table, or DataError if they cannot be fitted."""
    _check_choice(table, x, "x")
    _check_choice(table, y, "y")
    if x == y:
        raise DataError(f"x and y are both column {_quote(x)}: choose two different columns.")
    xs, ys = table.values[x], table.values[y]
    _check_magnitude(table, x, "x")
    _check_magnitude(table, y, "y")
    if xs.min() == xs.max():  # not np.ptp: max - min overflows for values near the float64 limit
        raise DataError(
            f"Every x (column {_quote(x)}) is {float(xs[0])!r}: a line's slope cannot be fitted when x never "
            "changes. Choose another column for x."
        )
    _check_slope(xs, ys, x)
    return Dataset(
        key=dataset_key(xs, ys, x, y),
        title=title,
        x=xs,
        y=ys,
        x_label=x if x_label is None else x_label,
        y_label=y if y_label is None else y_label,
    )


def load_csv(raw: bytes, x: str | None = None, y: str | None = None) -> Dataset:
    """A Dataset from an uploaded CSV file (x and y default to its first two number columns), or DataError."""
    table = parse_csv(raw)
    # parse_csv guarantees two number columns, so a default different from the other choice always exists.
    x = next(name for name in table.numeric if name != y) if x is None else x
    y = next(name for name in table.numeric if name != x) if y is None else y
    return dataset_from_table(table, x, y)


def dataset_key(x: np.ndarray, y: np.ndarray, x_name: str, y_name: str) -> str:
    """'csv:' and 16 hex digits of a sha256 over the values and the column names: same data, same key."""
    digest = hashlib.sha256(json.dumps([x_name, y_name]).encode())
    # x and y have the same length, so their bytes one after the other cannot be split two ways.
    digest.update(np.ascontiguousarray(x, dtype=np.float64).tobytes())
    digest.update(np.ascontiguousarray(y, dtype=np.float64).tobytes())
    return "csv:" + digest.hexdigest()[:16]


# --- reading the text -------------------------------------------------------------------------


def _decode(raw: bytes) -> str:
    """The file's text, size checked before anything else is done with it."""
    if len(raw) > MAX_BYTES:
        raise DataError(
            f"The file is larger than the {MAX_BYTES // (1024 * 1024)} MB limit ({len(raw):,} bytes). "
            "Upload fewer rows, for example a sample of them."
        )
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataError(
            'The file is saved as UTF-16 ("Unicode text"), not UTF-8. Save it as "CSV UTF-8" and upload it again.'
        )
    # Excel's "CSV UTF-8" starts with a byte-order mark; left in, it would stick to the first column's name.
    raw = raw.removeprefix(codecs.BOM_UTF8)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError(
            f"The file is not UTF-8 text: line {line} holds a character that cannot be read as UTF-8. "
            'Save the file as "CSV UTF-8" (in Excel: File > Save As > CSV UTF-8) and upload it again.'
        ) from None


def _count_outside_quotes(line: str, char: str) -> int:
    """How often ``char`` occurs in a line, not counting inside double quotes."""
    # Every quote mark toggles quoting (a doubled "" inside a quoted cell toggles twice): the
    # even-numbered pieces between quote marks are outside quotes.
    return sum(piece.count(char) for piece in line.split('"')[::2])


def _sniff_delimiter(text: str) -> str:
    """The delimiter the header line uses most: comma, semicolon or tab (comma when it uses none)."""
    filled = (line for line in csv_scan.lines(text) if line.strip())
    header, following = next(filled, ""), next(filled, "")
    counts = {d: _count_outside_quotes(header, d) for d in DELIMITERS}
    # A header like "a,b;c" is ambiguous: prefer the delimiter the next line uses just as often.
    agreeing = {d: n for d, n in counts.items() if n and _count_outside_quotes(following, d) == n}
    candidates = agreeing or counts
    best = max(candidates.values())
    return next((d for d, n in candidates.items() if n == best), ",") if best else ","


# --- checking the table -----------------------------------------------------------------------


def _check_header(header: list[str], line: int) -> None:
    """A header names the columns: not all numbers, and not more than MAX_COLUMNS of them."""
    if len(header) > MAX_COLUMNS:
        raise DataError(
            f"The header row names {len(header):,} columns; at most {MAX_COLUMNS:,} can be read. Keep the "
            "columns you want to fit (two are enough) and upload the file again."
        )
    # Blank cells aside: a first row "1.5,2," (trailing delimiter) is data too.
    filled = [cell for cell in header if cell]
    if all(csv_scan.kind(cell)[0] in (NUMBER, COMMA) for cell in filled):
        shown = ", ".join(filled[:3]) + (", ..." if len(filled) > 3 else "")
        raise DataError(
            f"Line {line} of the file is all numbers ({_shorten(shown)}), so the file has no header row. "
            "Add a first line naming the columns, such as: hours,score"
        )


def _column_names(header: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The header's names on one line, a blank one named "column N"; refuses duplicates, shortens long ones."""
    names = [one_line(cell) or f"column {i}" for i, cell in enumerate(header, start=1)]
    positions: dict[str, list[int]] = {}
    for i, name in enumerate(names, start=1):
        positions.setdefault(name, []).append(i)
    for name, where in positions.items():
        if len(where) > 1:
            raise DataError(
                f"The column name {_quote(name)} is used {_times(len(where))} in the header row "
                f"(columns {and_list([f'{p:,}' for p in where])}). Give each column its own name."
            )
    return _shortened_names(names)


def _shortened_names(names: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Names longer than MAX_NAME cut short (told apart by their column number if that makes two alike)."""
    taken = {name for name in names if len(name) <= MAX_NAME}
    kept, changes = [], []
    for i, name in enumerate(names, start=1):
        if len(name) > MAX_NAME:
            short = shortened(name, MAX_NAME)
            if short in taken:
                suffix = f" (column {i})"
                short = shortened(name, MAX_NAME - len(suffix)) + suffix
            taken.add(short)
            changes.append(f"column {i} ({len(name):,} characters) is now {_quote(short, MAX_NAME)}")
            name = short
        kept.append(name)
    if not changes:
        return tuple(kept), ()
    note = f"Column names longer than {MAX_NAME} characters are shortened: {_listing(changes, len(changes))}."
    return tuple(kept), (note,)


def _check_row_count(rows: int) -> None:
    """At least two data rows: one point fits infinitely many lines."""
    if rows == 0:
        raise DataError("The file has a header row but no data below it. Fitting a line needs at least 2 rows.")
    if rows == 1:
        raise DataError("The file has only 1 row of data below the header. Fitting a line needs at least 2 rows.")


def _check_shape(columns: Sequence[str], body: csv_scan.Body, delimiter: str) -> None:
    """Every data line has one cell per column."""
    if not body.ragged_count:
        return
    ragged = [f"line {line} has {_cells(cells)}" for line, cells in body.ragged]
    # A line break inside a cell means a quote opened and not closed: it swallowed the lines that follow.
    hint = ' Check for a quote mark (") that is opened but never closed.' if body.unclosed else ""
    raise DataError(
        f"The header row names {len(columns)} column{'s' if len(columns) != 1 else ''}, but "
        f"{_listing(ragged, body.ragged_count)}. Every line needs one cell per column, separated by "
        f"{DELIMITERS[delimiter]}.{hint}"
    )


def _number_columns(kinds: np.ndarray) -> list[int]:
    """The number columns: more than half of their filled-in cells look like numbers."""
    filled = (kinds != EMPTY).sum(axis=0)
    numbers = filled - (kinds == TEXT).sum(axis=0)
    return [int(j) for j in np.flatnonzero(2 * numbers > filled)]


_WHY = {NOT_FINITE: ", not a finite number", TOO_LARGE: ", too large", COMMA: ", comma instead of a dot"}


def _check_cells(text: str, delimiter: str, columns: Sequence[str], numeric: list[int], body: csv_scan.Body) -> None:
    """Every cell of every number column is a finite number, and two such columns exist; else say where."""
    bad = {j: np.flatnonzero(body.kinds[:, j] != NUMBER) for j in numeric}
    bad = {j: rows for j, rows in bad.items() if len(rows)}
    texts = [j for j in range(len(columns)) if j not in numeric]
    if not bad and len(numeric) >= 2:
        return
    first_text = {j: np.flatnonzero(body.kinds[:, j] == TEXT)[:1] for j in texts}
    wanted = {(int(r), j) for j, rows in bad.items() for r in rows[:LISTED]}
    wanted |= {(int(r), j) for j, rows in first_text.items() for r in rows}
    cells = csv_scan.cells_at(text, delimiter, wanted)
    if bad:
        _refuse_cells(columns, bad, body, cells)
    _refuse_too_few(columns, [columns[j] for j in numeric], first_text, body, cells)


def _refuse_cells(columns: Sequence[str], bad: dict[int, np.ndarray], body: csv_scan.Body, cells: dict) -> None:
    """Name the number columns with cells that are not finite numbers, and their lines."""
    sentences = []
    for j, rows in bad.items():
        shown = [_problem(int(body.lines[r]), cells[(int(r), j)], int(body.kinds[r, j])) for r in rows[:LISTED]]
        what = (
            "one cell is empty or not a finite number"
            if len(rows) == 1
            else f"{len(rows):,} cells are empty or not finite numbers"
        )
        sentences.append(f"Column {_quote(columns[j])} holds numbers, but {what}: {_listing(shown, len(rows))}.")
    found = {int(k) for j in bad for k in np.unique(body.kinds[:, j])}
    advice = "Every cell of a number column needs a finite number"
    advice += ", written with a dot for decimals and no thousands separator (7.5, not 7,5)." if COMMA in found else "."
    more = f" Other columns have problems too: {and_list(sentences[3:])}." if len(sentences) > 3 else ""
    raise DataError(" ".join(sentences[:3]) + more + f" {advice} Fix or delete those lines (the header is line 1).")


def _problem(line: int, cell: str, kind: int) -> str:
    """One bad cell of a number column, for a list: 'line 7 (empty)', "line 9 ('inf', not a finite number)"."""
    return f"line {line} (empty)" if kind == EMPTY else f"line {line} ({_quote(cell)}{_WHY.get(kind, '')})"


def _refuse_too_few(
    columns: Sequence[str], numeric: list[str], first_text: dict, body: csv_scan.Body, cells: dict
) -> None:
    """At least two number columns: one for x and one for y."""
    if len(columns) == 1:
        raise DataError(
            f"The file has a single column ({_quote(columns[0])}), but fitting a line needs two number columns: "
            "one for x and one for y. Separate the columns with commas, semicolons or tabs."
        )
    found = f"Only one column holds numbers ({_quote(numeric[0])})" if numeric else "No column holds numbers"
    examples = []
    for j, rows in first_text.items():
        example = f"line {int(body.lines[rows[0]])}: {_quote(cells[(int(rows[0]), j)])}" if len(rows) else "empty"
        examples.append(f"{_quote(columns[j])} ({example})")
    raise DataError(
        f"{found}, but fitting a line needs two: one for x and one for y. "
        f"Text columns: {_listing(examples, len(examples))}. "
        "Numbers must be written like 7.5, without units or symbols."
    )


def _check_choice(table: CsvTable, name: str, axis: str) -> None:
    """``name`` is one of the table's number columns."""
    choices = and_list([_quote(n) for n in table.numeric], "or")
    if name not in table.columns:
        raise DataError(f"The file has no column named {_quote(name)}. For {axis}, choose {choices}.")
    if name not in table.numeric:
        raise DataError(f"Column {_quote(name)} does not hold numbers, so it cannot be {axis}. Choose {choices}.")


def _check_magnitude(table: CsvTable, name: str, axis: str) -> None:
    """Numbers no larger than MAX_MAGNITUDE: the loss squares them, and sums the squares."""
    huge = np.flatnonzero(np.abs(table.values[name]) > MAX_MAGNITUDE)
    if len(huge):
        where = f" on line {int(table.lines[huge[0]])}" if len(table.lines) else ""
        raise DataError(
            f"Column {_quote(name)} holds {float(table.values[name][huge[0]])!r}{where}: numbers to fit must be at "
            f"most {MAX_MAGNITUDE:g} in size, or their squares overflow. Rescale the column (other units, say) "
            f"or choose another column for {axis}."
        )


def _check_slope(xs: np.ndarray, ys: np.ndarray, x: str) -> None:
    """A least-squares line no steeper than MAX_MAGNITUDE: x values far closer together than y's spread refuse it."""
    with np.errstate(all="ignore"):
        dx, dy = xs - xs.mean(), ys - ys.mean()
        slope = float(np.mean(dx * dy) / np.mean(dx * dx))
    if not abs(slope) <= MAX_MAGNITUDE:
        raise DataError(
            f"The x values (column {_quote(x)}) are too close together for the spread of y: the best line's slope "
            f"would be beyond {MAX_MAGNITUDE:g}. Rescale a column (other units, say) so the numbers are of "
            "similar sizes."
        )


# --- wording ----------------------------------------------------------------------------------


def _read_only(array: np.ndarray) -> np.ndarray:
    # Shared between the table and every Dataset made from it: nobody may write into it.
    array.setflags(write=False)
    return array


def _shorten(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _quote(text: str, limit: int = 30) -> str:
    """A name or cell in quotes, shortened; repr shows control characters and line breaks as escapes."""
    return repr(_shorten(text, limit))


def _times(n: int) -> str:
    return "twice" if n == 2 else f"{n} times"


def _cells(n: int) -> str:
    return f"{n} cell" if n == 1 else f"{n} cells"


def _listing(items: Sequence[str], total: int) -> str:
    return listing(items, total, LISTED)
