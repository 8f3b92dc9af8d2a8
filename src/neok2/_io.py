"""Safe file output shared by every writer: atomic replacement and no writing over inputs.

A reader who opens an output file sees either the old content or the complete new content,
never a half-written file: the text goes to a temporary file in the destination folder (so
that the final rename stays on one file system) and :func:`os.replace` swaps it in. A write
that fails midway removes the temporary file and leaves any existing file untouched.

A whole folder of outputs (``neok2 analyze --out DIR``) is written the same way by
:func:`atomic_folder`: into a temporary folder beside ``DIR``, which then takes ``DIR``'s place,
so that a reader (or a kill) sees the complete old folder or the complete new one, never a mix.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

__all__ = [
    "atomic_folder",
    "atomic_output",
    "atomic_write_bytes",
    "atomic_write_csv",
    "atomic_write_text",
    "check_replaceable",
    "check_replaceable_folder",
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


# ----------------------------------------------------------------------------- whole folders

_STAGING = ".neok2-new-"
_ASIDE = ".neok2-old-"


def check_replaceable_folder(
    path: str | os.PathLike[str], *, force: bool = False, argument: str = "--out"
) -> Path:
    r"""Refuse to replace a folder that holds any file neok2 did not write, unless ``force``.

    Parameters
    ----------
    path : str or os.PathLike
        The output folder about to be replaced as a whole.
    force : bool
        Replace it even when it holds files neok2 did not write (or changed since).
    argument : str
        The option or argument named in the error.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        When ``path`` exists and is not a folder, or holds (at any depth) a file or link that
        is not in its folder's neok2 manifest, and ``force`` is false.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "notes.txt").write_text("mine")
    >>> check_replaceable_folder(folder)
    Traceback (most recent call last):
    ...
    ValueError: `--out` '...' holds 1 file neok2 did not write (notes.txt); ...
    >>> check_replaceable_folder(folder, force=True) == folder
    True
    """
    target = _as_path(path, argument)
    if not target.exists() and not target.is_symlink():
        return target
    if target.is_symlink() or not target.is_dir():
        raise ValueError(
            f"`{argument}` {str(target)!r} exists and is not a directory; choose another path"
        )
    if force:
        return target
    foreign: list[str] = []
    for folder, subfolders, files in os.walk(target):
        subfolders.sort()
        for name in sorted(files):
            if name == MANIFEST:
                continue
            file = Path(folder) / name
            if file.is_symlink() or not written_by_neok2(file):
                foreign.append(file.relative_to(target).as_posix())
        foreign.extend(
            (Path(folder) / name).relative_to(target).as_posix()
            for name in subfolders
            if (Path(folder) / name).is_symlink()
        )
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        noun = "file" if len(foreign) == 1 else "files"
        raise ValueError(
            f"`{argument}` {str(target)!r} holds {len(foreign)} {noun} neok2 did not write "
            f"({shown}); the whole folder is replaced, so choose another folder, or pass "
            "--force to replace it"
        )
    return target


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2`` with ``RENAME_EXCHANGE``).

    Returns False where the call or the file system does not support it.
    """
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    at_cwd, exchange = -100, 2
    if renameat2(at_cwd, os.fsencode(first), at_cwd, os.fsencode(second), exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tidy_abandoned(target: Path) -> None:
    """Clear what a killed earlier run left beside ``target`` (its own process is gone).

    A staging folder is half written: removed. A folder set aside during a two-step swap is
    complete: it goes back to ``target`` if the new folder never arrived, else it is removed.
    """
    prefix = f".{target.name}.neok2-"
    for sibling in sorted(target.parent.glob(f"{prefix}*")):
        kind, _, rest = sibling.name[len(prefix) :].partition("-")
        pid_text = rest.split("-", 1)[0]
        if kind not in ("new", "old") or not pid_text.isdigit() or _process_alive(int(pid_text)):
            continue
        if kind == "old" and not target.exists():
            os.rename(sibling, target)
        else:
            shutil.rmtree(sibling, ignore_errors=True)


@contextmanager
def atomic_folder(
    path: str | os.PathLike[str], *, force: bool = False, argument: str = "--out"
) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``path``; on success it replaces ``path`` whole.

    Parameters
    ----------
    path : str or os.PathLike
        The output folder. Its parent is created when missing.
    force : bool
        Replace ``path`` even when it holds files neok2 did not write
        (see :func:`check_replaceable_folder`).
    argument : str
        The option or argument named in errors.

    Yields
    ------
    pathlib.Path
        The staging folder: write every output there.

    Raises
    ------
    ValueError
        From :func:`check_replaceable_folder`.

    Notes
    -----
    On Linux the staging folder and ``path`` trade places in one ``renameat2`` exchange and
    the old folder is then deleted; elsewhere ``path`` is renamed aside, the new folder
    renamed in and the old one deleted (a kill between the two renames leaves both complete
    folders beside ``path``, and the next run puts the old one back before writing). If the
    ``with`` block raises, the staging folder is deleted and ``path`` is untouched. The new
    folder gets the permissions of a plain ``mkdir``.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "results"
    >>> with atomic_folder(out) as staging:
    ...     _ = (staging / "a.txt").write_text("new")
    ...     out.exists()
    False
    >>> sorted(p.name for p in out.iterdir())
    ['a.txt']
    """
    target = _as_path(path, argument)
    target.parent.mkdir(parents=True, exist_ok=True)
    _tidy_abandoned(target)
    check_replaceable_folder(target, force=force, argument=argument)
    staging = Path(
        tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}{_STAGING}{os.getpid()}-")
    )
    try:
        yield staging
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)
        if not target.exists():
            os.rename(staging, target)
        elif not _exchange(staging, target):
            aside = staging.with_name(staging.name.replace(_STAGING, _ASIDE, 1))
            os.rename(target, aside)
            os.rename(staging, target)
            shutil.rmtree(aside)
        # after an exchange the staging path holds the old folder: removed below
    finally:
        shutil.rmtree(staging, ignore_errors=True)
