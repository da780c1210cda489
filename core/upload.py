"""A learner's own CSV file: parse it, check it, and turn two of its number columns into a Dataset.

Every problem is raised as a ``DataError`` whose message says what is wrong and where, in plain
words, because the page shows it to the learner as it is (as text). Line numbers in messages
count every line of the file, the header row being line 1, as a text editor or a spreadsheet
numbers them; a quoted cell spanning several lines is reported at the line where it starts.

The rules, in the order they are checked:
- at most ``MAX_BYTES`` bytes, UTF-8 text (a leading byte-order mark is dropped);
- the delimiter is a comma, semicolon or tab, whichever the header line uses most (outside
  quotes); a header line without any of them means a single column;
- lines holding nothing but spaces and delimiters are skipped, wherever they are;
- the first line is a header naming the columns: it may not be all numbers, a blank name becomes
  "column N" (N counting from 1), and two columns may not share a name;
- every data line has one cell per column, and there are 2 to ``MAX_ROWS`` data lines;
- a column is a number column when more than half of its filled-in cells look like numbers
  (1.5, -2, 3e4, and also nan, inf, 1e999 or a comma decimal 1,5). All its cells must then be
  finite numbers written with a dot for decimals, or the file is refused naming the lines.
  Other columns (names, dates, notes) are text columns and are simply not offered for x and y;
- at least two number columns remain.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from core.data import Dataset

MAX_ROWS = 100_000
MAX_BYTES = 5 * 1024 * 1024
DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs"}  # in order of preference on a tie
LISTED = 5  # problem lines named one by one before "and N more"

# ASCII digits only: Python's float() would also take "1_000" and other scripts' digits.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_COMMA_DECIMAL = re.compile(r"[+-]?\d+(?:,\d+)+", re.ASCII)  # 1,5 or a thousands separator 1,234
_NOT_FINITE_WORDS = {"nan", "inf", "infinity"}

# What a cell holds; all but EMPTY and TEXT "look like numbers" for the number-column rule.
NUMBER, EMPTY, TEXT, NOT_FINITE, TOO_LARGE, COMMA = "number", "empty", "text", "not finite", "too large", "comma"


class DataError(ValueError):
    """A problem with an uploaded file; the message says what and where, in plain words."""


@dataclass(frozen=True, eq=False)
class CsvTable:
    """A parsed CSV file: its column names, which of them hold numbers, and their values."""

    columns: tuple[str, ...]  # every column name, in file order
    numeric: tuple[str, ...]  # the number columns, in file order: every cell a finite number
    rows: int  # data rows (blank lines skipped)
    delimiter: str  # "," ";" or "\t"
    values: Mapping[str, np.ndarray] = field(repr=False)  # read-only float64 arrays, one per number column


def parse_csv(raw: bytes) -> CsvTable:
    """Decode and parse an uploaded CSV file, or raise DataError saying what is wrong and where."""
    text = _decode(raw)
    delimiter = _sniff_delimiter(text)
    records = _read_records(text, delimiter)
    if not records:
        raise DataError("The file is empty: it has no header row and no data.")
    (header_line, header), body = records[0], records[1:]
    columns = _column_names(header, header_line)
    _check_row_count(len(body))
    _check_shape(columns, body, delimiter)
    cells = {name: [row[i] for _, row in body] for i, name in enumerate(columns)}
    lines = [line for line, _ in body]
    kinds = {name: [_kind(cell) for cell in column] for name, column in cells.items()}
    numeric = tuple(name for name in columns if _looks_numeric(kinds[name]))
    _check_cells(numeric, cells, kinds, lines)
    _check_enough_numeric(columns, numeric, cells, kinds, lines)
    values = {name: _read_only(np.array([float(c) for c in cells[name]], dtype=np.float64)) for name in numeric}
    return CsvTable(columns, numeric, len(body), delimiter, MappingProxyType(values))


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
    if xs.min() == xs.max():  # not np.ptp: max - min overflows for values near the float64 limit
        raise DataError(
            f"Every x (column {_quote(x)}) is {float(xs[0])!r}: a line's slope cannot be fitted when x never "
            "changes. Choose another column for x."
        )
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
    count, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == char and not quoted:
            count += 1
    return count


def _sniff_delimiter(text: str) -> str:
    """The delimiter the header line uses most: comma, semicolon or tab (comma when it uses none)."""
    lines = (line for line in io.StringIO(text, newline="") if line.strip())
    header, following = next(lines, ""), next(lines, "")
    counts = {d: _count_outside_quotes(header, d) for d in DELIMITERS}
    # A header like "a,b;c" is ambiguous: prefer the delimiter the next line uses just as often.
    agreeing = {d: n for d, n in counts.items() if n and _count_outside_quotes(following, d) == n}
    candidates = agreeing or counts
    best = max(candidates.values())
    return next((d for d, n in candidates.items() if n == best), ",") if best else ","


def _read_records(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """The non-blank records, each with the file line it starts on and its cells stripped of spaces."""
    records = []
    for line, cells in _records(text, delimiter):
        records.append((line, cells))
        if len(records) > MAX_ROWS + 1:  # stop reading early: the header plus MAX_ROWS rows is all we take
            raise DataError(
                f"The file has more than {MAX_ROWS:,} rows of data (the limit). Upload at most {MAX_ROWS:,} rows, "
                "for example a sample of them."
            )
    return records


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Each record that holds something, with the line it starts on; csv errors become DataErrors."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    line = 1
    try:
        for row in reader:
            cells = [cell.strip() for cell in row]
            if any(cells):
                yield line, cells
            line = reader.line_num + 1
    except csv.Error as error:
        if "field larger" in str(error):
            raise DataError(
                f"Line {line} starts a cell longer than {csv.field_size_limit():,} characters. Often a quote "
                'mark (") opened but never closed turns the rest of the file into one cell.'
            ) from None
        raise DataError(f"Line {line} could not be read as CSV ({error}).") from None


_Columns = dict[str, list[str]]  # a column's name to its cells (or the cells' kinds), in file order

# --- checking the table -----------------------------------------------------------------------


def _column_names(header: list[str], line: int) -> tuple[str, ...]:
    """The header's names, a blank one named "column N"; refuses a header of numbers and duplicate names."""
    # Blank cells aside: a first row "1.5,2," (trailing delimiter) is data too.
    filled = [cell for cell in header if cell]
    if all(_kind(cell) in (NUMBER, COMMA) for cell in filled):
        shown = ", ".join(filled[:3]) + (", ..." if len(filled) > 3 else "")
        raise DataError(
            f"Line {line} of the file is all numbers ({_shorten(shown)}), so the file has no header row. "
            "Add a first line naming the columns, such as: hours,score"
        )
    names = tuple(cell or f"column {i}" for i, cell in enumerate(header, start=1))
    for name in names:
        positions = [i for i, other in enumerate(names, start=1) if other == name]
        if len(positions) > 1:
            raise DataError(
                f"The column name {_quote(name)} is used {_times(len(positions))} in the header row "
                f"(columns {_and_list([str(p) for p in positions])}). Give each column its own name."
            )
    return names


def _check_row_count(rows: int) -> None:
    """At least two data rows: one point fits infinitely many lines."""
    if rows == 0:
        raise DataError("The file has a header row but no data below it. Fitting a line needs at least 2 rows.")
    if rows == 1:
        raise DataError("The file has only 1 row of data below the header. Fitting a line needs at least 2 rows.")


def _check_shape(columns: Sequence[str], body: list[tuple[int, list[str]]], delimiter: str) -> None:
    """Every data line has one cell per column."""
    bad = [(line, row) for line, row in body if len(row) != len(columns)]
    if not bad:
        return
    ragged = [f"line {line} has {_cells(len(row))}" for line, row in bad]
    # A line break inside a cell means a quote opened and not closed: it swallowed the lines that follow.
    unclosed = any("\n" in cell or "\r" in cell for _, row in bad for cell in row)
    hint = ' Check for a quote mark (") that is opened but never closed.' if unclosed else ""
    raise DataError(
        f"The header row names {len(columns)} column{'s' if len(columns) != 1 else ''}, but "
        f"{_listing(ragged)}. Every line needs one cell per column, separated by {DELIMITERS[delimiter]}.{hint}"
    )


def _check_choice(table: CsvTable, name: str, axis: str) -> None:
    """``name`` is one of the table's number columns."""
    choices = _and_list([_quote(n) for n in table.numeric], "or")
    if name not in table.columns:
        raise DataError(f"The file has no column named {_quote(name)}. For {axis}, choose {choices}.")
    if name not in table.numeric:
        raise DataError(f"Column {_quote(name)} does not hold numbers, so it cannot be {axis}. Choose {choices}.")


def _kind(cell: str) -> str:
    """What a (stripped) cell holds: a finite number, nothing, text, or a number that cannot be fitted."""
    if not cell:
        return EMPTY
    if _NUMBER.fullmatch(cell):
        return NUMBER if math.isfinite(float(cell)) else TOO_LARGE
    if cell.lower().lstrip("+-") in _NOT_FINITE_WORDS:
        return NOT_FINITE
    if _COMMA_DECIMAL.fullmatch(cell):
        return COMMA
    return TEXT


def _looks_numeric(kinds: list[str]) -> bool:
    """A number column: more than half of its filled-in cells look like numbers."""
    filled = [k for k in kinds if k != EMPTY]
    return 2 * sum(k != TEXT for k in filled) > len(filled)


_WHY = {NOT_FINITE: ", not a finite number", TOO_LARGE: ", too large", COMMA: ", comma instead of a dot"}


def _problem(line: int, cell: str, kind: str) -> str:
    """One bad cell of a number column, for a list: 'line 7 (empty)', "line 9 ('inf', not a finite number)"."""
    return f"line {line} (empty)" if kind == EMPTY else f"line {line} ({_quote(cell)}{_WHY.get(kind, '')})"


def _check_cells(numeric: Sequence[str], cells: _Columns, kinds: _Columns, lines: list[int]) -> None:
    """Every cell of every number column is a finite number; else name the columns and lines."""
    sentences = [_column_problems(name, cells[name], kinds[name], lines) for name in numeric]
    sentences = [s for s in sentences if s]
    if not sentences:
        return
    found = {k for name in numeric for k in kinds[name]} - {NUMBER}
    advice = "Every cell of a number column needs a finite number"
    advice += ", written with a dot for decimals and no thousands separator (7.5, not 7,5)." if COMMA in found else "."
    more = f" Other columns have problems too: {_and_list(sentences[3:])}." if len(sentences) > 3 else ""
    raise DataError(" ".join(sentences[:3]) + more + f" {advice} Fix or delete those lines (the header is line 1).")


def _column_problems(name: str, cells: list[str], kinds: list[str], lines: list[int]) -> str:
    """One sentence naming a number column's bad cells, or '' when it has none."""
    bad = [_problem(line, cell, k) for line, cell, k in zip(lines, cells, kinds, strict=True) if k != NUMBER]
    if not bad:
        return ""
    what = (
        "one cell is empty or not a finite number"
        if len(bad) == 1
        else f"{len(bad):,} cells are empty or not finite numbers"
    )
    return f"Column {_quote(name)} holds numbers, but {what}: {_listing(bad)}."


def _check_enough_numeric(
    columns: Sequence[str], numeric: Sequence[str], cells: _Columns, kinds: _Columns, lines: list[int]
) -> None:
    """At least two number columns: one for x and one for y."""
    if len(numeric) >= 2:
        return
    if len(columns) == 1:
        raise DataError(
            f"The file has a single column ({_quote(columns[0])}), but fitting a line needs two number columns: "
            "one for x and one for y. Separate the columns with commas, semicolons or tabs."
        )
    found = f"Only one column holds numbers ({_quote(numeric[0])})" if numeric else "No column holds numbers"
    text = [_text_example(name, cells[name], kinds[name], lines) for name in columns if name not in numeric]
    raise DataError(
        f"{found}, but fitting a line needs two: one for x and one for y. "
        f"Text columns: {_listing(text)}. Numbers must be written like 7.5, without units or symbols."
    )


def _text_example(name: str, cells: list[str], kinds: list[str], lines: list[int]) -> str:
    """A text column's name and its first text cell, to show why it is not a number column."""
    for line, cell, kind in zip(lines, cells, kinds, strict=True):
        if kind == TEXT:
            return f"{_quote(name)} (line {line}: {_quote(cell)})"
    return f"{_quote(name)} (empty)"


# --- wording ----------------------------------------------------------------------------------


def _read_only(array: np.ndarray) -> np.ndarray:
    # Shared between the table and every Dataset made from it: nobody may write into it.
    array.setflags(write=False)
    return array


def _shorten(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _quote(text: str) -> str:
    """A name or cell in quotes, shortened; repr shows control characters and line breaks as escapes."""
    return repr(_shorten(text))


def _times(n: int) -> str:
    return "twice" if n == 2 else f"{n} times"


def _cells(n: int) -> str:
    return f"{n} cell" if n == 1 else f"{n} cells"


def _and_list(items: Sequence[str], word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def _listing(items: Sequence[str]) -> str:
    """The first few items, then "and N more"."""
    if len(items) <= LISTED:
        return _and_list(items)
    return ", ".join(items[:LISTED]) + f" and {len(items) - LISTED:,} more"
