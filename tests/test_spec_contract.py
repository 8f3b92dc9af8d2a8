"""The spec format as a contract: JSON Schema, `neok2 new`, errors naming field and file,
and the new row kinds (categorical, ordinal, integer levels, population)."""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from pydantic import BaseModel

from neok2.cli import main
from neok2.study.model import _Spec, spec_json_schema
from neok2.study.spec import SpecError, available_studies, load_study, parse_study

ROOT = Path(__file__).resolve().parents[1]


def _shipped(name: str) -> dict[str, Any]:
    text = (resources.files("neok2") / "studies" / f"{name}.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _models(model: type[BaseModel], seen: dict[str, type[BaseModel]]) -> None:
    """Every pydantic model reachable from ``model``, by class name."""
    import typing

    if model.__name__ in seen:
        return
    seen[model.__name__] = model
    for info in model.model_fields.values():
        stack = [info.annotation]
        while stack:
            item = stack.pop()
            if isinstance(item, type) and issubclass(item, BaseModel):
                _models(item, seen)
            stack.extend(typing.get_args(item))


# ------------------------------------------------------------------------------ schema


class TestSchema:
    def test_cli_prints_the_schema(self):
        result = CliRunner().invoke(main, ["schema"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output) == spec_json_schema()

    def test_schema_is_valid_json_schema(self):
        jsonschema.Draft202012Validator.check_schema(spec_json_schema())

    @pytest.mark.parametrize("name", ["k2_neonates", "birthwt", "esoph"])
    def test_shipped_specs_validate_against_the_schema(self, name):
        validator = jsonschema.Draft202012Validator(spec_json_schema())
        errors = [error.message for error in validator.iter_errors(_shipped(name))]
        assert errors == []

    def test_schema_rejects_what_the_model_rejects(self):
        data = _shipped("birthwt")
        data["table1"][0]["sumary"] = "mean_sd"
        validator = jsonschema.Draft202012Validator(spec_json_schema())
        assert any("sumary" in error.message for error in validator.iter_errors(data))
        with pytest.raises(SpecError, match=r"sumary"):
            parse_study(data)

    def test_every_field_is_listed_and_described(self):
        schema = spec_json_schema()
        models: dict[str, type[BaseModel]] = {}
        _models(_Spec, models)
        definitions = schema["$defs"]
        for name, model in models.items():
            properties = schema["properties"] if model is _Spec else definitions[name]["properties"]
            expected = {info.alias or field for field, info in model.model_fields.items()}
            assert set(properties) == expected, name
            for field, entry in properties.items():
                assert entry.get("description", "").strip(), f"{name}.{field} has no description"
        # the new fields are part of the contract
        assert {"population", "provenance"} <= set(schema["properties"])
        row = definitions["_Table1Row"]["properties"]
        assert {"levels", "trend_p", "trend_test"} <= set(row)
        assert {"levels", "reference", "joint_p", "per"} <= set(
            definitions["_OddsRatioRow"]["properties"]
        )

    def test_integer_levels_are_allowed_by_the_schema(self):
        level = spec_json_schema()["$defs"]["_Level"]["properties"]["level"]
        validator = jsonschema.Draft202012Validator(level)
        assert validator.is_valid(1) and validator.is_valid("White")
        assert not validator.is_valid([1])


# ------------------------------------------------------------------------------ neok2 new


class TestNew:
    def test_scaffold_loads_and_validates_against_schema(self, tmp_path):
        result = CliRunner().invoke(main, ["new", "my_study", "--out", str(tmp_path / "specs")])
        assert result.exit_code == 0, result.output
        path = tmp_path / "specs" / "my_study.yaml"
        text = path.read_text(encoding="utf-8")
        assert text.count("#") > 10  # commented
        study = load_study(path)
        assert study.id == "my_study"
        assert study.columns and "columns:" in text  # the data dictionary section
        assert list(study.levels("group3")["level"]) == ["A", "B", "C"]
        validator = jsonschema.Draft202012Validator(spec_json_schema())
        assert list(validator.iter_errors(yaml.safe_load(text))) == []

    def test_refuses_to_overwrite(self, tmp_path):
        path = tmp_path / "taken.yaml"
        path.write_text("mine\n", encoding="utf-8")
        result = CliRunner().invoke(main, ["new", "taken", "--out", str(tmp_path)])
        assert result.exit_code == 2
        assert "refusing to overwrite" in result.output and "already exists" in result.output
        assert path.read_text(encoding="utf-8") == "mine\n"

    def test_rejects_a_bad_name(self, tmp_path):
        result = CliRunner().invoke(main, ["new", "../evil", "--out", str(tmp_path)])
        assert result.exit_code == 2
        assert "not a valid study name" in result.output
        assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------ errors


class TestErrorsNameFieldFileAndFix:
    def _write(self, tmp_path: Path, data: dict[str, Any]) -> Path:
        path = tmp_path / "broken.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return path

    def test_model_error_names_path_file_and_fix(self, tmp_path):
        data = _shipped("birthwt")
        del data["table1"][2]["levels"][1]["case"]
        with pytest.raises(SpecError) as error:
            load_study(self._write(tmp_path, data))
        message = str(error.value)
        assert "broken.yaml" in message
        assert "table1[2] (race).levels[1].case: Field required" in message
        assert "fix: add `case:`" in message

    def test_misspelt_key_gets_a_suggestion(self, tmp_path):
        data = _shipped("esoph")
        data["table1"][0]["trend_pp"] = data["table1"][0].pop("trend_p")
        with pytest.raises(
            SpecError,
            match=r"table1\[0\] \(agegp\)\.trend_pp: unknown key.*"
            r"did you mean `trend_p`",
        ):
            load_study(self._write(tmp_path, data))

    def test_build_error_names_file(self, tmp_path):
        data = _shipped("birthwt")
        data["table1"][2]["levels"][0]["case"] = "24 (40.7)"
        with pytest.raises(SpecError) as error:
            load_study(self._write(tmp_path, data))
        message = str(error.value)
        assert re.search(
            r"table1\[2\] \(race\)\.levels: case counts add up to 60, not the "
            r"group size 59",
            message,
        )
        assert "broken.yaml" in message and "Missing" in message

    def test_shipped_name_is_named(self):
        data = _shipped("birthwt")
        data["groups"]["case"]["n"] = 0
        with pytest.raises(SpecError, match=r"invalid study spec 'birthwt':\n  groups.case.n"):
            parse_study(data, source="birthwt")

    def test_cli_reports_spec_error_without_traceback(self, tmp_path):
        data = _shipped("esoph")
        data["table1"][1]["levels"][0]["value"] = "0-40g/day"
        path = self._write(tmp_path, data)
        csv = ROOT / "src" / "neok2" / "data" / "esoph.csv"
        result = CliRunner().invoke(main, ["validate", str(csv), "--study", str(path)])
        assert result.exit_code == 2
        assert "Traceback" not in result.output
        assert "table1[1] (alcgp).levels[0] (0-39g/day): value '0-40g/day' is not a level" in (
            result.output
        )
        assert "set `value:`" in result.output


# ------------------------------------------------------------------------------ new row kinds


def _minimal(table1: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "id": "mini",
        "outcome": {"column": "case"},
        "groups": {"case": {"label": "Cases", "n": 10}, "control": {"label": "Controls", "n": 20}},
        "totals": {"n": 30},
        "table1": table1,
        **extra,
    }


_LEVELS = [
    {"level": 1, "case": "2 (20.0)", "control": "10 (50.0)"},
    {"level": 2, "case": "3 (30.0)", "control": "6 (30.0)"},
    {"level": 3, "case": "5 (50.0)", "control": "4 (20.0)"},
]


class TestRowKinds:
    def test_integer_levels_kept_as_printed_text(self):
        study = parse_study(
            _minimal([{"variable": "g", "summary": "categorical", "levels": _LEVELS}])
        )
        levels = study.levels("g")
        assert list(levels["level"]) == ["1", "2", "3"]
        assert list(levels["reference"]) == [True, False, False]  # first level by default
        assert list(levels["n_case"]) == [2, 3, 5] and list(levels["n_control"]) == [10, 6, 4]
        main = study.table1[(study.table1["variable"] == "g") & (study.table1["level"] == "")]
        assert list(main["summary"]) == ["categorical", "categorical"]
        assert main["n"].isna().all()

    def test_dictionary_levels_may_be_integers(self):
        columns = [
            {"name": "case", "type": "binary"},
            {"name": "g", "type": "categorical", "levels": [1, 2, 3]},
        ]
        study = parse_study(
            _minimal(
                [{"variable": "g", "summary": "categorical", "levels": _LEVELS}], columns=columns
            )
        )
        assert study.column("g").levels == ("1", "2", "3")

    def test_marked_reference_and_ordinal_trend(self):
        levels = copy.deepcopy(_LEVELS)
        levels[1]["reference"] = True
        study = parse_study(
            _minimal(
                [
                    {
                        "variable": "g",
                        "summary": "ordinal",
                        "levels": levels,
                        "p": "0.04",
                        "trend_p": "0.012",
                        "trend_test": "Cochran-Armitage",
                    }
                ]
            )
        )
        main = study.table1[(study.table1["variable"] == "g") & (study.table1["level"] == "")]
        assert main["trend_p_value"].tolist() == [0.012, 0.012]
        assert main["trend_test"].iloc[0] == "Cochran-Armitage"
        assert study.levels("g").set_index("level")["reference"].to_dict() == {
            "1": False,
            "2": True,
            "3": False,
        }

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (
                lambda row: row.update(summary="categorical", trend_p="0.1"),
                "trend_p` and `trend_test` belong to ordinal rows",
            ),
            (lambda row: row.update(case="1 (10.0)"), "has no case/control cell of its own"),
            (lambda row: row["levels"].pop(), "counts add up to"),
            (lambda row: row["levels"][1].update(level=1), "level '1' appears twice"),
            (
                lambda row: [lv.update(reference=True) for lv in row["levels"]],
                "mark one level only",
            ),
            (lambda row: row.update(levels=row["levels"][:1]), "at least two levels"),
            (lambda row: row["levels"][0].update(level=True), "quote yes/no"),
        ],
    )
    def test_bad_levelled_rows(self, change, message):
        row = {"variable": "g", "summary": "ordinal", "levels": copy.deepcopy(_LEVELS)}
        change(row)
        with pytest.raises(SpecError, match=re.escape(message)):
            parse_study(_minimal([row]))

    def test_odds_ratios_per_level(self):
        univariable = [
            {
                "variable": "g",
                "joint_p": "0.03",
                "levels": [
                    {"level": 2, "or": "2.0", "ci": "0.5-8.0", "p": "0.33"},
                    {"level": 3, "or": "6.25", "ci": "1.2-32", "p": "0.03"},
                ],
            }
        ]
        study = parse_study(
            _minimal(
                [{"variable": "g", "summary": "categorical", "levels": _LEVELS}],
                univariable=univariable,
            )
        )
        frame = study.univariable
        assert list(frame["term"]) == ["g[2]", "g[3]"]
        assert list(frame["reference"]) == ["1", "1"]
        assert list(frame["joint_p_value"]) == [0.03, 0.03]
        assert list(frame["odds_ratio"]) == [2.0, 6.25]

    @pytest.mark.parametrize(
        ("row", "message"),
        [
            (
                {"variable": "g", "levels": [{"level": 4, "or": "2", "ci": "1-4"}]},
                "'4' is not a Table 1 level of 'g'",
            ),
            (
                {"variable": "g", "levels": [{"level": 1, "or": "2", "ci": "1-4"}]},
                "the reference level has no odds ratio",
            ),
            (
                {"variable": "g", "reference": 9, "levels": [{"level": 2, "or": "2", "ci": "1-4"}]},
                "reference: '9' is not a Table 1 level",
            ),
            (
                {
                    "variable": "g",
                    "or": "2",
                    "ci": "1-4",
                    "levels": [{"level": 2, "or": "2", "ci": "1-4"}],
                },
                "move `or` and `ci`",
            ),
            ({"variable": "g"}, "needs `or` and `ci`"),
        ],
    )
    def test_bad_odds_ratio_levels(self, row, message):
        data = _minimal(
            [{"variable": "g", "summary": "categorical", "levels": _LEVELS}], univariable=[row]
        )
        with pytest.raises(SpecError, match=re.escape(message)):
            parse_study(data)

    def test_population_and_defaults(self):
        study = parse_study(
            _minimal(
                [{"variable": "g", "summary": "categorical", "levels": _LEVELS}],
                population={"singular": "patient", "plural": "patients"},
            )
        )
        assert dict(study.population) == {"singular": "patient", "plural": "patients"}
        assert dict(load_study("k2_neonates").population) == {
            "singular": "neonate",
            "plural": "neonates",
        }
        assert (
            parse_study(
                _minimal([{"variable": "g", "summary": "categorical", "levels": _LEVELS}])
            ).population["plural"]
            == "participants"
        )

    def test_defining_measurement(self):
        k2 = load_study("k2_neonates").defining_measurement
        assert k2 is not None and (k2["variable"], k2["below"]) == ("k2_ng_ml", 0.1)
        birthwt = load_study("birthwt").defining_measurement
        assert birthwt is not None and (birthwt["variable"], birthwt["below"]) == ("bwt", 2500)
        assert load_study("esoph").defining_measurement is None

    def test_k2_spec_unchanged_in_shape(self):
        study = load_study("k2_neonates")
        assert set(available_studies()) >= {"k2_neonates", "birthwt", "esoph"}
        assert len(study.table1) == 62 and (study.table1["value"] == "").all()
        assert list(study.univariable["term"]) == list(study.univariable["variable"])
        assert (study.univariable["level"] == "").all()
