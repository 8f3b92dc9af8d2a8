"""Safe file output shared by every writer: atomic replacement and no writing over inputs.

A reader who opens an output file sees either the old content or the complete new content,
never a half-written file: the text goes to a temporary file in the destination folder (so
that the final rename stays on one file system) and :func:`os.replace` swaps it in. A write
that fails midway removes the temporary file and leaves any existing file untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

__all__ = [
    "atomic_output",
    "atomic_write_bytes",
    "atomic_write_csv",
    "atomic_write_text",
    "check_replaceable",
    "file_sha256",
    "record_written",
    "refuse_overwrite_input",
    "written_by_neok2",
]

# Each folder neok2 writes into keeps a manifest of the files it wrote (name -> SHA-256), so
# that a later run can tell its own earlier output from a user's file of the same name.
MANIFEST = ".neok2-written.json"


def _as_path(path: object, argument: str) -> Path:
    if isinstance(path, bool) or not isinstance(path, str | os.PathLike):
        raise TypeError(f"`{argument}` must be a str or pathlib.Path, got {type(path).__name__}")
    text = os.fspath(path)
    if not text:
        raise ValueError(f"`{argument}` is an empty path; name a file")
    return Path(text)


@contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The destination file. Its folder is created when missing.

    Yields
    ------
    pathlib.Path
        An empty temporary file in the destination folder; write the output there.

    Raises
    ------
    TypeError
        When ``path`` is not a str or path.
    ValueError
        When ``path`` is empty.
    IsADirectoryError
        When ``path`` is an existing directory.

    Notes
    -----
    If the ``with`` block raises, the temporary file is deleted, the exception propagates
    and the destination keeps its previous content (or stays absent). The new file gets
    the permissions a plain ``open(path, "w")`` would give it (0o666 minus the umask),
    not the 0o600 of :func:`tempfile.mkstemp`. Mirrors the role of R's
    ``write.csv`` with a temporary file and ``file.rename``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_output(folder / "out.txt") as temporary:
    ...     _ = temporary.write_text("done", encoding="utf-8")
    >>> (folder / "out.txt").read_text(encoding="utf-8")
    'done'
    """
    target = _as_path(path, "path")
    if target.is_dir():
        raise IsADirectoryError(f"`path`: {str(target)!r} is a directory; name a file inside it")
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (all of it or nothing).

    Parameters
    ----------
    path : str or os.PathLike
        The destination file; replaced if it exists.
    data : bytes
        The content.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    TypeError
        When ``data`` is not bytes or ``path`` is not a path.

    Notes
    -----
    See :func:`atomic_output`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.bin"
    >>> atomic_write_bytes(target, b"\\x00\\x01").read_bytes()
    b'\\x00\\x01'
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"`data` must be bytes, got {type(data).__name__}; encode text first")
    target = _as_path(path, "path")
    with atomic_output(target) as temporary:
        temporary.write_bytes(bytes(data))
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically, with no newline translation.

    Parameters
    ----------
    path : str or os.PathLike
        The destination file; replaced if it exists.
    text : str
        The content, written exactly (``"\\n"`` stays ``"\\n"`` on every platform so that
        outputs are byte-identical across machines).
    encoding : str, default "utf-8"
        Text encoding.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    TypeError
        When ``text`` is not a str or ``path`` is not a path.

    Notes
    -----
    See :func:`atomic_output`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "table.csv"
    >>> atomic_write_text(target, "a,b\\n1,2\\n").read_bytes()
    b'a,b\\n1,2\\n'
    """
    if not isinstance(text, str):
        raise TypeError(f"`text` must be a str, got {type(text).__name__}")
    return atomic_write_bytes(path, text.encode(encoding))


def refuse_overwrite_input(
    out_path: str | os.PathLike[str], *input_paths: str | os.PathLike[str] | None
) -> Path:
    """Raise if ``out_path`` names one of the input files; otherwise return it as a Path.

    Parameters
    ----------
    out_path : str or os.PathLike
        Where an output is about to be written.
    *input_paths : str, os.PathLike or None
        Files the output was computed from; ``None`` entries are skipped.

    Returns
    -------
    pathlib.Path
        ``out_path``.

    Raises
    ------
    ValueError
        When ``out_path`` is the same file as an input (same path after resolving symbolic
        links and ``..``, or the same inode through a hard link).
    TypeError
        When a path is not a str or path.

    Notes
    -----
    Guards the rule that neok2 never writes over a user's data or spec.

    Examples
    --------
    >>> refuse_overwrite_input("results/table1.csv", "data/cohort.csv")
    PosixPath('results/table1.csv')
    >>> refuse_overwrite_input("data/../data/cohort.csv", "data/cohort.csv")
    Traceback (most recent call last):
    ...
    ValueError: `out_path`: 'data/../data/cohort.csv' is the input file 'data/cohort.csv'; ...
    """
    target = _as_path(out_path, "out_path")
    for index, candidate in enumerate(input_paths):
        if candidate is None:
            continue
        source = _as_path(candidate, f"input_paths[{index}]")
        if _same_file(target, source):
            raise ValueError(
                f"`out_path`: {str(target)!r} is the input file {str(source)!r}; "
                "neok2 never writes over its inputs, choose another output path"
            )
    return target


def _same_file(first: Path, second: Path) -> bool:
    if first.exists() and second.exists():
        return os.path.samefile(first, second)
    return first.resolve() == second.resolve()


def atomic_write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a DataFrame as CSV (no index, ``\\n`` line ends) to ``path`` atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "frame.csv"
    >>> atomic_write_csv(pd.DataFrame({"a": [1]}), target).read_text()
    'a\\n1\\n'
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"`frame` must be a pandas DataFrame, got {type(frame).__name__}")
    return atomic_write_text(path, frame.to_csv(index=False, lineterminator="\n"))


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, as 64 hex digits: the identity of a data file.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "empty.csv"
    >>> _ = path.write_bytes(b"")
    >>> file_sha256(path)[:12]
    'e3b0c44298fc'
    """
    digest = hashlib.sha256()
    with _as_path(path, "path").open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _manifest(folder: Path) -> dict[str, str]:
    try:
        recorded = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return {str(k): str(v) for k, v in recorded.items()} if isinstance(recorded, dict) else {}


def written_by_neok2(path: str | os.PathLike[str]) -> bool:
    r"""Whether ``path`` is a file neok2 wrote and nobody has changed since.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "mine.csv").write_text("a\n1\n")
    >>> written_by_neok2(folder / "mine.csv")
    False
    >>> _ = record_written(folder / "mine.csv")
    >>> written_by_neok2(folder / "mine.csv")
    True
    """
    target = _as_path(path, "path")
    if not target.is_file():
        return False
    return _manifest(target.parent).get(target.name) == file_sha256(target)


def record_written(*paths: str | os.PathLike[str]) -> Path | None:
    r"""Add files neok2 has just written to their folders' manifests; return the last manifest.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "out.csv").write_text("x\n")
    >>> record_written(folder / "out.csv").name
    '.neok2-written.json'
    """
    manifest_path: Path | None = None
    by_folder: dict[Path, list[Path]] = {}
    for path in paths:
        target = _as_path(path, "paths")
        by_folder.setdefault(target.parent, []).append(target)
    for folder, targets in by_folder.items():
        recorded = _manifest(folder)
        for target in targets:
            recorded[target.name] = file_sha256(target)
        manifest_path = folder / MANIFEST
        text = json.dumps(dict(sorted(recorded.items())), indent=1) + "\n"
        atomic_write_text(manifest_path, text)
    return manifest_path


def check_replaceable(
    path: str | os.PathLike[str], *, force: bool = False, argument: str = "--out"
) -> Path:
    r"""Refuse to replace an existing file that neok2 did not write, unless ``force``.

    Parameters
    ----------
    path : str or os.PathLike
        The output about to be written.
    force : bool
        Replace it even when neok2 did not write it.
    argument : str
        The option or argument named in the error.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        When ``path`` exists, is not in its folder's neok2 manifest (or has changed since
        neok2 wrote it) and ``force`` is false.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "mydata.csv").write_text("id\n1\n")
    >>> check_replaceable(folder / "mydata.csv")
    Traceback (most recent call last):
    ...
    ValueError: `--out` '...mydata.csv' exists and was not written by neok2; ...
    >>> check_replaceable(folder / "mydata.csv", force=True).name
    'mydata.csv'
    """
    target = _as_path(path, argument)
    if target.exists() and not force and not written_by_neok2(target):
        raise ValueError(
            f"`{argument}` {str(target)!r} exists and was not written by neok2; choose "
            "another path, or pass --force to replace it"
        )
    return target
