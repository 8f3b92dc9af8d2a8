"""Tests of the renderer: the fallback on a tiny Quarto manuscript, and its errors."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from neok2.report.render import api as render
from neok2.report.render import pandoc as _render_pandoc
from neok2.report.render.api import RenderResult, render_manuscript
from neok2.report.render.qmd import parse_qmd, resolve_cross_references

QUARTO_YML = """\
project:
  type: manuscript
manuscript:
  article: index.qmd
format:
  html:
    toc: true
  typst:
    papersize: a4
bibliography: references.bib
execute:
  echo: false
  warning: false
neok2:
  depends-on:
    - inputs
"""

BIB = """\
@article{firth1993,
  author = {Firth, David},
  title = {Bias reduction of maximum likelihood estimates},
  journal = {Biometrika},
  year = {1993},
  volume = {80},
  pages = {27--38}
}
"""

QMD = """\
---
title: Tiny fixture
author:
  - name: A. Writer
---

```{python}
from pathlib import Path
import pandas as pd
from great_tables import GT
odds = float(Path("inputs/odds.txt").read_text())
frame = pd.DataFrame({"term": ["steroid", "sga"], "odds_ratio": [1.5, 2.25]})
```

## Results

The odds ratio was `{python} f"{odds:.2f}"` and the count `{python} 3 + 4`
(see @tbl-demo and @fig-demo), as shown by @firth1993 [see also @firth1993].

```{python}
#| label: tbl-demo
#| tbl-cap: Two odds ratios.
GT(frame, id="demo").tab_spanner(label="Estimates", columns=["odds_ratio"])
```

```{python}
#| label: fig-demo
#| fig-cap: A rising line.
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(3, 2))
ax.plot([1, 2, 3], [1, 4, 9])
plt.show()
```

Back to @Tbl-demo; the code span `@fig-demo` stays as written.

::: {.callout-warning title="Mind the data"}
These numbers are made up.
:::

```
a plain fence keeps `{python} 1 + 1` as written
```

## References
"""


def _project(folder: Path, qmd: str = QMD, quarto_yml: str = QUARTO_YML) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_quarto.yml").write_text(quarto_yml, encoding="utf-8")
    (folder / "references.bib").write_text(BIB, encoding="utf-8")
    (folder / "index.qmd").write_text(qmd, encoding="utf-8")
    (folder / "inputs").mkdir(exist_ok=True)
    (folder / "inputs" / "odds.txt").write_text("5.675", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RenderResult]:
    project = _project(tmp_path_factory.mktemp("render") / "project")
    return project, render_manuscript(project, engine="fallback")


# ----------------------------------------------------------------------------- outputs


class TestFallbackOutputs:
    def test_writes_html_and_pdf_where_quarto_would(self, rendered):
        project, result = rendered
        assert result.engine == "fallback"
        assert [p.relative_to(project).as_posix() for p in result.outputs] == [
            "_manuscript/index.html",
            "_manuscript/index.pdf",
        ]
        assert result.outputs[1].read_bytes().startswith(b"%PDF-")

    def test_inline_values_are_inserted(self, rendered):
        _, result = rendered
        # f"{5.675:.2f}" is "5.67" under binary rounding (5.675 is stored as 5.67499...)
        assert result.tidy()["text"].tolist() == ["5.67", "7"]
        html = result.outputs[0].read_text(encoding="utf-8")
        assert "The odds ratio was 5.67 and the count 7" in html
        assert html.count("{python}") == 1  # the one in the plain fence

    def test_plain_fences_are_not_executed(self, rendered):
        html = rendered[1].outputs[0].read_text(encoding="utf-8")
        assert "a plain fence keeps `{python} 1 + 1` as written" in html

    def test_cross_references_are_numbered_links(self, rendered):
        _, result = rendered
        assert dict(result.cross_references) == {"tbl-demo": "Table 1", "fig-demo": "Figure 1"}
        html = result.outputs[0].read_text(encoding="utf-8")
        assert html.count('<a href="#tbl-demo">Table 1</a>') == 2
        assert '<a href="#fig-demo">Figure 1</a>' in html
        assert "<code>@fig-demo</code>" in html

    def test_table_keeps_great_tables_html_with_caption(self, rendered):
        html = rendered[1].outputs[0].read_text(encoding="utf-8")
        assert '<div id="tbl-demo" class="neok2-table">' in html
        assert "Table 1: Two odds ratios." in html
        assert 'id="demo"' in html and "gt_table" in html

    def test_figure_is_embedded_with_caption(self, rendered):
        html = rendered[1].outputs[0].read_text(encoding="utf-8")
        assert re.search(r'<figure id="fig-demo">\s*<img[^>]*src="data:image/png;base64,', html)
        assert "Figure 1: A rising line." in html

    def test_citations_go_through_citeproc(self, rendered):
        _, result = rendered
        html = " ".join(result.outputs[0].read_text(encoding="utf-8").split())
        assert "Firth (1993; see also Firth 1993)" in html
        assert "Bias Reduction of Maximum Likelihood Estimates" in html
        assert result.warnings == ()

    def test_pdf_source_has_real_captioned_table_and_figure(self, rendered):
        project, _ = rendered
        source = (project / ".build" / "index.typ").read_text(encoding="utf-8")
        table = source[source.index("#figure(") : source.index("\n<tbl-demo>")]
        assert "#table(" in table and "Table 1: Two odds ratios." in table
        assert "[steroid], [1.5]," in table
        assert 'image("figures/fig-demo.png"' in source
        assert "#link(<tbl-demo>)[Table 1]" in source

    def test_html_has_the_article_stylesheet(self, rendered):
        html = rendered[1].outputs[0].read_text(encoding="utf-8")
        assert "max-width: 45em" in html
        assert ".neok2-table tbody tr:nth-child(even)" in html

    def test_callout_is_a_titled_box_in_both_formats(self, rendered):
        project, result = rendered
        html = " ".join(result.outputs[0].read_text(encoding="utf-8").split())
        assert (
            '<div class="neok2-callout neok2-callout-warning"> <div class="neok2-callout-title">'
            " <p><strong>Mind the data</strong></p> </div> <p>These numbers are made up.</p>"
        ) in html
        source = (project / ".build" / "index.typ").read_text(encoding="utf-8")
        box = source[
            source.index('#block(width: 100%, inset: 8pt, radius: 2pt, fill: rgb("#fff8e5")') :
        ]
        assert box.index("#strong[Mind the data]") < box.index("These numbers are made up.")
        assert box.index("These numbers are made up.") < box.index("\n]")

    def test_short_table_stays_on_one_page(self, rendered):
        project, _ = rendered
        source = (project / ".build" / "index.typ").read_text(encoding="utf-8")
        assert "#show figure.where(kind: table): set block(breakable: false)" in source
        assert "breakable: true" not in source

    def test_pdf_pages_render(self, rendered):
        import typst

        project, _ = rendered
        pages = typst.compile(
            str(project / ".build" / "index.typ"),
            root=str(project / ".build"),
            format="png",
            ppi=30,
        )
        pages = pages if isinstance(pages, list) else [pages]
        assert len(pages) == 1 and pages[0].startswith(b"\x89PNG")


class TestCache:
    def test_warm_render_is_cached_and_identical(self, rendered):
        project, first = rendered
        before = [path.read_bytes() for path in first.outputs]
        second = render_manuscript(project, engine="fallback")
        assert first.cache_hit is False and second.cache_hit is True
        assert [path.read_bytes() for path in second.outputs] == before

    def test_editing_prose_keeps_the_cache(self, tmp_path, rendered):
        project = _project(tmp_path / "project")
        (project / ".build").mkdir()
        cached = rendered[0] / ".build" / "cache"
        (project / ".build" / "cache").mkdir()
        for path in cached.iterdir():
            (project / ".build" / "cache" / path.name).write_bytes(path.read_bytes())
        (project / "index.qmd").write_text(QMD.replace("Back to", "Return to"), encoding="utf-8")
        result = render_manuscript(project, engine="fallback")
        assert result.cache_hit is True
        assert "Return to" in result.outputs[0].read_text(encoding="utf-8")

    def test_changing_a_declared_input_re_executes(self, tmp_path):
        project = _project(tmp_path / "project")
        qmd = QMD.split("## Results")[0] + "Value `{python} odds`.\n"
        (project / "index.qmd").write_text(qmd, encoding="utf-8")
        (project / "_quarto.yml").write_text(
            QUARTO_YML.replace("  typst:\n    papersize: a4\n", ""), encoding="utf-8"
        )
        first = render_manuscript(project, engine="fallback")
        (project / "inputs" / "odds.txt").write_text("2.5", encoding="utf-8")
        second = render_manuscript(project, engine="fallback")
        assert second.cache_hit is False
        assert first.tidy()["text"].tolist() == ["5.675"]
        assert second.tidy()["text"].tolist() == ["2.5"]


# ----------------------------------------------------------------------------- options


class TestCellOptions:
    def test_echo_include_and_asis(self, tmp_path):
        qmd = (
            "---\ntitle: Options\n---\n\n"
            "```{python}\n#| echo: true\nx = 40 + 2\nprint('**bold**')\n```\n\n"
            "```{python}\n#| include: false\nprint('hidden')\n```\n\n"
            "```{python}\n#| output: asis\n#| echo: false\nprint('*asis*')\n```\n\n"
            "```{python}\n#| eval: false\nraise SystemExit\n```\n\n"
            "Value `{python} x`.\n"
        )
        project = _project(tmp_path / "project", qmd, "project:\n  type: manuscript\n")
        result = render_manuscript(project, engine="fallback", cache=False)
        html = re.sub(r"<[^>]+>", "", result.outputs[0].read_text(encoding="utf-8"))
        assert "x = 40 + 2" in html  # echoed code
        assert "**bold**" in html  # stdout as a code block, not markdown
        assert "hidden" not in html
        assert "*asis*" not in html and "asis" in html  # printed markdown, rendered
        assert "raise SystemExit" in html and "Value 42." in html
        assert [path.name for path in result.outputs] == ["index.html"]

    def test_error_option_lets_a_cell_fail(self, tmp_path):
        qmd = "---\ntitle: E\n---\n\n```{python}\n#| error: true\n1 / 0\n```\n\nDone.\n"
        project = _project(tmp_path / "project", qmd, "project:\n  type: manuscript\n")
        html = render_manuscript(project, engine="fallback").outputs[0].read_text("utf-8")
        assert "Done." in html


# ----------------------------------------------------------------------------- parsing


class TestParsing:
    def test_cells_options_and_inline_expressions(self):
        document = parse_qmd(QMD)
        assert document.front_matter["title"] == "Tiny fixture"
        assert [cell.label for cell in document.cells] == ["", "tbl-demo", "fig-demo"]
        assert document.cells[1].options["tbl-cap"] == "Two odds ratios."
        expressions = [
            e.expression
            for chunk in document.chunks
            if hasattr(chunk, "parts")
            for e in chunk.expressions
        ]
        assert expressions == ['f"{odds:.2f}"', "3 + 4"]
        assert document.numbering() == {"tbl-demo": "Table 1", "fig-demo": "Figure 1"}

    def test_cross_references_leave_code_spans_and_emails(self):
        text = "See @tbl-a, @Fig-b and `@tbl-a`; mail me@tbl-a.org."
        resolved = resolve_cross_references(text, {"tbl-a": "Table 1", "fig-b": "Figure 1"})
        assert resolved == (
            "See [Table 1](#tbl-a), [Figure 1](#fig-b) and `@tbl-a`; mail me@tbl-a.org."
        )


class TestErrorsProperly:
    @pytest.mark.parametrize(
        ("qmd", "message"),
        [
            ("```{python}\nx = 1\n", "never closed"),
            ("```{r}\n1\n```\n", "cells are not supported"),
            ("```{python}\n#| fig-width: [\n```\n", "not valid YAML"),
            ("```{python}\n#| code-fold: true\n1\n```\n", "not supported by the fallback"),
            ("```{python}\n#| label: tbl-x\n1\n```\n", "needs a `tbl-cap`"),
            ("```{python}\n#| label: table-x\n1\n```\n", "must start with 'tbl-' or 'fig-'"),
            (
                "```{python}\n#| label: fig-x\n#| fig-cap: a\n1\n```\n"
                "```{python}\n#| label: fig-x\n#| fig-cap: b\n1\n```\n",
                "already used",
            ),
            ("---\ntitle: [\n---\n", "front matter is not valid YAML"),
            ("---\ntitle: x\n", "never closed"),
        ],
    )
    def test_bad_qmd(self, qmd, message):
        with pytest.raises(ValueError, match=re.escape(message)):
            parse_qmd(qmd)

    def test_unknown_cross_reference(self):
        with pytest.raises(ValueError, match="@tbl-missing names no cell label"):
            resolve_cross_references("see @tbl-missing", {"tbl-a": "Table 1"})

    def test_engine(self, tmp_path):
        with pytest.raises(ValueError, match="`engine` must be"):
            render_manuscript(_project(tmp_path / "p"), engine="latex")  # type: ignore[arg-type]

    def test_timeout(self, tmp_path):
        with pytest.raises(ValueError, match="`timeout` must be a positive"):
            render_manuscript(_project(tmp_path / "p"), timeout=0)

    def test_missing_project(self, tmp_path):
        with pytest.raises(FileNotFoundError, match="is not a directory"):
            render_manuscript(tmp_path / "nowhere")
        with pytest.raises(FileNotFoundError, match=r"no _quarto\.yml"):
            render_manuscript(tmp_path)

    def test_not_a_manuscript_project(self, tmp_path):
        project = _project(tmp_path / "p", quarto_yml="project:\n  type: website\n")
        with pytest.raises(ValueError, match="must be `manuscript`"):
            render_manuscript(project, engine="fallback")

    def test_missing_article(self, tmp_path):
        project = _project(tmp_path / "p")
        (project / "index.qmd").unlink()
        with pytest.raises(FileNotFoundError, match="does not exist"):
            render_manuscript(project, engine="fallback")

    def test_unsupported_format(self, tmp_path):
        project = _project(tmp_path / "p", quarto_yml=QUARTO_YML)
        project.joinpath("_quarto.yml").write_text(
            QUARTO_YML.replace("format:\n", "format:\n  epub: {}\n"), encoding="utf-8"
        )
        with pytest.raises(ValueError, match=r"format\(s\) \['epub'\] are not supported"):
            render_manuscript(project, engine="fallback")

    def test_unstable_date(self, tmp_path):
        project = _project(tmp_path / "p", QMD.replace("title: Tiny", "date: today\ntitle: Tiny"))
        with pytest.raises(ValueError, match="changes the output from day to day"):
            render_manuscript(project, engine="fallback")

    def test_cell_error_names_the_line(self, tmp_path):
        qmd = "---\ntitle: E\n---\n\n```{python}\n1 / 0\n```\n"
        project = _project(tmp_path / "p", qmd, "project:\n  type: manuscript\n")
        with pytest.raises(RuntimeError, match="cell on line 5 raised ZeroDivisionError"):
            render_manuscript(project, engine="fallback")

    def test_figure_cell_without_image(self, tmp_path):
        qmd = "---\ntitle: E\n---\n\n```{python}\n#| label: fig-x\n#| fig-cap: c\n1\n```\n"
        project = _project(tmp_path / "p", qmd, "project:\n  type: manuscript\n")
        with pytest.raises(ValueError, match="must display exactly one image"):
            render_manuscript(project, engine="fallback")

    def test_quarto_engine_without_quarto(self, tmp_path, monkeypatch):
        monkeypatch.setenv("PATH", str(tmp_path / "empty"))
        with pytest.raises(FileNotFoundError, match="needs the `quarto` binary"):
            render_manuscript(_project(tmp_path / "p"), engine="quarto")


class TestQuartoEngine:
    def _fake_quarto(self, folder: Path, body: str) -> None:
        folder.mkdir()
        script = folder / "quarto"
        script.write_text("#!/bin/sh\n" + body, encoding="utf-8")
        script.chmod(script.stat().st_mode | stat.S_IEXEC)

    def test_auto_prefers_quarto_and_calls_render(self, tmp_path, monkeypatch):
        project = _project(tmp_path / "p")
        log = tmp_path / "calls.txt"
        self._fake_quarto(
            tmp_path / "bin",
            f'echo "$@" > {log}\nmkdir -p "$2/_manuscript"\n'
            'touch "$2/_manuscript/index.html" "$2/_manuscript/index.pdf"\n',
        )
        monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
        result = render_manuscript(project)
        assert result.engine == "quarto" and result.cache_hit is None
        assert log.read_text().split() == ["render", str(project.resolve())]

    def test_quarto_that_writes_nothing(self, tmp_path, monkeypatch):
        self._fake_quarto(tmp_path / "bin", "exit 0\n")
        monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
        with pytest.raises(RuntimeError, match="did not write"):
            render_manuscript(_project(tmp_path / "p"), engine="quarto")

    def test_quarto_failure(self, tmp_path, monkeypatch):
        self._fake_quarto(tmp_path / "bin", "echo boom >&2\nexit 1\n")
        monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
        with pytest.raises(RuntimeError, match="quarto render failed:\nboom"):
            render_manuscript(_project(tmp_path / "p"), engine="quarto")


class TestRenderCommand:
    def test_success_and_errors(self, tmp_path, monkeypatch):
        from click.testing import CliRunner

        from neok2.cli import main

        monkeypatch.setattr(render.shutil, "which", lambda name: None)
        qmd = "---\ntitle: Plain\n---\n\nNo code here.\n"
        project = _project(tmp_path / "p", qmd, "project:\n  type: manuscript\n")
        runner = CliRunner()
        result = runner.invoke(main, ["render", str(project)])
        assert result.exit_code == 0, result.output
        assert "wrote" in result.output
        result = runner.invoke(main, ["render", str(tmp_path / "missing")])
        assert result.exit_code == 2
        assert "neok2: error:" in result.output
        (project / "index.qmd").write_text("```{python}\n1/0\n```\n", encoding="utf-8")
        result = runner.invoke(main, ["render", str(project), "--no-cache"])
        assert result.exit_code == 1
        assert "ZeroDivisionError" in result.output


class TestLayout:
    @staticmethod
    def _table_ast(rows: int, text: str = "x") -> dict:
        body = "".join(f"<tr><td>{text} {i}</td><td>{i}</td></tr>" for i in range(rows))
        html = f"<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody>{body}</tbody></table>"
        markdown = (
            "::: {#tbl-long .neok2-table}\n\n::: {.neok2-caption}\nTable 1: Long.\n:::\n\n"
            f"```{{=html}}\n{html}\n```\n\n:::\n"
        )
        import json as json_module

        return json_module.loads(
            _render_pandoc.run_pandoc(["-f", "markdown", "-t", "json"], markdown, cwd=Path("."))
        )

    def test_line_estimate_counts_rows_and_wrapping(self):
        # header + 10 one-line rows; then first cells of 302 characters ("y" * 300 + " 9"):
        # the narrow column keeps its 1 + 1 characters, the wide one gets the remaining 103
        # of the 105 per line, so ceil(302 / 103) = 3 lines a row
        for rows, text, lines in ((10, "x", 11), (10, "y" * 300, 1 + 10 * 3)):
            converted = _render_pandoc.tables_from_html(self._table_ast(rows, text), cwd=Path("."))
            [table] = [block for block in converted["blocks"] if block["t"] == "Table"]
            assert _render_pandoc._estimated_lines(table) == lines

    def test_long_table_is_wrapped_to_break_across_pages(self):
        converted = _render_pandoc.tables_from_html(self._table_ast(60), cwd=Path("."))
        kinds = [block["t"] for block in converted["blocks"]]
        assert kinds == ["RawBlock", "Table", "RawBlock"]
        assert "breakable: true" in converted["blocks"][0]["c"][1]
        short = _render_pandoc.tables_from_html(self._table_ast(20), cwd=Path("."))
        assert [block["t"] for block in short["blocks"]] == ["Table"]

    def test_callout_without_title_is_named_after_its_kind(self):
        import json as json_module

        ast = json_module.loads(
            _render_pandoc.run_pandoc(
                ["-f", "markdown", "-t", "json"], "::: {.callout-tip}\nHi.\n:::\n", cwd=Path(".")
            )
        )
        html_ast = _render_pandoc.callouts(ast, output="html")
        title = html_ast["blocks"][0]["c"][1][0]
        assert _render_pandoc._plain_text(title) == "Tip"

    def test_callout_errors_properly(self):
        with pytest.raises(ValueError, match="`output` must be 'html', 'typst' or 'docx'"):
            _render_pandoc.callouts({"blocks": []}, output="latex")
