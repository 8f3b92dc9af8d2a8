"""neok2._io: atomic writes and the refusal to write over an input file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from neok2._io import (
    atomic_output,
    atomic_write_bytes,
    atomic_write_text,
    check_replaceable,
    record_written,
    refuse_overwrite_input,
    written_by_neok2,
)


class _SimulatedError(RuntimeError):
    pass


def _leftovers(folder: Path) -> list[str]:
    return sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".tmp"))


class TestAtomicWriteText:
    def test_writes_exact_bytes_without_newline_translation(self, tmp_path: Path):
        target = tmp_path / "table.csv"
        atomic_write_text(target, "a,b\n1,±2\r\n")
        assert target.read_bytes() == "a,b\n1,±2\r\n".encode()

    def test_replaces_existing_file(self, tmp_path: Path):
        target = tmp_path / "table.csv"
        target.write_text("old", encoding="utf-8")
        atomic_write_text(target, "new")
        assert target.read_text(encoding="utf-8") == "new"
        assert _leftovers(tmp_path) == []

    def test_returns_the_path(self, tmp_path: Path):
        assert atomic_write_text(str(tmp_path / "x.txt"), "x") == tmp_path / "x.txt"

    def test_creates_missing_folder(self, tmp_path: Path):
        target = tmp_path / "new" / "deeper" / "x.txt"
        atomic_write_text(target, "x")
        assert target.read_text(encoding="utf-8") == "x"

    def test_encoding_option(self, tmp_path: Path):
        target = tmp_path / "latin.txt"
        atomic_write_text(target, "é", encoding="latin-1")
        assert target.read_bytes() == b"\xe9"

    def test_permissions_follow_umask_not_mkstemp(self, tmp_path: Path):
        # mkstemp creates 0o600 files; an output must be as readable as open(path, "w") makes it.
        reference = tmp_path / "plain.txt"
        reference.write_text("x", encoding="utf-8")
        target = atomic_write_text(tmp_path / "atomic.txt", "x")
        assert stat.S_IMODE(target.stat().st_mode) == stat.S_IMODE(reference.stat().st_mode)

    def test_errors_properly_on_bytes(self, tmp_path: Path):
        with pytest.raises(TypeError, match="`text` must be a str"):
            atomic_write_text(tmp_path / "x.txt", b"x")  # type: ignore[arg-type]
        assert not (tmp_path / "x.txt").exists()

    def test_errors_properly_on_bad_path(self):
        with pytest.raises(TypeError, match=r"`path` must be a str or pathlib\.Path"):
            atomic_write_text(3, "x")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="`path` is an empty path"):
            atomic_write_text("", "x")

    def test_errors_properly_on_unencodable_text_and_keeps_old_file(self, tmp_path: Path):
        target = tmp_path / "x.txt"
        target.write_text("old", encoding="utf-8")
        with pytest.raises(UnicodeEncodeError):
            atomic_write_text(target, "€", encoding="ascii")
        assert target.read_text(encoding="utf-8") == "old"
        assert _leftovers(tmp_path) == []


class TestAtomicWriteBytes:
    def test_writes_bytes(self, tmp_path: Path):
        target = atomic_write_bytes(tmp_path / "x.bin", b"\x00\xff")
        assert target.read_bytes() == b"\x00\xff"

    def test_accepts_bytearray_and_memoryview(self, tmp_path: Path):
        assert atomic_write_bytes(tmp_path / "a", bytearray(b"ab")).read_bytes() == b"ab"
        assert atomic_write_bytes(tmp_path / "b", memoryview(b"cd")).read_bytes() == b"cd"

    def test_errors_properly_on_text(self, tmp_path: Path):
        with pytest.raises(TypeError, match="`data` must be bytes, got str; encode text first"):
            atomic_write_bytes(tmp_path / "x.bin", "x")  # type: ignore[arg-type]


class TestAtomicOutput:
    def test_temporary_is_in_the_destination_folder(self, tmp_path: Path):
        with atomic_output(tmp_path / "out.csv") as temporary:
            assert temporary.parent == tmp_path
            assert temporary != tmp_path / "out.csv"
            temporary.write_text("done", encoding="utf-8")
            assert not (tmp_path / "out.csv").exists()
        assert (tmp_path / "out.csv").read_text(encoding="utf-8") == "done"
        assert not temporary.exists()

    def test_exception_midway_leaves_old_file_intact_and_no_partial_file(self, tmp_path: Path):
        target = tmp_path / "out.csv"
        target.write_bytes(b"old content\n")
        with (
            pytest.raises(_SimulatedError),
            atomic_output(target) as temporary,
            temporary.open("w", encoding="utf-8") as handle,
        ):
            handle.write("half of the new")
            handle.flush()
            raise _SimulatedError("disk full")
        assert target.read_bytes() == b"old content\n"
        assert sorted(entry.name for entry in tmp_path.iterdir()) == ["out.csv"]

    def test_exception_midway_without_old_file_leaves_nothing(self, tmp_path: Path):
        with pytest.raises(_SimulatedError), atomic_output(tmp_path / "out.csv") as temporary:
            temporary.write_text("partial", encoding="utf-8")
            raise _SimulatedError
        assert list(tmp_path.iterdir()) == []

    def test_keyboard_interrupt_also_cleans_up(self, tmp_path: Path):
        with pytest.raises(KeyboardInterrupt), atomic_output(tmp_path / "out.csv") as temporary:
            temporary.write_text("partial", encoding="utf-8")
            raise KeyboardInterrupt
        assert list(tmp_path.iterdir()) == []

    def test_writer_that_replaces_the_temporary_itself(self, tmp_path: Path):
        # Some writers (matplotlib, great-tables) delete and recreate the file they are given.
        with atomic_output(tmp_path / "fig.txt") as temporary:
            temporary.unlink()
            temporary.write_text("recreated", encoding="utf-8")
        assert (tmp_path / "fig.txt").read_text(encoding="utf-8") == "recreated"

    def test_errors_properly_on_directory(self, tmp_path: Path):
        with (
            pytest.raises(IsADirectoryError, match="is a directory; name a file inside it"),
            atomic_output(tmp_path),
        ):
            pass

    def test_errors_properly_when_folder_is_read_only(self, tmp_path: Path):
        folder = tmp_path / "locked"
        folder.mkdir()
        (folder / "out.csv").write_text("old", encoding="utf-8")
        folder.chmod(0o500)
        try:
            if os.access(folder, os.W_OK):
                # Running as root: permissions are not enforced, so make the folder a file.
                folder.chmod(0o700)
                blocker = tmp_path / "blocker"
                blocker.write_text("", encoding="utf-8")
                with pytest.raises(OSError):
                    atomic_write_text(blocker / "out.csv", "new")
            else:
                with pytest.raises(PermissionError):
                    atomic_write_text(folder / "out.csv", "new")
        finally:
            folder.chmod(0o700)
        assert (folder / "out.csv").read_text(encoding="utf-8") == "old"


class TestRefuseOverwriteInput:
    def test_distinct_paths_pass(self, tmp_path: Path):
        data = tmp_path / "data.csv"
        data.write_text("x", encoding="utf-8")
        assert refuse_overwrite_input(tmp_path / "out.csv", data) == tmp_path / "out.csv"

    def test_no_inputs_and_none_inputs_pass(self, tmp_path: Path):
        assert refuse_overwrite_input(tmp_path / "out.csv") == tmp_path / "out.csv"
        assert refuse_overwrite_input(tmp_path / "out.csv", None) == tmp_path / "out.csv"

    def test_same_path_refused(self, tmp_path: Path):
        data = tmp_path / "data.csv"
        data.write_text("x", encoding="utf-8")
        with pytest.raises(ValueError, match="never writes over its inputs"):
            refuse_overwrite_input(data, tmp_path / "spec.yaml", data)

    def test_dot_dot_and_relative_spelling_refused(self, tmp_path: Path, monkeypatch):
        (tmp_path / "sub").mkdir()
        data = tmp_path / "data.csv"
        data.write_text("x", encoding="utf-8")
        monkeypatch.chdir(tmp_path / "sub")
        with pytest.raises(ValueError, match="is the input file"):
            refuse_overwrite_input("../data.csv", data)

    def test_symlink_refused(self, tmp_path: Path):
        data = tmp_path / "data.csv"
        data.write_text("x", encoding="utf-8")
        link = tmp_path / "link.csv"
        link.symlink_to(data)
        with pytest.raises(ValueError, match="is the input file"):
            refuse_overwrite_input(link, data)

    def test_hard_link_refused(self, tmp_path: Path):
        data = tmp_path / "data.csv"
        data.write_text("x", encoding="utf-8")
        hard = tmp_path / "hard.csv"
        os.link(data, hard)
        with pytest.raises(ValueError, match="is the input file"):
            refuse_overwrite_input(hard, data)

    def test_missing_input_same_path_refused(self, tmp_path: Path):
        with pytest.raises(ValueError, match="is the input file"):
            refuse_overwrite_input(tmp_path / "a.csv", tmp_path / "a.csv")

    def test_errors_properly_on_bad_types(self, tmp_path: Path):
        with pytest.raises(TypeError, match=r"`out_path` must be a str or pathlib\.Path"):
            refuse_overwrite_input(None, tmp_path)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"`input_paths\[1\]` must be a str"):
            refuse_overwrite_input(tmp_path / "o", tmp_path / "i", 5)  # type: ignore[arg-type]


class TestOutputGuard:
    def test_a_users_file_is_refused_and_kept(self, tmp_path: Path):
        user_file = tmp_path / "mydata.csv"
        user_file.write_text("id,case\n1,0\n", encoding="utf-8")
        with pytest.raises(ValueError, match=r"`--out` .*mydata.csv.* not written by neok2"):
            check_replaceable(user_file)
        assert user_file.read_text(encoding="utf-8") == "id,case\n1,0\n"

    def test_force_allows_it(self, tmp_path: Path):
        user_file = tmp_path / "mydata.csv"
        user_file.write_text("x\n", encoding="utf-8")
        assert check_replaceable(user_file, force=True) == user_file

    def test_a_missing_file_passes(self, tmp_path: Path):
        assert check_replaceable(tmp_path / "new.csv") == tmp_path / "new.csv"

    def test_neok2s_own_output_may_be_replaced_until_someone_edits_it(self, tmp_path: Path):
        output = atomic_write_text(tmp_path / "out.csv", "a\n1\n")
        record_written(output)
        assert written_by_neok2(output)
        assert check_replaceable(output) == output
        output.write_text("a\n2\n", encoding="utf-8")  # edited by hand since
        assert not written_by_neok2(output)
        with pytest.raises(ValueError, match="--force"):
            check_replaceable(output)

    def test_a_corrupt_manifest_counts_as_no_record(self, tmp_path: Path):
        output = atomic_write_text(tmp_path / "out.csv", "a\n")
        (tmp_path / ".neok2-written.json").write_text("{not json", encoding="utf-8")
        assert not written_by_neok2(output)

    def test_argument_named(self, tmp_path: Path):
        user_file = tmp_path / "f.csv"
        user_file.write_text("x\n", encoding="utf-8")
        with pytest.raises(ValueError, match="`--twin-out`"):
            check_replaceable(user_file, argument="--twin-out")


class TestCommandsRefuseAUsersFile:
    """`neok2 audit --out` and `neok2 synth --out` never replace a user's data file."""

    @pytest.mark.parametrize(
        "arguments",
        [
            ["audit", "--format", "csv", "--out"],
            ["synth", "--seed", "1", "--out"],
        ],
    )
    def test_refused_then_forced(self, tmp_path: Path, arguments: list[str]):
        from click.testing import CliRunner

        from neok2.cli import main

        user_file = tmp_path / "mydata.csv"
        user_file.write_text("id,case\n1,0\n", encoding="utf-8")
        runner = CliRunner()
        result = runner.invoke(main, [*arguments, str(user_file)])
        assert result.exit_code == 2
        assert "not written by neok2" in result.output
        assert user_file.read_text(encoding="utf-8") == "id,case\n1,0\n"
        # a second run over neok2's own output is allowed
        result = runner.invoke(main, [*arguments, str(user_file), "--force"])
        assert result.exit_code == 0, result.output
        assert written_by_neok2(user_file)
        result = runner.invoke(main, [*arguments, str(user_file)])
        assert result.exit_code == 0, result.output
