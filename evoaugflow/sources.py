"""Which package code a workflow script runs, and a fingerprint of that code.

Snakemake reruns a job when its rule's script changes (its ``code`` trigger) or when
its params change, but it cannot see the :mod:`evoaugflow` modules the script imports:
after an edit of, say, the trainer, old models would stand as if nothing had changed.
The workflow therefore gives every script rule a param whose value is
:func:`script_fingerprint`: a SHA-256 over the package modules the script reaches
through its imports, followed transitively (imports inside functions count too). A job
reruns, with everything downstream, when code it runs changes, and only then: the
fingerprint is taken over each module's code as the syntax tree gives it back, without
docstrings, so comments, docstrings and formatting do not count, and a module the
script never imports does not count at all.

A model class a data set names as ``package.module:Class`` (not part of this package) is
covered by :func:`module_fingerprint` of its module's file.

Reads files only; importing this module imports neither torch nor any other module of
the package.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
from functools import cache
from pathlib import Path

PACKAGE = "evoaugflow"
# The folder holding the package folder: module names resolve to files under it.
_ROOT = Path(__file__).resolve().parent.parent


def module_path(name: str, root: Path = _ROOT) -> Path | None:
    """The source file of module `name` under `root` (a package's ``__init__.py``), or None."""
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_names(tree: ast.AST) -> set[str]:
    """Every module name of the package an import anywhere in `tree` may load.

    ``from evoaugflow.x import y`` yields ``evoaugflow.x`` and the candidate
    ``evoaugflow.x.y`` (kept only if it is a module); parents of every name are added,
    since importing a submodule runs its packages' ``__init__``.
    """
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in found:
            parts = name.split(".")
            if parts[0] == PACKAGE:
                names.update(".".join(parts[:end]) for end in range(1, len(parts) + 1))
    return names


def package_closure(script: Path, root: Path = _ROOT) -> list[Path]:
    """The package's source files `script` runs: its imports, followed transitively.

    Parameters
    ----------
    script : Path
        A Python file (a workflow script or a module).
    root : Path
        Folder holding the package folder. Default: where this package lives.

    Returns
    -------
    list of Path
        Sorted; `script` itself is not included unless it is a package module.
    """
    seen: dict[str, Path] = {}
    pending = [Path(script)]
    while pending:
        source = pending.pop()
        for name in sorted(_file_imports(*_stamp(source)) - set(seen)):
            path = module_path(name, root)
            if path is not None:
                seen[name] = path
                pending.append(path)
    return sorted(set(seen.values()))


def _stamp(path: Path) -> tuple[Path, int, int]:
    """A file's cache key: its path, modification time and size (an edit changes it)."""
    status = Path(path).stat()
    return Path(path).resolve(), status.st_mtime_ns, status.st_size


@cache
def _file_imports(path: Path, mtime_ns: int, size: int) -> frozenset[str]:
    """:func:`_imported_names` of a file, parsed once per version of it."""
    return frozenset(_imported_names(ast.parse(path.read_text(encoding="utf-8"), str(path))))


@cache
def _file_digest(path: Path, mtime_ns: int, size: int) -> str:
    """:func:`source_digest` of a file, computed once per version of it."""
    tree = _without_docstrings(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    # Hashed as source regenerated from the tree: the same text for the same code, and,
    # unlike ast.dump, not tied to one Python version's node fields.
    return hashlib.sha256(ast.unparse(tree).encode()).hexdigest()


def _without_docstrings(tree: ast.AST) -> ast.AST:
    """`tree` with the docstring of the module and of every class and function removed."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]
    return tree


def source_digest(path: Path) -> str:
    """SHA-256 of a Python file's syntax tree without docstrings (comments never count)."""
    return _file_digest(*_stamp(path))


def script_fingerprint(script: Path, root: Path = _ROOT) -> str:
    """SHA-256 over the package modules `script` runs (see the module docstring).

    Each module enters with its path relative to `root` and its :func:`source_digest`,
    so moving code between modules changes the fingerprint as editing it does.

    Returns
    -------
    str
        64 hex digits.
    """
    digest = hashlib.sha256()
    for path in package_closure(script, root):
        digest.update(f"{path.relative_to(root).as_posix()} {source_digest(path)}\n".encode())
    return digest.hexdigest()


def module_fingerprint(module_name: str) -> str | None:
    """:func:`source_digest` of an importable module's file, or None where it has none.

    For a user's model module (``package.module`` of ``package.module:Class``): finding
    its file imports its parent packages, not the module itself.
    """
    try:
        spec = importlib.util.find_spec(module_name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return source_digest(Path(spec.origin))
