"""No code runs from data, specs or formulas (issue 17, item 1).

Each attack string would create the file ``marker`` if any of it were evaluated. It is sent
through every API entry and CLI command that takes column names or formulas, once as a column
that exists (it must then be used as a plain name) and once as one that does not (the error
must name it); as a formula it must be refused before anything is evaluated, with the
offending token named. The ``outcome ~ outcome`` model is refused by every route.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from neok2.cli.app import main
from neok2.stats.baseline import baseline_table
from neok2.stats.contingency import crosstab_2x2
from neok2.stats.formula import parse_formula
from neok2.stats.logistic import logistic_regression, univariable
from neok2.stats.selection import bootstrap_inclusion, screen_and_fit, stepwise

SPECS = Path(__file__).parent / "specs"

# {MARK} is replaced by the marker file's path. Each string is code that would create it.
ATTACKS = [
    # the header reported in the issue: backticks closed early, a set display, a call chain
    "x` + {__import__('os').system('touch {MARK}').bit_length() or 0} + `y",
    "x` + {open('{MARK}', 'w').close() or 0} + `y",
    "__import__('os').system('touch {MARK}')",
    "__import__('pathlib').Path('{MARK}').touch()",
    # attribute chains, from a name and from a literal
    "x.__class__.__init__.__globals__['os'].system('touch {MARK}')",
    "().__class__.__base__.__subclasses__()[0] or open('{MARK}', 'w')",
    # lambdas
    "(lambda: open('{MARK}', 'w'))()",
    "I((lambda m: open(m, 'w'))('{MARK}'))",
    # dunder names
    "__builtins__.open('{MARK}', 'w')",
    "__builtins__['exec'](\"open('{MARK}', 'w')\")",
    # string literals
    "I('{MARK}' + str(open('{MARK}', 'w')))",
    "C(x, contr.treatment(open('{MARK}', 'w')))",
    # subscripts
    "x[open('{MARK}', 'w').close() or 0]",
    # calls other than C and I
    "exec(\"open('{MARK}', 'w')\")",
    "np.log(x) + eval(\"open('{MARK}', 'w')\")",
    "I(open('{MARK}', 'w').close() or 1)",
    "C(open('{MARK}', 'w'))",
    # variants: a set display alone, a newline, an f-string, a walrus
    "{open('{MARK}', 'w')}",
    "x\n+ open('{MARK}', 'w')",
    'f\'{open("{MARK}", "w")}\'',
    "(m := open('{MARK}', 'w'))",
]


def _attack(template: str, marker: Path) -> str:
    return template.replace("{MARK}", str(marker))


def _frame(column: str, n: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    exposure = rng.integers(0, 2, n)
    case = (rng.random(n) < 0.3 + 0.3 * exposure).astype(int)
    return pd.DataFrame(
        {"case": case, "age": rng.normal(30, 5, n).round(1), column: exposure, "ok": 1 - exposure}
    )


@pytest.fixture(params=range(len(ATTACKS)), ids=[f"attack{i}" for i in range(len(ATTACKS))])
def attack(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path]:
    marker = tmp_path / "pwned"
    return _attack(ATTACKS[request.param], marker), marker


# ----------------------------------------------------------------------------- formulas


class TestFormulaStrings:
    def test_formula_is_refused_before_evaluation_and_names_the_token(self, attack):
        name, marker = attack
        data = _frame("x")
        with pytest.raises(ValueError, match="does not parse") as caught:
            logistic_regression(data, f"case ~ age + {name}")
        message = str(caught.value)
        reason = message.split("does not parse: ")[1]
        # the reason quotes a token of the attack: `name`, `name(`, 'c', "text"
        quoted = re.findall(r"`([^`]+)`|'([^']+)'|\"([^\"]+)\"", reason)
        tokens = [piece.rstrip("(") for groups in quoted for piece in groups if piece]
        assert any(token and token in name for token in tokens), reason
        assert not marker.exists()

    def test_attack_as_the_outcome_is_refused(self, attack):
        name, marker = attack
        with pytest.raises(ValueError):
            logistic_regression(_frame("x"), f"{name} ~ age")
        assert not marker.exists()

    def test_a_column_named_like_code_is_fitted_as_a_name_in_backticks(self, attack):
        name, marker = attack
        escaped = name.replace("\\", "\\\\").replace("`", "\\`")
        model = logistic_regression(_frame(name), f"case ~ age + `{escaped}`")
        assert model.tidy()["term"].tolist() == ["(Intercept)", "age", name]
        assert not marker.exists()

    def test_opt_in_still_refuses_the_outcome_as_a_covariate(self):
        with pytest.raises(ValueError, match="outcome `case` cannot also be a covariate"):
            logistic_regression(_frame("x"), "case ~ case", allow_formula_code=True)

    @pytest.mark.parametrize(
        ("formula", "variables"),
        [
            ("case ~ a + b", ("a", "b")),
            ("case ~ a*b - 1", ("a", "b")),
            ("case ~ 0 + a:C(b)", ("a", "b")),
            ("case ~ -1 + (a + b):c", ("a", "b", "c")),
            ("case ~ I((a - 1.5) ** 2 / -b) + `b c`", ("a", "b", "b c")),
            ("case ~ `a\\`b` + birth.weight", ("a`b", "birth.weight")),
        ],
    )
    def test_the_grammar_accepts_what_it_documents(self, formula, variables):
        assert parse_formula(formula).variables == variables


# ----------------------------------------------------------------------------- column names


def _api_routes(data: pd.DataFrame, name: str) -> dict[str, object]:
    return {
        "logistic_regression": lambda: logistic_regression(
            data, outcome="case", covariates=["age", name]
        ),
        "univariable": lambda: univariable(data, "case", [name]),
        "screen_and_fit": lambda: screen_and_fit(data, "case", ["age", name], threshold=1.0),
        "stepwise": lambda: stepwise(data, "case", ["age", name]),
        "bootstrap_inclusion": lambda: bootstrap_inclusion(
            data, "case", ["age", name], n_boot=3, seed=1
        ),
        "baseline_table": lambda: baseline_table(data, "case", variables=[name]),
        "crosstab_2x2": lambda: crosstab_2x2(data, name, "case"),
    }


ROUTES = list(_api_routes(pd.DataFrame(), "x"))


@pytest.mark.parametrize("route", ROUTES)
class TestColumnNames:
    def test_present_column_is_used_as_a_name(self, attack, route):
        name, marker = attack
        _api_routes(_frame(name), name)[route]()  # type: ignore[operator]
        assert not marker.exists()

    def test_absent_column_is_named_in_the_error(self, attack, route):
        name, marker = attack
        # baseline_table raises KeyError for an unknown column (its long-standing contract)
        with pytest.raises((ValueError, KeyError)) as caught:
            _api_routes(_frame("x"), name)[route]()  # type: ignore[operator]
        message = str(caught.value.args[0])
        assert name in message or repr(name) in message
        assert not marker.exists()


# ----------------------------------------------------------------------------- the CLI


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args))


class TestCli:
    def test_screen_candidates(self, attack, tmp_path):
        name, marker = attack
        data = tmp_path / "data.csv"
        _frame(name).rename(columns={"case": "deficiency"}).to_csv(data, index=False)
        result = _invoke(
            "screen", "--no-validate", str(data), "--candidates", f"age,{name}", "--threshold", "1"
        )
        assert not marker.exists()
        if "," not in name:
            assert result.exit_code == 0, result.output
        else:  # split by --candidates into pieces that are not columns: named in the error
            assert result.exit_code != 0
            assert "unknown column" in result.output

    def test_table1_group(self, attack, tmp_path):
        name, marker = attack
        data = tmp_path / "data.csv"
        _frame(name).to_csv(data, index=False)
        prefix = str(tmp_path / "t1")
        ok = _invoke("table1", str(data), "--group", name, "--out", prefix)
        assert ok.exit_code == 0, ok.output
        missing = _invoke("table1", str(data), "--group", name + "_absent", "--out", prefix)
        assert missing.exit_code != 0
        assert not marker.exists()


def _attack_spec(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """small_study with its ``smoker`` column renamed to ``name``, and matching data."""
    spec = yaml.safe_load((SPECS / "small_study.yaml").read_text(encoding="utf-8"))
    data = tmp_path / "small.csv"
    result = _invoke(
        "synth", "--study", str(SPECS / "small_study.yaml"), "--seed", "3", "--out", str(data)
    )
    assert result.exit_code == 0, result.output
    text = yaml.safe_dump(spec, allow_unicode=True, sort_keys=False)
    renamed = yaml.safe_load(text.replace("smoker", "SMOKER_PLACEHOLDER"))

    def rename(node: object) -> object:
        if isinstance(node, dict):
            return {rename(k): rename(v) for k, v in node.items()}
        if isinstance(node, list):
            return [rename(v) for v in node]
        return name if node == "SMOKER_PLACEHOLDER" else node

    renamed = rename(renamed)
    path = tmp_path / "attack_study.yaml"
    path.write_text(yaml.safe_dump(renamed, allow_unicode=True, sort_keys=False), "utf-8")
    pd.read_csv(data).rename(columns={"smoker": name}).to_csv(data, index=False)
    return path, data


@pytest.mark.parametrize("index", [0, 13])
def test_a_spec_listing_an_attack_column_runs_nothing(tmp_path, index):
    marker = tmp_path / "pwned"
    name = _attack(ATTACKS[index], marker)
    spec, data = _attack_spec(tmp_path, name)
    for args in (
        [
            "analyze",
            str(data),
            "--study",
            str(spec),
            "--seed",
            "1",
            "--out",
            str(tmp_path / "results"),
        ],
        ["screen", "--no-validate", str(data), "--study", str(spec)],
        ["table1", str(data), "--study", str(spec), "--out", str(tmp_path / "t1")],
    ):
        result = _invoke(*args)
        assert not marker.exists(), args
        # the odd name is an ordinary column: every command completes
        assert result.exit_code == 0, (args, result.output)


# ----------------------------------------------------------------------------- y ~ y


class TestOutcomeAsItsOwnPredictor:
    @pytest.mark.parametrize(
        "fit",
        [
            lambda d: logistic_regression(d, "case ~ case"),
            lambda d: logistic_regression(d, "case ~ age + I(case * 2)"),
            lambda d: logistic_regression(d, outcome="case", covariates=["case"]),
            lambda d: univariable(d, "case", ["case"]),
            lambda d: screen_and_fit(d, "case", ["age", "case"]),
            lambda d: stepwise(d, "case", ["age", "case"]),
            lambda d: bootstrap_inclusion(d, "case", ["age", "case"], n_boot=2, seed=1),
        ],
        ids=[
            "formula",
            "formula_in_I",
            "covariates",
            "univariable",
            "screen",
            "stepwise",
            "bootstrap",
        ],
    )
    def test_every_api_route_refuses(self, fit):
        with pytest.raises(ValueError, match=r"outcome `case` cannot also be a"):
            fit(_frame("x"))

    def test_the_cli_refuses(self, tmp_path):
        data = tmp_path / "data.csv"
        _frame("x").rename(columns={"case": "deficiency"}).to_csv(data, index=False)
        result = _invoke("screen", "--no-validate", str(data), "--candidates", "age,deficiency")
        assert result.exit_code != 0
        assert "outcome `deficiency` cannot also be a candidate" in result.output
