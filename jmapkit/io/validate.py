"""Checking an input against its kind's columns and types: every problem found in one aggregate pass.

A reader (CSV, Excel, Parquet, DataFrame) hands over a view of text (or typed) columns plus `_row`;
`validate` returns the SELECT that gives the canonical typed columns, or raises ValidationFailed
listing every problem of the file at once: missing columns, bad values by column and row, scores
outside their scale. Blank rows and exact duplicate rows are dropped and reported.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from jmapkit.errors import DataFileError, Problem, ProblemCode, ValidationFailed
from jmapkit.io.sql import Raw, empty, ident, is_text, numeric, quote, text

Kind = Literal["events", "survey", "verbatims"]


@dataclass(frozen=True)
class Spec:
    """The columns of one kind of input: required, one-of, ids, typed and optional ones."""

    required: tuple[str, ...]
    one_of: tuple[str, ...]
    ids: tuple[str, ...]
    numbers: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    # Rows equal in every column: a survey answer or a verbatim counted twice would weigh twice, so the
    # copies are dropped; events may really repeat (CDNOW's daily log holds 255 such purchase lines).
    drop_duplicates: bool = True

    def fits(self, names: Sequence[str]) -> bool:
        """Whether a header with these (canonical) names has every column this kind needs."""
        return all(c in names for c in self.required) and (not self.one_of or any(c in names for c in self.one_of))

    def needs(self) -> str:
        """The required columns, in words."""
        return ", ".join(self.required) + (f" and {' or '.join(self.one_of)}" if self.one_of else "")


SPECS: dict[str, Spec] = {
    "events": Spec(required=("customer_id", "timestamp"), one_of=("touchpoint", "event"), ids=("customer_id",),
                   numbers=("value",), optional=("stage", "channel", "segment", "value"), drop_duplicates=False),
    "survey": Spec(required=("respondent_id", "question", "score"), one_of=("touchpoint", "stage"),
                   ids=("respondent_id",), numbers=("score",), optional=("segment", "timestamp")),
    "verbatims": Spec(required=("id", "text"), one_of=(), ids=("id",), texts=("text",),
                      optional=("touchpoint", "stage", "lang", "respondent_id", "timestamp")),
}
# The standard survey questions and their scales (lowest, highest); the survey metrics use the same.
SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
# Questions whose score is a category (NPS promoters 9-10, CSAT 4-5): a score between whole numbers has
# none. A CES is a mean, so an averaged answer (2.5, as survey tools write them) is kept, with a warning.
CATEGORY_SCALES = ("nps", "csat")
# Local formats tried when timestamps are neither ISO 8601 nor epoch numbers: (format, day-first?)
LOCAL_FORMATS = [
    (f"{date}{sep}{time}", date.startswith("%d"))
    for date in ("%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%m-%d-%Y", "%Y/%m/%d")
    for sep, time in ((" ", "%H:%M:%S"), (" ", "%H:%M"), (" ", "%I:%M:%S %p"), (" ", "%I:%M %p"), ("", ""))
]
# Words timestamp_format= accepts besides a strptime pattern.
NAMED_FORMATS = {"iso": "ISO 8601 (2026-07-01T12:30:00+02:00)", "epoch_s": "epoch seconds",
                 "epoch_ms": "epoch milliseconds"}
ROWS_SHOWN = 5
SAMPLE = 2000  # timestamp values looked at to pick a format; a tie is settled on the whole column
# Digit grouping as exports write it: the other mark, or a (no-break / narrow no-break) space.
_SPACES = " \u00a0\u202f"
NUMBER_PATTERNS = {
    ".": rf"[-+]?(\d{{1,3}}((,\d{{3}})+|([{_SPACES}]\d{{3}})+)|\d+)(\.\d+)?|[-+]?\.\d+",
    ",": rf"[-+]?(\d{{1,3}}((\.\d{{3}})+|([{_SPACES}]\d{{3}})+)|\d+)(,\d+)?|[-+]?,\d+",
}


@dataclass
class Check:
    """One rule over the rows: SQL true on a bad row, and how a problem with it is described."""

    column: str | None
    reason: str
    condition: str  # SQL: true on a bad row
    allowed: str | None = None
    value: str | None = None  # SQL for the bad value shown
    code: ProblemCode = "invalid"
    warn: bool = False  # reported as a warning, the rows kept
    unnamed: str | None = None  # the column without a header this check is about


@dataclass
class Checked:
    """What validation found: the SELECT of canonical typed columns, its rows, what was dropped, warnings."""

    select: str
    rows: int
    dropped: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    temp: str | None = None  # a temp table the SELECT reads: write its result out before the connection goes


def validate(raw: Raw, source: str, kind: Kind, where: str, decimal: str | None, timestamp_format: str | None,
             blank_first: Sequence[int], blank_total: int, *, never_empty: frozenset[str] = frozenset(),
             unnamed: Sequence[str] = (), duplicates: bool = True) -> Checked:
    """The SELECT giving canonical typed columns, its row count, the rows dropped, and warnings.

    `never_empty`: columns known (from a Parquet file's statistics) to hold no missing, empty or
    space-led value; their emptiness is not checked row by row. `unnamed`: columns whose header
    was empty; they are left out when they hold no value. `duplicates`: look for rows equal in every
    column to an earlier row (dropped and reported, or for events reported as a warning).
    """
    spec = SPECS[kind]
    types = dict(raw.columns(source))
    columns = [c for c in types if c != "_row"]
    problems: list[Problem] = []
    missing = [c for c in spec.required if c not in types]
    if spec.one_of and not any(c in types for c in spec.one_of):
        missing.append(" or ".join(spec.one_of))
    if missing:
        shown = [c for c in columns if c not in unnamed]
        problems.append(Problem(
            None, f"missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}; "
                  f"the file has {', '.join(map(repr, shown)) or 'no columns'}",
            allowed=f"{kind} files need {spec.needs()}", code="missing_column"))

    # Typed Parquet columns are checked as they are (no cast to text), and a text column that holds no
    # padded or empty values is passed through as it is: the view the analytics scan adds next to no work.
    def as_text(c: str) -> str:
        return text(c, types[c])

    def is_empty(c: str) -> str:
        return "FALSE" if c in never_empty else empty(c, types[c])

    # A row is blank when every value is empty: never, if one column is never empty.
    blank = "FALSE" if never_empty & set(columns) else " AND ".join(is_empty(c) for c in columns) or "FALSE"
    checks: list[Check] = []
    exprs: dict[str, str] = {}
    numbers = [c for c in spec.numbers if c in types and not numeric(types[c])]
    base_all = f"(SELECT * FROM {source} WHERE NOT ({blank}))" if blank != "FALSE" else source
    marks = _decimal_marks(raw, base_all, numbers, decimal, checks)
    padded: list[str] = []  # text columns passed through unless they hold padded or empty values
    for col in columns:
        if col == "timestamp":
            exprs[col] = _timestamp_expr(raw, base_all, types[col], timestamp_format, checks,
                                         required=col in spec.required, empty=is_empty(col))
        elif col in spec.numbers:
            exprs[col] = _number_expr(col, types[col], marks.get(col, (".", False)), checks,
                                      required=col in spec.required, empty=is_empty(col))
        elif col == "question":
            exprs[col] = f"lower({as_text(col)})"
        else:
            if is_text(types[col]):
                padded.append(col)
            exprs[col] = as_text(col)
    for col in (*spec.ids, *spec.texts, *(c for c in ("question",) if c in types)):
        if col in types:
            checks.append(Check(col, "empty value", is_empty(col), "a non-empty value", code="empty_value"))
    present = [c for c in spec.one_of if c in types]
    if present:
        checks.append(Check(present[0] if len(present) == 1 else None,
                            "empty value" if len(present) == 1 else f"both {' and '.join(present)} are empty",
                            " AND ".join(is_empty(c) for c in present),
                            f"a {' or '.join(present)} name", code="empty_value"))
    if kind == "survey" and "question" in types and "score" in types:
        checks += _scale_checks(f"lower({as_text('question')})", exprs["score"], as_text("score"))
    for col in unnamed:
        if col in types:
            checks.append(Check(None, f"a value beyond the named columns (column {columns.index(col) + 1} has no "
                                "header): a value holding the delimiter without quotes splits in two",
                                f"NOT {is_empty(col)}", "one value per named column; quotes around a value that "
                                "holds the delimiter", value=as_text(col), code="invalid", unnamed=col))
    probes = [f"{ident(c)} LIKE '% '" if c in never_empty else f"{ident(c)} = '' OR {ident(c)} LIKE ' %' OR "
              f"{ident(c)} LIKE '% '" for c in padded]
    found, rows, blank_rows, blank_count, unpadded = _run_checks(raw, source, blank, checks, probes)
    warnings = [p.describe() for p, c in found if c.warn]
    problems += _unnamed_columns([(p, c) for p, c in found if not c.warn], unnamed, exprs, rows)
    if problems:
        raise ValidationFailed(where, problems, fix=_option_fix(kind, problems))
    dropped = []
    total = blank_total + blank_count
    if total:
        shown = sorted({*blank_first, *blank_rows})[:ROWS_SHOWN]
        dropped.append(Problem(None, "blank row dropped" if total == 1 else "blank rows dropped", tuple(shown),
                               count=total, code="blank_rows"))
    for col, clean in zip(padded, unpadded, strict=True):
        if clean and col in exprs:
            exprs[col] = ident(col)
    base = base_all if blank_count else source
    repeated = _duplicates(raw, base, [c for c in columns if c in exprs], spec.drop_duplicates) if duplicates \
        else None
    temp = None
    if repeated is not None:
        problem, temp = repeated
        if temp is None:
            warnings.append(problem.describe())
        else:
            dropped.append(problem)
            rows -= problem.count or 0
            base = f"(SELECT * FROM {base} WHERE _row NOT IN (SELECT _row FROM {temp}))"
    select = ", ".join(f"{expr} AS {ident(col)}" for col, expr in exprs.items())
    return Checked(f"SELECT {select}, _row FROM {base}", rows, dropped, warnings, temp)


def _option_fix(kind: Kind, problems: list[Problem]) -> str | None:
    """For a guess jmapkit refuses to make, the option that settles it as the user types it."""
    settles = {"ambiguous_date_order": "timestamp_format", "ambiguous_decimal_mark": "decimal"}
    names = [name for code, name in settles.items() if any(p.code == code for p in problems)]
    if not names:
        return None
    typed = " and ".join(f"--option {kind}.{name}=..." for name in names)
    return (f"say which with the option shown ({typed} on jmapkit run, {names[0]}=... in io.read), and correct "
            "any other listed values in the file.")


def _unnamed_columns(found: list[tuple[Problem, Check]], unnamed: Sequence[str], exprs: dict[str, str],
                     rows: int) -> list[Problem]:
    """The problems to report; an unnamed column is dropped when empty, kept when every row has a value."""
    problems = []
    for problem, check in found:
        if check.unnamed is not None and problem.count == rows:
            continue  # a value in every row: a column without a name (pandas' index), kept as text
        problems.append(problem)
    flagged = {c.unnamed for _, c in found}
    for col in unnamed:
        if col in exprs and col not in flagged:
            del exprs[col]  # no value anywhere: a trailing delimiter on every line, or Excel's formatting
    return problems


def _scale_checks(question: str, score: str, shown: str) -> list[Check]:
    """Scores of the standard questions outside their scale (errors), or between whole numbers.

    `score`: SQL of the parsed score; `shown`: SQL of the value as the file holds it.
    """
    checks = []
    for name, (low, high) in SCALES.items():
        label = f"question {name!r}"
        is_q = f"{question} = {quote(name)}"
        checks.append(Check("score", f"{label}: score is out of range",
                            f"{is_q} AND isfinite({score}) AND ({score} < {low} OR {score} > {high})",
                            f"whole numbers {low}..{high} for {name}", value=shown, code="out_of_range"))
        if name in CATEGORY_SCALES:
            checks.append(Check("score", f"{label}: score is not a whole number",
                                f"{is_q} AND {score} BETWEEN {low} AND {high} AND {score} <> floor({score})",
                                f"whole numbers {low}..{high} for {name}", value=shown, code="not_whole_number"))
        else:
            checks.append(Check("score", f"{label}: score between whole numbers, kept as it is (an averaged "
                                "answer counts in the mean)",
                                f"{is_q} AND {score} BETWEEN {low} AND {high} AND {score} <> floor({score})",
                                value=shown, code="not_whole_number", warn=True))
    checks.append(Check("score", "score is not a finite number", f"NOT isfinite({score})", "a finite number",
                        value=shown, code="not_finite"))
    return checks


def _run_checks(raw: Raw, source: str, blank: str, checks: list[Check],
                probes: Sequence[str] = ()) -> tuple[list[tuple[Problem, Check]], int, list[int], int, list[bool]]:
    """Every check in one aggregate pass over the file: bad-row count, first rows, first bad value.

    Also whether each probe (SQL) holds on no non-blank row.
    """
    parts = [f"count(*) FILTER (WHERE NOT ({blank}))",
             f"count(*) FILTER (WHERE {blank})", f"min(_row, {ROWS_SHOWN}) FILTER (WHERE {blank})"]
    if blank == "FALSE":  # no blank rows: do not read the row numbers for them
        parts = ["count(*)", "0", "NULL"]
    checks = [c for c in checks if c.condition != "FALSE"]  # known to hold on every row
    for c in checks:
        cond = f"NOT ({blank}) AND ({c.condition})"
        parts += [f"count(*) FILTER (WHERE {cond})", f"min(_row, {ROWS_SHOWN}) FILTER (WHERE {cond})",
                  f"arg_min({c.value}, _row) FILTER (WHERE {cond})" if c.value else "NULL"]
    parts += [f"count(*) FILTER (WHERE NOT ({blank}) AND ({probe})) = 0" for probe in probes]
    result = raw.rows(f"SELECT {', '.join(parts)} FROM {source}")[0]
    rows, blank_count, blank_rows = result[:3]
    found = []
    for i, c in enumerate(checks):
        count, first, value = result[3 + 3 * i: 6 + 3 * i]
        if count:
            found.append((Problem(c.column, c.reason, tuple(first), value=value, allowed=c.allowed, count=count,
                                  code=c.code), c))
    return found, rows, list(blank_rows or ()), blank_count, list(result[3 + 3 * len(checks):])


def _duplicates(raw: Raw, base: str, columns: list[str], drop: bool) -> tuple[Problem, str | None] | None:
    """Rows equal in every column to an earlier row: the problem reporting them, and (to drop them) a temp
    table of their row numbers.

    The first copy (lowest row) is the one kept. A 64-bit hash of each row finds candidates in one
    pass; only rows whose hash repeats are compared exactly.
    """
    cols = ", ".join(ident(c) for c in columns)
    repeated = raw.rows(f"SELECT count(*) FROM (SELECT hash({cols}) AS h FROM {base} GROUP BY h "
                        "HAVING count(*) > 1)")[0][0]
    if not repeated:
        return None
    later = (f"SELECT _row FROM {base} WHERE hash({cols}) IN (SELECT hash({cols}) FROM {base} GROUP BY ALL "
             f"HAVING count(*) > 1) QUALIFY row_number() OVER (PARTITION BY {cols} ORDER BY _row) > 1")
    table = None
    if drop:
        table = f"jm_duplicates_{uuid.uuid4().hex[:12]}"
        raw.con.execute(f"CREATE TEMP TABLE {table} AS {later}")
        later = f"SELECT _row FROM {table}"
    count, first = raw.rows(f"SELECT count(*), min(_row, {ROWS_SHOWN}) FROM ({later})")[0]
    if not count:
        if table:
            raw.con.execute(f"DROP TABLE {table}")
        return None  # equal hashes of different rows
    many = count != 1
    if drop:
        reason = (f"{count} exact duplicate row{'s' if many else ''} dropped (equal in every column to an earlier "
                  "row, which is kept)")
    else:
        reason = (f"{count} row{'s' if many else ''} equal in every column to an earlier row, kept: events may "
                  "repeat (a log by the day); if the file was exported twice, remove the copies")
    return Problem(None, reason, tuple(first), count=count, code="duplicate_rows"), table


def _decimal_marks(raw: Raw, base: str, columns: list[str], decimal: str | None,
                   checks: list[Check]) -> dict[str, tuple[str, bool]]:
    """Per text column of numbers: its decimal mark and whether any value has digit grouping.

    The mark that more values fit wins (',' in '4,5' and '1.234,5'; '.' in '4.5' and '1,234.5'). When
    every value fits both and some read differently ('1,234' is 1234 or 1.234), it is not guessed.
    """
    if not columns:
        return {}
    parts = []
    for col in columns:
        v = text(col)
        grouped = " OR ".join([f"contains({v}, ',')"] + [f"contains({v}, {quote(s)})" for s in _SPACES])
        parts += [f"count(*) FILTER (WHERE regexp_full_match({v}, {quote(NUMBER_PATTERNS['.'])}))",
                  f"count(*) FILTER (WHERE regexp_full_match({v}, {quote(NUMBER_PATTERNS[','])}))",
                  f"count(*) FILTER (WHERE regexp_full_match({v}, {quote(NUMBER_PATTERNS['.'])}) AND "
                  f"regexp_full_match({v}, {quote(NUMBER_PATTERNS[','])}) AND regexp_matches({v}, '[.,]'))",
                  f"count(*) FILTER (WHERE {grouped})"]
    counts = raw.rows(f"SELECT {', '.join(parts)} FROM {base}")[0]
    marks = {}
    for i, col in enumerate(columns):
        dot, comma, both, grouped = counts[4 * i: 4 * i + 4]
        if decimal is not None:
            mark = decimal
        elif comma > dot:
            mark = ","
        elif dot > comma or not both:
            mark = "."
        else:
            v = text(col)
            checks.append(Check(col, "decimal comma or thousands separator? Every number fits both",
                                f"regexp_matches({v}, '[.,]')", "say which: decimal=',' (1,5 is one and a half) "
                                "or decimal='.' (1,500 is fifteen hundred)", value=v,
                                code="ambiguous_decimal_mark"))
            mark = "."
        marks[col] = (mark, bool(grouped) or mark == ",")
    return marks


def _number_expr(col: str, col_type: str, mark: tuple[str, bool], checks: list[Check], *, required: bool,
                 empty: str) -> str:
    decimal, grouped = mark
    as_text = text(col, col_type)
    if numeric(col_type):
        expr = f"CAST({ident(col)} AS DOUBLE)"
    elif not grouped:
        expr = f"TRY_CAST({as_text} AS DOUBLE)"  # no grouping and '.' decimals: as fast as a plain cast
    else:
        other = "," if decimal == "." else "."
        plain = f"regexp_replace({as_text}, '[{other}{_SPACES}]', '', 'g')"
        value = plain if decimal == "." else f"replace({plain}, ',', '.')"
        # A value that does not fit the mark ('4.5' among decimal commas) is not a number, never read
        # with the other mark; one without any mark ('1e3', 'inf') is cast as it is.
        expr = (f"CASE WHEN regexp_full_match({as_text}, {quote(NUMBER_PATTERNS[decimal])}) "
                f"THEN TRY_CAST({value} AS DOUBLE) WHEN regexp_matches({as_text}, '[.,]') THEN NULL "
                f"ELSE TRY_CAST({as_text} AS DOUBLE) END")
    if not numeric(col_type):
        example = "1,234.5" if decimal == "." else "1.234,5"
        checks.append(Check(col, "not a number", f"{as_text} IS NOT NULL AND {expr} IS NULL",
                            f"numbers with '{decimal}' as the decimal mark (e.g. {example})", value=as_text,
                            code="not_a_number"))
    if required:
        checks.append(Check(col, "empty value", empty, "a number", code="empty_value"))
    return expr


def _timestamp_expr(raw: Raw, base: str, col_type: str, fmt: str | None, checks: list[Check], *,
                    required: bool, empty: str) -> str:
    col = "timestamp"
    column, as_text = ident(col), text(col, col_type)
    if required:
        checks.append(Check(col, "empty value", empty, "a timestamp", code="empty_value"))
    upper = col_type.upper()
    if upper.startswith("TIMESTAMP WITH TIME ZONE"):
        return _utc(column)
    if upper.startswith("TIMESTAMP") or upper == "DATE":
        return f"CAST({column} AS TIMESTAMP)"
    if fmt is None:
        sample = [r[0] for r in raw.rows(f"SELECT {as_text} FROM {base} WHERE {as_text} IS NOT NULL LIMIT {SAMPLE}")]
        fmt = _detect_timestamp_format(raw, base, sample, checks)
        if fmt is None:
            return "CAST(NULL AS TIMESTAMP)"
    else:
        check_format(raw, fmt)
    expr = _parse_expr(as_text, fmt)
    checks.append(Check(col, "not a timestamp", f"{as_text} IS NOT NULL AND {expr} IS NULL",
                        f"the file's format, {NAMED_FORMATS.get(fmt, fmt)}", value=as_text, code="not_a_timestamp"))
    return expr


_ZONE = r"[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|UTC|[+-]\d{2}(:?\d{2})?)$"


def _parse_expr(as_text: str, fmt: str) -> str:
    """SQL turning the text into a UTC TIMESTAMP without zone (NULL when it does not parse)."""
    if fmt == "iso":
        # A plain TIMESTAMP cast would drop an offset silently: zoned values go through TIMESTAMPTZ.
        zoned = _utc(f"TRY_CAST(regexp_replace({as_text}, '\\s*UTC$', 'Z') AS TIMESTAMPTZ)")
        return (f"CASE WHEN regexp_matches({as_text}, {quote(_ZONE)}) THEN {zoned} "
                f"ELSE TRY_CAST({as_text} AS TIMESTAMP) END")
    if fmt in ("epoch_s", "epoch_ms"):
        millis = f"TRY_CAST({as_text} AS DOUBLE)" + (" * 1000" if fmt == "epoch_s" else "")
        # Only finite values inside DuckDB's timestamp range: anything else is not a timestamp (NULL).
        return (f"CASE WHEN abs({millis}) < 9.2e15 THEN epoch_ms(CAST(round({millis}) AS BIGINT)) END")
    if "%z" in fmt or "%Z" in fmt:
        return _utc(f"try_strptime({as_text}, {quote(fmt)})")
    return f"try_strptime({as_text}, {quote(fmt)})"


def _utc(zoned: str) -> str:
    """A TIMESTAMPTZ as the UTC wall-clock TIMESTAMP, whatever zone the connection is set to.

    Its stored microseconds are UTC already: reading them back is several times cheaper than
    timezone('UTC', ...), which goes through ICU on every value (1.4 s per 10 M events).
    """
    return f"make_timestamp(epoch_us({zoned}))"


def check_format(raw: Raw, fmt: str) -> None:
    """Raise DataFileError unless `fmt` is a strptime pattern DuckDB accepts or a named format."""
    if fmt in NAMED_FORMATS:
        return
    try:
        raw.rows(f"SELECT try_strptime('2026-01-01', {quote(fmt)})")
    except Exception:
        raise DataFileError(f"timestamp_format={fmt!r} is not a valid strptime pattern.",
                            fix="use codes such as '%d/%m/%Y %H:%M', or 'iso', 'epoch_s', 'epoch_ms'.") from None


ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|UTC|[+-]\d{2}(:?\d{2})?)?$")


def _fits(value: str, fmt: str) -> bool:
    from datetime import datetime

    if fmt == "iso":
        return bool(ISO.match(value))
    if fmt == "epoch_s":
        return bool(re.fullmatch(r"\d{9,11}(\.\d+)?", value))
    if fmt == "epoch_ms":
        return bool(re.fullmatch(r"\d{12,14}(\.\d+)?", value))
    try:
        datetime.strptime(value, fmt)
        return True
    except ValueError:
        return False


def _detect_timestamp_format(raw: Raw, base: str, sample: Sequence[str], checks: list[Check]) -> str | None:
    """ISO 8601, epoch seconds/ms, or the one local format most values fit; a tie is an error, never a guess.

    The format that fits most sampled values wins, so a few bad values are reported by row instead of
    hiding the format. Day-first and month-first tied on the sample are settled on the whole column.
    """
    if not sample:
        return "iso"
    formats = [*NAMED_FORMATS, *(f for f, _ in LOCAL_FORMATS)]
    fits = {f: sum(_fits(v, f) for v in sample) for f in formats}
    best = max(fits.values())
    as_text = text("timestamp")
    if best == 0:
        checks.append(Check("timestamp", "timestamps in a format jmapkit does not recognise",
                            f"{as_text} IS NOT NULL",
                            "ISO 8601, epoch seconds/ms, or timestamp_format='%d/%m/%Y %H:%M' (strptime)",
                            value=as_text, code="unknown_timestamp_format"))
        return None
    tied = [f for f in formats if fits[f] == best]
    if len(tied) > 1:
        counts = raw.rows("SELECT " + ", ".join(f"count({_parse_expr(as_text, f)})" for f in tied) + f" FROM {base}")[0]
        tied = [f for f, n in zip(tied, counts, strict=True) if n == max(counts)]
    if len(tied) == 1:
        return tied[0]
    checks.append(Check(
        "timestamp", f"day-first or month-first? Every timestamp fits both {' and '.join(tied)}",
        f"{as_text} IS NOT NULL",
        f"say which: timestamp_format={tied[0]!r} or timestamp_format={tied[1]!r}",
        value=as_text, code="ambiguous_date_order"))
    return None
