"""Reading datasets and validating them against the data dictionary."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neok2.study.dictionary import (
    DataValidationError,
    apply_codes,
    dictionary_frame,
    read_data,
    validate_data,
)
from neok2.study.spec import load_study


def valid_frame(n: int = 12, seed: int = 3) -> pd.DataFrame:
    """A small dataset that obeys every rule of the k2_neonates dictionary."""
    rng = np.random.default_rng(seed)
    k2 = rng.uniform(0.02, 0.8, n)
    ga = rng.uniform(27.0, 41.0, n).round(1)
    frame = pd.DataFrame(
        {
            "id": [f"N{i:04d}" for i in range(n)],
            "admission_date": ["2020-09-01"] * n,
            "deficiency": (k2 < 0.1).astype(int),
            "k2_ng_ml": k2.round(3),
            "k2_undetectable": (k2.round(3) < 0.05).astype(int),
            "ga_weeks": ga,
            "preterm": (ga < 37).astype(int),
            "birthweight_kg": rng.uniform(0.9, 4.0, n).round(3),
        }
    )
    for column in [
        "sga",
        "male",
        "caesarean",
        "twins",
        "intrauterine_distress",
        "prom",
        "placental_abnormality",
        "antenatal_steroid",
        "gestational_diabetes",
        "preeclampsia",
    ]:
        frame[column] = rng.integers(0, 2, n)
    for column in ["apgar_1min", "apgar_5min", "apgar_10min"]:
        frame[column] = rng.integers(6, 11, n)
    frame["pt_s"] = 15.0
    frame["aptt_s"] = 54.0
    frame["fibrinogen_g_l"] = 1.6
    frame["glucose_mmol_l"] = 4.4
    frame["calcium_mmol_l"] = 1.1
    frame["phosphorus_mmol_l"] = 1.9
    frame["maternal_age"] = 30
    return frame


class TestValidate:
    def test_valid(self):
        report = validate_data(valid_frame())
        assert report.ok, report.summary()
        assert report.summary() == "valid: 12 rows match the data dictionary"

    def test_input_not_modified(self):
        frame = valid_frame()
        frame["ga_weeks"] = frame["ga_weeks"].astype(object)
        frame.loc[2, "ga_weeks"] = "abc"
        before = frame.copy()
        validate_data(frame)
        pd.testing.assert_frame_equal(frame, before)

    def test_missing_column(self):
        problems = validate_data(valid_frame().drop(columns=["sga"])).problems
        assert len(problems) == 1
        assert problems["row"].isna().all()
        assert problems.loc[0, ["column", "check", "message"]].tolist() == [
            "sga",
            "column_present",
            "required column 'sga' is missing",
        ]

    def test_optional_column_may_be_absent(self):
        assert validate_data(valid_frame().drop(columns=["admission_date"])).ok

    def test_unknown_code(self):
        frame = valid_frame()
        frame.loc[4, "caesarean"] = 2
        problems = validate_data(frame).problems
        assert problems[["row", "column"]].values.tolist() == [[5, "caesarean"]]
        assert "must be 0 or 1" in problems.loc[0, "message"]

    def test_text_in_numeric_column(self):
        frame = valid_frame()
        frame["birthweight_kg"] = frame["birthweight_kg"].astype(object)
        frame.loc[0, "birthweight_kg"] = "2,5"
        problems = validate_data(frame).problems
        assert problems[["row", "column", "check"]].values.tolist() == [
            [1, "birthweight_kg", "numeric"]
        ]

    def test_out_of_range(self):
        frame = valid_frame()
        frame.loc[7, "apgar_5min"] = 12
        problems = validate_data(frame).problems
        assert problems["message"].tolist() == ["value 12.0 must be <= 10"]
        assert problems["row"].tolist() == [8]

    def test_infinity(self):
        frame = valid_frame()
        frame.loc[1, "pt_s"] = np.inf
        problems = validate_data(frame).problems
        assert problems[["row", "column", "check"]].values.tolist() == [[2, "pt_s", "numeric"]]

    def test_whole_numbers(self):
        frame = valid_frame()
        frame["maternal_age"] = frame["maternal_age"].astype(float)
        frame.loc[3, "maternal_age"] = 30.5
        assert validate_data(frame).problems["message"].tolist() == [
            "value 30.5 must be a whole number"
        ]

    def test_duplicated_ids(self):
        frame = valid_frame()
        frame.loc[1, "id"] = frame.loc[0, "id"]
        problems = validate_data(frame).problems
        assert set(problems["row"]) == {1, 2}
        assert set(problems["check"]) == {"field_uniqueness"}

    def test_definition_disagreement(self):
        frame = valid_frame()
        row = int(np.flatnonzero(frame["ga_weeks"] >= 37)[0])
        frame.loc[row, "preterm"] = 1
        problems = validate_data(frame).problems
        assert problems["check"].tolist() == ["definition:preterm"]
        assert problems["row"].tolist() == [row + 1]

    def test_missing_values_reported_not_rejected(self):
        frame = valid_frame()
        frame.loc[[0, 5], "glucose_mmol_l"] = np.nan
        report = validate_data(frame)
        assert report.ok
        assert report.missing["glucose_mmol_l"] == 2

    def test_extra_columns_reported(self):
        frame = valid_frame().assign(ward="NICU")
        assert validate_data(frame).extra_columns == ("ward",)

    def test_errors_properly(self):
        with pytest.raises(TypeError, match="`data` must be a pandas DataFrame"):
            validate_data([1, 2, 3])  # type: ignore[arg-type]

    def test_exception_carries_report(self):
        frame = valid_frame().drop(columns=["id"])
        error = DataValidationError(validate_data(frame))
        assert "required column 'id' is missing" in str(error)


class TestRead:
    def test_csv_roundtrip_and_file_untouched(self, tmp_path: Path):
        path = tmp_path / "data.csv"
        valid_frame().to_csv(path, index=False)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        frame = read_data(path)
        assert validate_data(frame).ok
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest

    def test_stata_and_spss(self, tmp_path: Path):
        import pyreadstat

        frame = valid_frame()
        pyreadstat.write_dta(frame, str(tmp_path / "data.dta"))
        pyreadstat.write_sav(frame, str(tmp_path / "data.sav"))
        assert validate_data(read_data(tmp_path / "data.dta")).ok
        assert validate_data(read_data(tmp_path / "data.sav")).ok

    def test_missing_file(self, tmp_path: Path):
        with pytest.raises(FileNotFoundError, match="does not exist"):
            read_data(tmp_path / "nope.csv")

    def test_unsupported_suffix(self, tmp_path: Path):
        path = tmp_path / "data.xlsx"
        path.write_bytes(b"PK")
        with pytest.raises(ValueError, match=r"use \.csv, \.sav or \.dta"):
            read_data(path)

    def test_unparseable(self, tmp_path: Path):
        path = tmp_path / "data.sav"
        path.write_text("not spss", encoding="utf-8")
        with pytest.raises(ValueError, match="cannot be parsed as spss"):
            read_data(path)

    def test_empty_csv(self, tmp_path: Path):
        path = tmp_path / "empty.csv"
        path.write_text("", encoding="utf-8")
        with pytest.raises(ValueError, match="cannot be parsed as csv"):
            read_data(path)


def test_dictionary_frame_lists_every_column():
    frame = dictionary_frame(load_study("k2_neonates"))
    # the 27 columns of the data dictionary plus the optional admission date
    assert len(frame) == 28
    assert frame.loc[frame["name"] == "k2_ng_ml", "unit"].item() == "ng/mL"


def _ten_problems() -> pd.DataFrame:
    """A 200-row file with ten kinds of problems (the validator's acceptance example)."""
    frame = valid_frame(n=200, seed=5)
    frame = frame.rename(columns={"caesarean": "ceasarean"})  # 1 misspelt column
    frame = frame.drop(columns=["prom"])  # 2 a missing column
    frame["male"] = frame["male"] + 1  # 3 coded 1/2
    frame["twins"] = frame["twins"].map({0: "no", 1: "yes"})  # 4 coded yes/no
    frame.loc[3, "ga_weeks"] = -34  # 5 out of range
    frame["pt_s"] = frame["pt_s"].astype(object)
    frame.loc[[7, 8], "pt_s"] = "clotted"  # 6 text in a numeric column
    frame["apgar_1min"] = frame["apgar_1min"].astype(float)
    frame.loc[10, "apgar_1min"] = 7.5  # 7 not a whole number
    frame.loc[12, "id"] = frame.loc[11, "id"]  # 8 duplicated id
    frame.loc[14, "preterm"] = 1 - frame.loc[14, "preterm"]  # 9 definition broken
    frame.loc[16, "birthweight_kg"] = np.inf  # 10 infinity
    return frame


class TestActionableSummary:
    def test_one_block_per_column_with_first_rows(self):
        report = validate_data(_ten_problems())
        summary = report.summary()
        lines = summary.splitlines()
        assert lines[0].endswith("in 10 column(s):")  # caesarean is named once
        assert "  male: 109 row(s): value 2 is not a valid code: must be 0 or 1" not in summary
        male = next(line for line in lines if line.startswith("  male:"))
        n_two = int((_ten_problems()["male"] == 2).sum())
        assert male.startswith(f"  male: {n_two} row(s): value 2 is not a valid code")
        first = (_ten_problems()["male"] == 2).to_numpy().nonzero()[0][:3] + 1
        assert male.endswith(f"(rows {', '.join(map(str, first))}, ...)")
        # more than 20 problems: details on request only
        assert "--details" in lines[-1]
        assert len(lines) < 30
        assert len(report.details()) == len(report.problems)

    def test_near_miss_column_names(self):
        summary = validate_data(_ten_problems()).summary()
        assert "the file has 'ceasarean': did you mean `caesarean`?" in summary
        assert "required column 'prom' is missing\n" in summary + "\n"

    def test_recode_hints(self):
        summary = validate_data(_ten_problems()).summary()
        assert 'hint: the column looks coded 1/2; if 1 = no and 2 = yes, add `codes: {"1": 0, ' in (
            summary
        )
        assert 'add `codes: {"yes": 1, "no": 0}` to \'twins\'' in summary

    def test_few_problems_are_listed_row_by_row(self):
        frame = valid_frame()
        frame.loc[3, "ga_weeks"] = -34
        summary = validate_data(frame).summary()
        assert "  ga_weeks: 1 row(s): value -34.0 must be >= 22 (rows 4)" in summary
        assert "  row 4, column ga_weeks: value -34.0 must be >= 22" in summary

    def test_details_on_request(self):
        summary = validate_data(_ten_problems()).summary(details=True)
        assert "row 4, column ga_weeks: value -34.0 must be >= 22" in summary
        assert "row 13, column id: id 'N0011' appears more than once" in summary
        assert "  id: 2 row(s): id N0011 appears more than once (rows 12, 13)" in summary


class TestCodes:
    def test_codes_in_the_dictionary_are_applied(self, tmp_path: Path):
        text = Path(load_study.__code__.co_filename).parents[1] / "studies" / "k2_neonates.yaml"
        spec = text.read_text(encoding="utf-8").replace(
            '  - {name: male, type: binary, description: "1 = male, 0 = female"}',
            '  - {name: male, type: binary, codes: {"1": 0, "2": 1}, description: sex}',
        )
        assert "codes:" in spec
        path = tmp_path / "coded.yaml"
        path.write_text(spec, encoding="utf-8")
        study = load_study(path)
        frame = valid_frame()
        expected = frame["male"].astype(float).tolist()
        frame["male"] = frame["male"] + 1
        assert validate_data(frame, study).ok
        assert apply_codes(frame, study)["male"].tolist() == expected
        assert frame["male"].isin([1, 2]).all()  # the input is not modified

    def test_yes_no_keys_must_be_quoted(self, tmp_path: Path):
        from neok2.study.spec import SpecError

        text = Path(load_study.__code__.co_filename).parents[1] / "studies" / "k2_neonates.yaml"
        spec = text.read_text(encoding="utf-8").replace(
            '  - {name: male, type: binary, description: "1 = male, 0 = female"}',
            "  - {name: male, type: binary, codes: {yes: 1, no: 0}, description: sex}",
        )
        path = tmp_path / "unquoted.yaml"
        path.write_text(spec, encoding="utf-8")
        with pytest.raises(SpecError, match="quote yes/no"):
            load_study(path)

    def test_spss_value_labels_map_codes(self, tmp_path: Path):
        import pyreadstat

        frame = valid_frame()
        expected = frame["male"].astype(float).tolist()
        frame["male"] = frame["male"] + 1
        path = tmp_path / "coded.sav"
        pyreadstat.write_sav(
            frame.drop(columns=["admission_date"]),
            str(path),
            variable_value_labels={"male": {1: "No", 2: "Yes"}},
        )
        data = read_data(path)
        assert data.attrs["value_labels"]["male"] == {"1": "No", "2": "Yes"}
        assert validate_data(data).ok, validate_data(data).summary()
        assert apply_codes(data, load_study("k2_neonates"))["male"].tolist() == expected

    def test_ambiguous_labels_are_not_used(self):
        frame = valid_frame()
        frame["male"] = frame["male"] + 1
        frame.attrs["value_labels"] = {"male": {"1": "girl", "2": "boy"}}
        assert not validate_data(frame).ok
