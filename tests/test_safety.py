"""Safety and determinism: safe spec loading, no dangerous calls, atomic outputs, same bytes.

A user's spec is data, never code; an output is either complete or absent; the same inputs
and seed give byte-identical files.
"""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from test_dictionary import valid_frame

import neok2
from neok2.cli.app import main
from neok2.stats import baseline as baseline_module
from neok2.stats.baseline import baseline_table
from neok2.stats.logistic import univariable
from neok2.study.spec import SpecError, load_study, parse_study
from neok2.synth.generator import synthesize_cohort

SOURCE = Path(neok2.__file__).parent


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------- specs are data


class TestSafeSpecLoading:
    @pytest.mark.parametrize(
        "tag",
        [
            "!!python/object/apply:os.system",
            "!!python/object/new:os.system",
            "!!python/name:os.system",
        ],
    )
    def test_python_tags_are_rejected_and_never_run(self, tmp_path: Path, tag: str):
        marker = tmp_path / "executed"
        spec = tmp_path / "spec.yaml"
        spec.write_text(f"id: x\nrun: {tag} ['touch {marker}']\n", encoding="utf-8")
        with pytest.raises(SpecError, match="could not determine a constructor"):
            load_study(spec)
        assert not marker.exists()

    def test_parse_study_accepts_only_plain_data(self):
        class Sneaky(dict):
            pass

        with pytest.raises(SpecError, match="invalid study spec"):
            parse_study(Sneaky(id=object()))

    def test_hostile_column_names_are_not_evaluated(self, tmp_path: Path):
        # Formula terms built from column names are quoted, so a CSV header cannot run code.
        marker = tmp_path / "written"
        hostile = f'{{np.save("{marker}", 1) or 1}}'
        frame = pd.DataFrame({"case": [1, 0, 1, 0, 1, 0, 1, 0], hostile: [1, 0, 0, 1, 1, 0, 1, 1]})
        table = univariable(frame, "case", [hostile])
        assert table["variable"].tolist() == [hostile]
        assert not marker.with_suffix(".npy").exists()


# ----------------------------------------------------------------------------- source scan

_FORBIDDEN_CALLS = {
    "eval": "eval() runs arbitrary code",
    "exec": "exec() runs arbitrary code",
    "os.system": "os.system() goes through a shell",
    "os.popen": "os.popen() goes through a shell",
    "pickle.load": "unpickling runs arbitrary code",
    "pickle.loads": "unpickling runs arbitrary code",
    "marshal.loads": "marshal can build code objects",
    "yaml.unsafe_load": "unsafe YAML loader",
    "yaml.full_load": "full YAML loader constructs Python objects",
    "yaml.load_all": "use yaml.safe_load_all",
    "np.random.seed": "global random state; use numpy.random.default_rng(seed)",
    "numpy.random.seed": "global random state; use numpy.random.default_rng(seed)",
    "random.seed": "global random state; use numpy.random.default_rng(seed)",
}
_SAFE_LOADERS = {"SafeLoader", "CSafeLoader"}


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def scan_source(text: str) -> list[str]:
    """Dangerous constructs in Python source, one message per finding (line: reason)."""
    findings = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        line = node.lineno
        if name in _FORBIDDEN_CALLS:
            findings.append(f"{line}: {name}: {_FORBIDDEN_CALLS[name]}")
        if name == "yaml.load":
            loader = [kw.value for kw in node.keywords if kw.arg == "Loader"] + node.args[1:2]
            if not loader or _dotted(loader[0]).split(".")[-1] not in _SAFE_LOADERS:
                findings.append(f"{line}: yaml.load without SafeLoader")
        for keyword in node.keywords:
            if (
                keyword.arg == "shell"
                and isinstance(keyword.value, ast.Constant)
                and keyword.value.value is True
            ):
                findings.append(f"{line}: {name}(shell=True) goes through a shell")
    return findings


def _grep(text: str) -> list[str]:
    """The plain-text view of the same rules, ignoring comments and docstrings' prose."""
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    patterns = [r"(?<![\w.])eval\(", r"(?<![\w.])exec\(", r"shell\s*=\s*True", r"pickle\.load"]
    return [pattern for pattern in patterns if re.search(pattern, code)]


class TestSourceScan:
    @pytest.mark.parametrize(
        "snippet",
        [
            "eval('1')",
            "exec('x = 1')",
            "import os\nos.system('ls')",
            "import yaml\nyaml.load(text)",
            "import yaml\nyaml.load(text, Loader=yaml.Loader)",
            "import yaml\nyaml.unsafe_load(text)",
            "import pickle\npickle.load(handle)",
            "import subprocess\nsubprocess.run('ls', shell=True)",
            "import numpy as np\nnp.random.seed(1)",
        ],
    )
    def test_scanner_catches_each_rule(self, snippet: str):
        assert scan_source(snippet), snippet

    @pytest.mark.parametrize(
        "snippet",
        [
            "import yaml\nyaml.load(text, Loader=yaml.SafeLoader)",
            "import yaml\nyaml.safe_load(text)",
            "import ast\nast.literal_eval('1')",
            "import subprocess\nsubprocess.run(['ls'], shell=False)",
            "import numpy as np\nnp.random.default_rng(1)",
        ],
    )
    def test_scanner_accepts_safe_forms(self, snippet: str):
        assert scan_source(snippet) == []

    def test_package_source_has_no_dangerous_calls(self):
        files = sorted(SOURCE.rglob("*.py"))
        assert len(files) > 10
        findings = {
            str(path.relative_to(SOURCE)): found
            for path in files
            if (found := scan_source(path.read_text(encoding="utf-8")))
        }
        assert findings == {}

    def test_package_source_passes_the_grep(self):
        hits = {
            str(path.relative_to(SOURCE)): found
            for path in sorted(SOURCE.rglob("*.py"))
            if (found := _grep(path.read_text(encoding="utf-8")))
        }
        assert hits == {}

    def test_specs_are_read_with_safe_load_only(self):
        uses = [
            path.name
            for path in SOURCE.rglob("*.py")
            if re.search(r"yaml\.(safe_)?load\(", path.read_text(encoding="utf-8"))
        ]
        assert "spec.py" in uses
        assert "yaml.safe_load(" in (SOURCE / "study" / "spec.py").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- atomic outputs


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "cohort.csv"
    path.parent.mkdir()
    valid_frame(40).to_csv(path, index=False)
    return path


def _table1(data: Path, prefix: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["table1", str(data), "--study", "k2_neonates", "--out", str(prefix)]
    )
    return result.exit_code, result.output


class TestAtomicOutputs:
    def test_failure_while_rendering_keeps_previous_outputs(
        self, data_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ):
        prefix = tmp_path / "out" / "table1"
        code, output = _table1(data_file, prefix)
        assert code == 0, output
        html = prefix.with_suffix(".html")
        before = _sha(html)

        def broken(*_args: object, **_options: object) -> str:
            raise ValueError("renderer failed halfway")

        monkeypatch.setattr(baseline_module.BaselineTable, "to_gt", broken)
        code, output = _table1(data_file, prefix)
        assert code == 2
        assert "neok2: error: renderer failed halfway" in output
        assert _sha(html) == before
        assert sorted(entry.name for entry in prefix.parent.iterdir()) == [
            "table1.csv",
            "table1.html",
        ]

    def test_outputs_are_readable_like_plain_files(self, data_file: Path, tmp_path: Path):
        prefix = tmp_path / "out" / "table1"
        assert _table1(data_file, prefix)[0] == 0
        reference = tmp_path / "plain.txt"
        reference.write_text("x", encoding="utf-8")
        assert prefix.with_suffix(".csv").stat().st_mode == reference.stat().st_mode

    def test_read_only_input_is_only_read(self, data_file: Path, tmp_path: Path):
        digest = _sha(data_file)
        data_file.chmod(0o444)
        try:
            assert _table1(data_file, tmp_path / "t")[0] == 0
            result = CliRunner().invoke(main, ["validate", str(data_file)])
            assert result.exit_code == 0, result.output
        finally:
            data_file.chmod(0o644)
        assert _sha(data_file) == digest

    def test_symlinked_output_prefix_cannot_reach_the_input(self, data_file: Path, tmp_path: Path):
        link = tmp_path / "alias.csv"
        link.symlink_to(data_file)
        digest = _sha(data_file)
        code, output = _table1(data_file, tmp_path / "alias")
        assert code == 2
        assert "is the input data file" in output
        assert _sha(data_file) == digest

    def test_to_csv_refuses_its_source_through_a_hard_link(self, data_file: Path, tmp_path: Path):
        hard = tmp_path / "hard.csv"
        hard.hardlink_to(data_file)
        frame = pd.read_csv(data_file)
        table = baseline_table(frame, "deficiency", variables=["male"], source=data_file)
        with pytest.raises(ValueError, match="is the input data file"):
            table.to_csv(hard, overwrite=True)


# ----------------------------------------------------------------------------- determinism


class TestDeterminism:
    def test_table1_twice_gives_identical_bytes(self, data_file: Path, tmp_path: Path):
        first, second = tmp_path / "first" / "t", tmp_path / "second" / "t"
        assert _table1(data_file, first)[0] == 0
        assert _table1(data_file, second)[0] == 0
        for suffix in (".csv", ".html"):
            assert first.with_suffix(suffix).read_bytes() == second.with_suffix(suffix).read_bytes()

    def test_table1_rerun_over_its_own_output_gives_identical_bytes(
        self, data_file: Path, tmp_path: Path
    ):
        prefix = tmp_path / "t"
        assert _table1(data_file, prefix)[0] == 0
        digests = [_sha(prefix.with_suffix(s)) for s in (".csv", ".html")]
        assert _table1(data_file, prefix)[0] == 0
        assert [_sha(prefix.with_suffix(s)) for s in (".csv", ".html")] == digests

    def test_monte_carlo_p_depends_only_on_the_seed(self):
        frame = pd.DataFrame({"group": [0, 1] * 12, "kind": list("abcdabcdabcdaabbccddabcd")})
        runs = [
            baseline_table(
                frame, "group", n_resamples=500, seed=seed, tests={"kind": "fisher_simulated"}
            )
            .tidy()["p_value"]
            .iloc[0]
            for seed in (7, 7, 8)
        ]
        assert runs[0] == runs[1]
        assert runs[0] != runs[2]

    def test_audit_twice_gives_identical_bytes(self, tmp_path: Path):
        outputs = []
        for name in ("a.csv", "b.csv"):
            result = CliRunner().invoke(
                main, ["audit", "--format", "csv", "--all", "--out", str(tmp_path / name)]
            )
            assert result.exit_code == 0, result.output
            outputs.append((tmp_path / name).read_bytes())
        assert outputs[0] == outputs[1]

    def test_synthetic_cohort_same_seed_same_bytes(self):
        study = parse_study(
            {
                "id": "small",
                "outcome": {"column": "case"},
                "groups": {"case": {"label": "Cases", "n": 12}, "control": {"label": "C", "n": 20}},
                "totals": {"n": 32},
                "table1": [
                    {
                        "variable": "flag",
                        "summary": "n_percent",
                        "case": "5 (41.7)",
                        "control": "4 (20.0)",
                    },
                    {
                        "variable": "weight",
                        "summary": "mean_sd",
                        "case": "2.9±0.4",
                        "control": "3.2±0.5",
                    },
                ],
                "columns": [
                    {"name": "id", "type": "id"},
                    {"name": "case", "type": "binary"},
                    {"name": "flag", "type": "binary"},
                    {"name": "weight", "type": "continuous", "min": 0.5, "max": 6},
                ],
            }
        )
        texts = [
            synthesize_cohort(study, seed=seed).data.to_csv(index=False, lineterminator="\n")
            for seed in (11, 11, 12)
        ]
        assert texts[0] == texts[1]
        assert texts[0] != texts[2]
