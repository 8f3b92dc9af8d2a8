"""Model formulas that are checked before anything is evaluated.

A formula string is data as much as a CSV header is, so it never reaches an evaluator
unchecked. :func:`parse_formula` tokenises ``"outcome ~ terms"`` and accepts only a small
grammar:

* column names, bare (``sga``, ``birth.weight``) or in backticks (```birth weight```, with
  ``\\``` and ``\\\\`` for a backtick or backslash inside);
* ``C(name)`` (a factor) and ``I(expression)`` with ``+ - * / **``, parentheses, names and
  numbers inside;
* ``+`` between terms, ``:`` and ``*`` interactions, parentheses, and ``-1`` / ``+0`` / ``+1``
  for the intercept.

Anything else (string literals, subscripts, attribute access on calls, lambdas, calls other
than ``C``/``I``, dunder names) is refused with the offending token named. The accepted
formula is then handed to formulaic with every column replaced by a generated identifier
(``_v0_``, ``_v1_``...) over a frame holding only those columns, so no column name is ever
formula source. Column names from a list (``outcome=``, ``covariates=``) skip the tokeniser
altogether: :func:`formula_from_columns` builds the same structure from the names.

formulaic's full language (``np.log(x)`` and any Python) is available only through
``allow_formula_code=True`` on :func:`neok2.stats.logistic.logistic_regression`, for formulas
the caller wrote and trusts.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from formulaic import Formula, model_matrix
from formulaic.errors import FormulaicError

__all__ = ["ParsedFormula", "formula_from_columns", "parse_formula", "quote_name"]

INTERCEPT = "(Intercept)"
_BARE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# Longest operators first, so that ``**`` is not read as two ``*``.
_OPERATORS = ("**", "~", "+", "-", "*", "/", ":", "(", ")")
_FUNCTIONS = ("C", "I")
_GENERATED = re.compile(r"_v(\d+)_")
# Row labels quoted in an error message.
_ROWS_SHOWN = 5
# A text column whose values are more than this share numbers is taken for a numeric column
# with data-entry errors rather than for a factor.
_NUMBER_SHARE = 0.5


@dataclass(frozen=True)
class _Token:
    kind: str  # "name", "number", "op"
    text: str  # the column name itself for a name (backticks and escapes removed)
    position: int


@dataclass(frozen=True)
class ParsedFormula:
    """A formula that passed the grammar: its outcome, its columns and its safe form.

    Attributes
    ----------
    outcome : str
        The outcome column.
    variables : tuple of str
        The right-hand-side columns, in order of first appearance.
    text : str
        The formula for display, every column quoted when it needs quoting.
    safe_rhs : str
        The right-hand side with column ``variables[k]`` replaced by ``_v{k}_``: the only
        text that formulaic sees.
    """

    outcome: str
    variables: tuple[str, ...]
    text: str
    safe_rhs: str


def quote_name(name: str) -> str:
    """A column name as formula text: bare when it can be, else fully escaped backticks.

    Examples
    --------
    >>> quote_name("sga"), quote_name("birth weight"), quote_name("a`b")
    ('sga', '`birth weight`', '`a\\\\`b`')
    """
    if _BARE_NAME.fullmatch(name) and "__" not in name and not keyword.iskeyword(name):
        return name
    escaped = name.replace("\\", "\\\\").replace("`", "\\`")
    return f"`{escaped}`"


def _refuse(formula: str, reason: str) -> ValueError:
    return ValueError(
        f"`formula` {formula!r} does not parse: {reason}. Formulas may hold column names "
        "(in backticks if they are not plain names), C(name), I(arithmetic), +, :, *, "
        "parentheses and -1; pass allow_formula_code=True only for a formula you wrote and trust"
    )


def _tokenize(formula: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(formula):
        char = formula[position]
        if char.isspace():
            position += 1
            continue
        if char == "`":
            name, position = _read_backticks(formula, position)
            tokens.append(_Token("name", name, position))
            continue
        bare = _BARE_NAME.match(formula, position)
        if bare:
            text = bare.group()
            if "__" in text or keyword.iskeyword(text):
                raise _refuse(
                    formula,
                    f"`{text}` is not allowed as a bare name (dunder names and Python keywords "
                    "are refused); a column with that name goes in backticks",
                )
            if "." in text and formula[bare.end() : bare.end() + 1] == "(":
                raise _refuse(formula, f"`{text}(` calls a function; only C() and I() are allowed")
            tokens.append(_Token("name", text, position))
            position = bare.end()
            continue
        number = _NUMBER.match(formula, position)
        if number:
            tokens.append(_Token("number", number.group(), position))
            position = number.end()
            continue
        operator = next((op for op in _OPERATORS if formula.startswith(op, position)), None)
        if operator is None:
            raise _refuse(formula, f"character {char!r} at position {position} is not allowed")
        tokens.append(_Token("op", operator, position))
        position += len(operator)
    return tokens


def _read_backticks(formula: str, start: int) -> tuple[str, int]:
    characters: list[str] = []
    position = start + 1
    while position < len(formula):
        char = formula[position]
        if char == "\\" and position + 1 < len(formula):
            characters.append(formula[position + 1])
            position += 2
        elif char == "`":
            if not characters:
                raise _refuse(formula, f"empty backticks at position {start}")
            return "".join(characters), position + 1
        else:
            characters.append(char)
            position += 1
    raise _refuse(formula, f"the backtick at position {start} is never closed")


class _Parser:
    """Recursive descent over the tokens; it only checks, it never evaluates."""

    def __init__(self, formula: str, tokens: list[_Token]) -> None:
        self.formula = formula
        self.tokens = tokens
        self.index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise _refuse(self.formula, "it ends too early")
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.kind != "op" or token.text != text:
            raise _refuse(self.formula, f"expected {text!r} but found {token.text!r}")

    def at(self, text: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "op" and token.text == text

    def terms(self) -> None:
        """``term (('+' | '-') term)*``; a ``-`` may only remove the intercept."""
        if self.at("-"):
            self.take()
            self.intercept_only()
        else:
            self.product()
        while self.at("+") or self.at("-"):
            sign = self.take().text
            if sign == "-":
                self.intercept_only()
            else:
                self.product()

    def intercept_only(self) -> None:
        token = self.take()
        if token.kind != "number" or float(token.text) not in (0.0, 1.0):
            raise _refuse(self.formula, f"only '- 1' may be subtracted, not {token.text!r}")

    def product(self) -> None:
        self.interaction()
        while self.at("*"):
            self.take()
            self.interaction()

    def interaction(self) -> None:
        self.factor()
        while self.at(":"):
            self.take()
            self.factor()

    def factor(self) -> None:
        token = self.take()
        if token.kind == "number":
            if float(token.text) not in (0.0, 1.0):
                raise _refuse(self.formula, f"a bare number {token.text!r} is not a term")
            return
        if token.kind == "op":
            if token.text != "(":
                raise _refuse(self.formula, f"unexpected {token.text!r}")
            self.terms()
            self.expect(")")
            return
        if self.at("("):
            if token.text not in _FUNCTIONS:
                raise _refuse(
                    self.formula, f"`{token.text}(` calls a function; only C() and I() are allowed"
                )
            self.take()
            if token.text == "C":
                name = self.take()
                if name.kind != "name":
                    raise _refuse(self.formula, f"C() takes one column name, not {name.text!r}")
                self.expect(")")
            else:
                self.arithmetic()
                self.expect(")")
        token_after = self.peek()
        if token_after is not None and token_after.kind in ("name", "number"):
            raise _refuse(
                self.formula,
                f"unexpected {token_after.text!r} after {token.text!r}; join terms with +",
            )

    def arithmetic(self) -> None:
        """Inside ``I()``: names, numbers, ``+ - * / **`` and parentheses."""
        self.operand()
        while any(self.at(op) for op in ("+", "-", "*", "/", "**")):
            self.take()
            self.operand()

    def operand(self) -> None:
        while self.at("-") or self.at("+"):
            self.take()
        token = self.take()
        if token.kind == "op":
            if token.text != "(":
                raise _refuse(self.formula, f"unexpected {token.text!r} inside I()")
            self.arithmetic()
            self.expect(")")
        elif token.kind == "name" and self.at("("):
            raise _refuse(self.formula, f"`{token.text}(` calls a function inside I()")


def parse_formula(formula: str) -> ParsedFormula:
    """Check ``formula`` against the grammar and return its safe form; nothing is evaluated.

    Parameters
    ----------
    formula : str
        ``"outcome ~ terms"``.

    Returns
    -------
    ParsedFormula

    Raises
    ------
    ValueError
        The formula has no ``~``, its left-hand side is not one column, the outcome appears
        on the right, or a token is outside the grammar (the error names it).

    Examples
    --------
    >>> parsed = parse_formula("case ~ sga + C(race) + I(age ** 2) + `birth weight`")
    >>> parsed.outcome, parsed.variables
    ('case', ('sga', 'race', 'age', 'birth weight'))
    >>> parsed.safe_rhs
    '_v0_ + C(_v1_) + I(_v2_ ** 2) + _v3_'
    >>> parse_formula("case ~ __import__('os').getcwd()")
    Traceback (most recent call last):
    ...
    ValueError: `formula` "case ~ __import__('os').getcwd()" does not parse: `__import__` is ...
    """
    tokens = _tokenize(formula)
    tildes = [i for i, token in enumerate(tokens) if token.kind == "op" and token.text == "~"]
    if not tildes or tildes[0] == 0:
        raise ValueError(f"`formula` {formula!r} needs an outcome: write 'outcome ~ covariates'")
    if len(tildes) > 1 or tildes[0] == len(tokens) - 1:
        raise _refuse(formula, "write exactly one '~' with terms after it")
    lhs, rhs = tokens[: tildes[0]], tokens[tildes[0] + 1 :]
    if len(lhs) != 1 or lhs[0].kind != "name":
        shown = formula[: tokens[tildes[0]].position].strip()
        raise ValueError(
            f"`formula` {formula!r}: the left-hand side must be one 0/1 column, not {shown!r}"
        )
    parser = _Parser(formula, rhs)
    parser.terms()
    if parser.peek() is not None:
        raise _refuse(formula, f"unexpected {parser.take().text!r}")
    return _assemble(lhs[0].text, rhs)


def formula_from_columns(outcome: str, covariates: Sequence[str]) -> ParsedFormula:
    """The additive formula ``outcome ~ covariates`` built from names, with no parsing.

    Examples
    --------
    >>> formula_from_columns("case", ["sga", "x` + 1 + `y"]).text
    'case ~ sga + `x\\\\` + 1 + \\\\`y`'
    """
    plus = _Token("op", "+", 0)
    rhs: list[_Token] = []
    for name in covariates:
        rhs += [plus, _Token("name", name, 0)] if rhs else [_Token("name", name, 0)]
    return _assemble(outcome, rhs or [_Token("number", "1", 0)])


def _assemble(outcome: str, rhs: list[_Token]) -> ParsedFormula:
    variables: list[str] = []
    safe: list[str] = []
    shown: list[str] = []
    for index, token in enumerate(rhs):
        if token.kind == "name" and not _is_function(rhs, index):
            if token.text not in variables:
                variables.append(token.text)
            safe.append(f"_v{variables.index(token.text)}_")
            shown.append(quote_name(token.text))
        else:
            safe.append(token.text)
            shown.append(token.text)
    if outcome in variables:
        raise ValueError(
            f"the outcome `{outcome}` cannot also be a covariate; remove it from the right-hand "
            "side"
        )
    text = f"{quote_name(outcome)} ~ {_join(shown)}"
    return ParsedFormula(outcome, tuple(variables), text, _join(safe))


def _join(pieces: list[str]) -> str:
    """Formula text with the usual spacing: ``C(race)``, ``a:b``, ``a + b``."""
    text = ""
    for index, piece in enumerate(pieces):
        previous = pieces[index - 1] if index else ""
        tight = (
            previous in ("(", ":", "")
            or piece in (")", ":")
            or (piece == "(" and previous in _FUNCTIONS)
        )
        text += piece if tight else f" {piece}"
    return text


def _is_function(tokens: list[_Token], index: int) -> bool:
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    return (
        tokens[index].text in _FUNCTIONS
        and following is not None
        and following.kind == "op"
        and following.text == "("
    )


def _restore(label: str, variables: Sequence[str]) -> str:
    """Put the column names back into a formulaic label, outside the ``[level]`` brackets."""
    pieces = re.split(r"(\[[^\]]*\])", label)
    return "".join(
        piece
        if piece.startswith("[")
        else _GENERATED.sub(lambda match: variables[int(match.group(1))], piece)
        for piece in pieces
    )


def design_columns(
    parsed: ParsedFormula, complete: pd.DataFrame, formula: str
) -> tuple[list[str], np.ndarray, dict[str, tuple[int, ...]], list[str]]:
    """Model-matrix columns of a checked formula on the complete rows.

    Returns column names, the matrix, the columns of each term and each column's variable.
    formulaic only sees ``parsed.safe_rhs`` and a frame of the generated identifiers.
    """
    frame = pd.DataFrame(
        {f"_v{k}_": complete[name] for k, name in enumerate(parsed.variables)},
        index=complete.index,
    )
    return _matrix(parsed.safe_rhs, frame, formula, list(parsed.variables))


def trusted_design_columns(
    rhs: Any, complete: pd.DataFrame, formula: str, data_columns: pd.Index
) -> tuple[list[str], np.ndarray, dict[str, tuple[int, ...]], list[str]]:
    """formulaic's full evaluation, for ``allow_formula_code=True`` only."""
    return _matrix(rhs, complete, formula, None, data_columns)


def _matrix(
    rhs: Any,
    frame: pd.DataFrame,
    formula: str,
    variables: list[str] | None,
    data_columns: pd.Index | None = None,
) -> tuple[list[str], np.ndarray, dict[str, tuple[int, ...]], list[str]]:
    try:
        matrix = model_matrix(rhs, frame, na_action="raise")
    except FormulaicError as error:
        reason = str(error).splitlines()[0]
        raise ValueError(
            f"`formula` {formula!r} cannot be evaluated on the data: {reason}"
        ) from None

    def restore(label: str) -> str:
        return label if variables is None else _restore(label, variables)

    spec = matrix.model_spec
    names = [INTERCEPT if name == "Intercept" else restore(str(name)) for name in matrix.columns]
    X = np.asarray(matrix.to_numpy(dtype=float))
    known = set(frame.columns if data_columns is None else data_columns)
    terms: dict[str, tuple[int, ...]] = {}
    column_variables = [""] * len(names)
    for term, indices in spec.term_indices.items():
        used = sorted(restore(name) for name in set(spec.term_variables[term]) & known)
        label = INTERCEPT if str(term) == "1" else restore(str(term))
        variable = used[0] if len(used) == 1 else label
        terms[label] = tuple(indices)
        for index in indices:
            column_variables[index] = variable
    return names, X, terms, column_variables


def parse_trusted(formula: str) -> tuple[str, Any, list[str]]:
    """formulaic's own parse, for ``allow_formula_code=True``: outcome, rhs and its variables.

    This evaluates Python in the formula; callers reach it only on explicit opt-in.
    """
    try:
        parsed = Formula(formula)
    except (FormulaicError, SyntaxError, ValueError, TypeError) as error:
        reason = str(error).splitlines()[0]
        raise ValueError(f"`formula` {formula!r} does not parse: {reason}") from None
    if not hasattr(parsed, "lhs") or "~" not in formula:
        raise ValueError(f"`formula` {formula!r} needs an outcome: write 'outcome ~ covariates'")
    lhs_variables = sorted(parsed.lhs.required_variables)
    outcome = lhs_variables[0] if len(lhs_variables) == 1 else None
    if outcome is None or str(parsed.lhs).strip("` ") != outcome:
        raise ValueError(
            f"`formula` {formula!r}: the left-hand side must be one 0/1 column, "
            f"not {str(parsed.lhs)!r}"
        )
    required = sorted(parsed.rhs.required_variables)
    if outcome in required:
        raise ValueError(
            f"the outcome `{outcome}` cannot also be a covariate; remove it from the right-hand "
            "side"
        )
    return outcome, parsed.rhs, required


# ----------------------------------------------------------------------------- column checks


def check_flat_columns(data: pd.DataFrame) -> None:
    if isinstance(data.columns, pd.MultiIndex):
        raise ValueError(
            "`data` has MultiIndex (multi-level) columns; flatten them to one name per "
            "column first, e.g. data.columns = ['_'.join(map(str, c)) for c in data.columns]"
        )


def row_labels(index: pd.Index, mask: np.ndarray) -> str:
    """The first few row labels where ``mask`` holds, for error messages."""
    labels = [str(label) for label in index[mask][:_ROWS_SHOWN]]
    more = int(mask.sum()) - len(labels)
    return ", ".join(labels) + (f" and {more} more" if more > 0 else "")


def check_unique_columns(data: pd.DataFrame, names: Sequence[str]) -> None:
    if data.columns.is_unique:
        return
    repeated = sorted({str(name) for name in names if int((data.columns == name).sum()) > 1})
    if repeated:
        raise ValueError(
            f"column name(s) {repeated} appear more than once in `data`, so the model cannot "
            "tell which one to use; rename or drop the duplicates, e.g. "
            "data.loc[:, ~data.columns.duplicated()]"
        )


def check_finite(values: np.ndarray, name: str, index: pd.Index) -> None:
    infinite = np.isinf(values)
    if infinite.any():
        raise ValueError(
            f"column {name!r} holds non-finite values (inf or -inf) in row(s) "
            f"{row_labels(index, infinite)}; replace them with the true values, or with NaN "
            "to leave those rows out as missing"
        )


def check_text_column(values: pd.Series, name: str) -> None:
    """Reject a text column that is really numeric with a few stray text cells.

    formulaic would make such a column a factor with one level per distinct number, which
    fails much later with an obscure message (or, worse, fits a nonsensical model).
    """
    observed = values.dropna()
    parsed = pd.to_numeric(observed, errors="coerce")
    text = parsed.isna().to_numpy(dtype=bool)
    if text.any() and int((~text).sum()) > _NUMBER_SHARE * observed.size:
        shown = ", ".join(
            f"row {label}: {value!r}" for label, value in observed[text].head(_ROWS_SHOWN).items()
        )
        more = max(int(text.sum()) - _ROWS_SHOWN, 0)
        raise ValueError(
            f"column {name!r} mixes numbers and text ({shown}"
            + (f" and {more} more" if more else "")
            + "); fix those cells, then make the column numeric with "
            f"pd.to_numeric(data[{name!r}], errors='coerce') (cells that are still text become "
            f"NaN, missing); if it really is categorical, use data[{name!r}].astype('category')"
        )


def decode_categorical(values: pd.Series) -> pd.Series:
    """A categorical column with numeric or boolean categories as those plain values.

    Other columns come back unchanged, so a text category is still refused as an outcome.
    """
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return values
    categories = values.cat.categories
    if pd.api.types.is_numeric_dtype(categories) or pd.api.types.is_bool_dtype(categories):
        return values.astype(categories.dtype if not values.isna().any() else float)
    return values
