"""One pass over an uploaded CSV file's text: its records, and the kind and value of every cell.

Linear in the file's size, with memory a small multiple of it: the text is split into lines
lazily, and the cells are kept as a kind code (one byte) and a float (eight bytes) each, never
as one string object per cell. The words of a refusal are ``core.ingest.upload``'s; the few that a
pass itself must give (a row limit, a cell the csv module cannot read, the time budget) are here.
"""

from __future__ import annotations

import csv
import math
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

# What a cell holds, one byte each; all but EMPTY and TEXT "look like numbers" for the number-column rule.
NUMBER, EMPTY, NOT_FINITE, COMMA, TEXT, TOO_LARGE = range(1, 7)

_NUMBER_TEXT = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_COMMA_TEXT = r"[+-]?\d+(?:,\d+)+"  # 1,5 or a thousands separator 1,234
# ASCII digits only: Python's float() would also take "1_000" and other scripts' digits. One
# match says which of the three a cell is, if any: a number, a word for one that is not finite, a comma decimal.
_CELL = re.compile(
    rf"(?P<number>{_NUMBER_TEXT})|(?P<word>[+-]*(?:nan|inf|infinity))|(?P<comma>{_COMMA_TEXT})",
    re.ASCII | re.IGNORECASE,
)
# The characters plain numbers are written with. Cells of these alone that float() reads are
# exactly the cells _NUMBER_TEXT matches (both take a sign, digits, one dot, an exponent, no more).
_NUMBER_CHARACTERS = re.compile(r"[0-9.eE+\-\x00]*")
# A line and its ending, as a file opened with newline="" splits them: \n, \r\n or a lone \r.
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")

CHUNK_CELLS = 65_536  # cells held as Python objects at once, before they are packed into arrays
CHECK_EVERY = 1_024  # lines of the wrong length between looks at the clock (a chunk packed is another)
LISTED = 5  # problem lines named one by one before "and N more"


class DataError(ValueError):
    """A problem with an uploaded file; the message says what and where, in plain words."""


class Deadline:
    """A budget of this thread's processor time: a busy server does not make a file too slow."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.thread_time() + seconds

    def check(self) -> None:
        """Refuse the file once the budget is spent."""
        if time.thread_time() > self.end:
            raise DataError(
                f"Reading the file took more than {self.seconds:g} s, the limit, so it was stopped. "
                "Upload a smaller file: fewer rows or columns, for example a sample of them."
            )


def kind(cell: str) -> tuple[int, float]:
    """What a (stripped) cell holds, and its value (NaN unless it is a finite number)."""
    if not cell:
        return EMPTY, math.nan
    match = _CELL.fullmatch(cell)
    if match is None:
        return TEXT, math.nan
    if match.lastgroup == "number":
        value = float(cell)
        return (NUMBER, value) if math.isfinite(value) else (TOO_LARGE, math.nan)
    return (NOT_FINITE if match.lastgroup == "word" else COMMA), math.nan


def classify(cells: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The kinds (uint8) and values (float64, NaN unless a finite number) of cells, in order.

    Cell by cell, Python spends most of a microsecond on each; cells that are all plain numbers
    (the usual case) are checked by one regular-expression match and converted by numpy, in C.
    Other cells are classified one by one (each distinct text once). Cells may end in spaces.
    """
    numbers = _plain_numbers(cells)
    if numbers is not None:
        return _number_kinds(numbers)
    # Text columns repeat themselves (categories, units, "n/a"): each distinct cell is classified once.
    distinct: dict[str, int] = {}
    index = np.array([distinct.setdefault(cell, len(distinct)) for cell in cells], dtype=np.intp)
    pairs = [kind(cell.strip()) for cell in distinct]
    kinds = np.array([k for k, _ in pairs], dtype=np.uint8)
    values = np.array([v for _, v in pairs], dtype=np.float64)
    return kinds[index], values[index]


def _number_kinds(numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Plain numbers' kinds: NUMBER, or TOO_LARGE where float64 made them inf (the value then NaN)."""
    finite = np.isfinite(numbers)
    if finite.all():
        return np.full(numbers.shape, NUMBER, dtype=np.uint8), numbers
    numbers[~finite] = np.nan
    return np.where(finite, NUMBER, TOO_LARGE).astype(np.uint8), numbers


def _plain_numbers(cells: Sequence[str]) -> np.ndarray | None:
    """The cells' values when every one is a plain number (1e999 too, as inf), else None."""
    if not _NUMBER_CHARACTERS.fullmatch("\x00".join(cells)):
        return None
    try:
        with np.errstate(over="ignore"):
            return np.array(cells, dtype=np.float64)
    except ValueError:  # an empty cell, or characters in no number's order ("1.2.3", "e", "-")
        return None


def lines(text: str) -> Iterator[str]:
    """The text's lines with their endings, one at a time (no copy of the whole text)."""
    return map(re.Match.group, _LINE.finditer(text))


def records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Each record that holds something, with the line it starts on; its cells may end in spaces."""
    reader = csv.reader(lines(text), delimiter=delimiter, skipinitialspace=True)
    line = 1
    try:
        for row in reader:
            # Spaces after a delimiter are skipped; a record of spaces and delimiters holds nothing.
            if (row and row[0].strip()) or "".join(row).strip():
                yield line, row
            line = reader.line_num + 1
    except csv.Error as error:
        if "field larger" in str(error):
            raise DataError(
                f"Line {line} starts a cell longer than {csv.field_size_limit():,} characters. Often a quote "
                'mark (") opened but never closed turns the rest of the file into one cell.'
            ) from None
        raise DataError(f"Line {line} could not be read as CSV ({error}).") from None


@dataclass(frozen=True, eq=False)
class Body:
    """The data rows below the header: per cell a kind code and a value, per row the line it starts on."""

    lines: np.ndarray  # int64, one per row with a cell for every column
    kinds: np.ndarray  # uint8, (rows, columns)
    values: np.ndarray  # float64, (rows, columns); NaN where the cell is not a finite number
    ragged: tuple[tuple[int, int], ...]  # (line, cells) of the first rows with another number of cells
    ragged_count: int
    unclosed: bool  # a ragged row has a line break inside a cell: a quote opened and never closed

    @property
    def rows(self) -> int:
        """Every data row, ragged or not."""
        return len(self.lines) + self.ragged_count


class _Packer:
    """Rows of cells gathered, and classified into arrays a chunk of CHUNK_CELLS cells at a time."""

    def __init__(self, columns: int) -> None:
        self.columns = columns
        self.chunk_rows = max(1, CHUNK_CELLS // max(columns, 1))
        self.rows: list[list[str]] = []
        self.lines: list[int] = []
        self.packed: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, line: int, cells: list[str]) -> bool:
        """Gather one row, packing the chunk once it is full; whether it packed."""
        self.rows.append(cells)
        self.lines.append(line)
        if len(self.lines) < self.chunk_rows:
            return False
        self.pack()
        return True

    def pack(self) -> None:
        if not self.lines:
            return
        shape = (len(self.lines), self.columns)
        numbers = _plain_numbers([cell for row in self.rows for cell in row])
        if numbers is not None:  # every cell a plain number: the whole chunk at once
            kinds, values = (array.reshape(shape) for array in _number_kinds(numbers))
        else:  # column by column: the number columns still at once, the others cell by cell
            columns = [classify(column) for column in zip(*self.rows, strict=True)]
            kinds, values = np.column_stack([k for k, _ in columns]), np.column_stack([v for _, v in columns])
        self.packed.append((np.array(self.lines, dtype=np.int64), kinds.astype(np.uint8), values))
        self.rows, self.lines = [], []

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self.pack()
        if not self.packed:
            empty = np.empty((0, self.columns))
            return np.empty(0, dtype=np.int64), empty.astype(np.uint8), empty
        # Copied into place chunk by chunk, each freed once copied: never two copies of the cells at once.
        total = sum(len(lines) for lines, _, _ in self.packed)
        lines = np.empty(total, dtype=np.int64)
        kinds = np.empty((total, self.columns), dtype=np.uint8)
        values = np.empty((total, self.columns), dtype=np.float64, order="F")  # a column is a contiguous view
        start = 0
        while self.packed:
            chunk_lines, chunk_kinds, chunk_values = self.packed.pop(0)
            end = start + len(chunk_lines)
            lines[start:end], kinds[start:end], values[start:end] = chunk_lines, chunk_kinds, chunk_values
            start = end
        return lines, kinds, values


class _Ragged:
    """The rows with another number of cells than the header: the first few, how many, and any line break."""

    def __init__(self) -> None:
        self.listed: list[tuple[int, int]] = []  # (line, cells) of the first LISTED
        self.count = 0
        self.unclosed = False  # a line break inside a cell: a quote opened and never closed

    def add(self, line: int, cells: list[str]) -> None:
        self.count += 1
        if len(self.listed) < LISTED:
            self.listed.append((line, len(cells)))
        self.unclosed = self.unclosed or any("\n" in cell or "\r" in cell for cell in cells)


def body(rows: Iterator[tuple[int, list[str]]], columns: int, max_rows: int, deadline: Deadline) -> Body:
    """Every record after the header, read once; refuses more than ``max_rows`` of them."""
    packer, ragged = _Packer(columns), _Ragged()
    for count, (line, cells) in enumerate(rows, start=1):
        if count > max_rows:  # stop reading early: the header plus max_rows rows is all we take
            raise DataError(
                f"The file has more than {max_rows:,} rows of data (the limit). Upload at most {max_rows:,} rows, "
                "for example a sample of them."
            )
        if len(cells) == columns:
            if packer.add(line, cells):  # a chunk packed: a time to look at the clock
                deadline.check()
        else:
            ragged.add(line, cells)
            if ragged.count % CHECK_EVERY == 0:
                deadline.check()
    lines, kinds, values = packer.arrays()
    deadline.check()
    return Body(lines, kinds, values, tuple(ragged.listed), ragged.count, ragged.unclosed)


def cells_at(text: str, delimiter: str, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """The text of the cells at (data row, column) ``wanted``, read again: only a refusal quotes cells."""
    columns: dict[int, list[int]] = {}
    for row, column in wanted:
        columns.setdefault(row, []).append(column)
    last = max(columns, default=-1)
    found = {}
    for row, (_, cells) in enumerate(records(text, delimiter), start=-1):  # row -1 is the header
        found.update({(row, column): cells[column].strip() for column in columns.get(row, ())})
        if row >= last:
            break
    return found
