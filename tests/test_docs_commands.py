"""Every `snakemake` command in the README's and docs' code blocks runs as written (dry run).

Commands are taken from indented and fenced code blocks of README.md, config/README.md and
docs/*.md (inline code is prose, not an example), joined across backslash continuations,
split at `&&`, and run by bash (brace expansion included) with `-n` appended, in a folder
that mirrors the repository, so that nothing is written into the checkout. A `--report`
command has no dry run: it runs for real on the finished .test run.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = [REPO / "README.md", REPO / "config" / "README.md", *sorted(REPO.glob("docs/*.md"))]
#: Top-level entries the mirror leaves out: run products and the environment.
NOT_MIRRORED = {".git", ".snakemake", "results", "logs", ".venv", "report.html", "report.zip"}
#: Options that take several values (Snakemake's nargs="+"), after which a target is misread.
MULTI_VALUE_OPTIONS = {"--configfile", "--configfiles"}


def code_blocks(text: str) -> list[str]:
    """Bodies of the fenced (```) and indented (4 spaces, after a blank line) blocks."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("```"):
            end = i + 1
            while end < len(lines) and not lines[end].lstrip().startswith("```"):
                end += 1
            blocks.append("\n".join(lines[i + 1 : end]))
            i = end + 1
        elif line.startswith("    ") and (i == 0 or not lines[i - 1].strip()):
            end = i
            while end < len(lines) and (lines[end].startswith("    ") or not lines[end].strip()):
                end += 1
            blocks.append("\n".join(entry[4:] for entry in lines[i:end]))
            i = end
        else:
            i += 1
    return blocks


def snakemake_commands(text: str) -> list[str]:
    """The `snakemake ...` commands of ``text``'s code blocks, one line each, no comments."""
    commands = []
    for block in code_blocks(text):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.strip().removeprefix("$ ")
            if line.startswith("#"):
                continue
            for part in re.sub(r"\s+#.*$", "", line).split("&&"):
                if re.match(r"(\S*/)?snakemake(\s|$)", part.strip()):
                    commands.append(" ".join(part.split()))
    return commands


def all_commands() -> list[tuple[str, str]]:
    return [
        (str(path.relative_to(REPO)), command)
        for path in DOCUMENTS
        for command in snakemake_commands(path.read_text())
    ]


COMMANDS = all_commands()


def test_the_docs_hold_commands_to_check():
    documents = {document for document, _ in COMMANDS}
    assert {"README.md", "docs/cluster.md"} <= documents
    assert len(COMMANDS) >= 10


def test_extraction_reads_blocks_continuations_and_chains():
    text = (
        "Prose with `snakemake --inline` code.\n\n"
        "    bash .ci/setup && .venv/bin/snakemake --cores 2   # comment\n"
        "    snakemake --profile p \\\n        target.tsv\n\n"
        "```bash\n# a comment\nsnakemake -n --configfile c.yaml\n```\n"
    )
    assert snakemake_commands(text) == [
        ".venv/bin/snakemake --cores 2",
        "snakemake --profile p target.tsv",
        "snakemake -n --configfile c.yaml",
    ]


@pytest.mark.parametrize(("document", "command"), COMMANDS)
def test_no_target_follows_a_multi_value_option(document, command):
    """`--configfile a.yaml target` reads the target as a second config file."""
    words = shlex.split(command)
    for i, word in enumerate(words):
        if word in MULTI_VALUE_OPTIONS:
            values = []
            for value in words[i + 1 :]:
                if value.startswith("-"):
                    break
                values.append(value)
            strays = [value for value in values if not value.endswith((".yaml", ".yml"))]
            assert not strays, (
                f"{document}: {strays} after {word} in `{command}`: put targets first"
            )


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    """A folder whose entries link to the repository's: commands run there write nothing here."""
    folder = tmp_path_factory.mktemp("mirror")
    for entry in REPO.iterdir():
        if entry.name == ".test":  # a working directory of its own (--directory .test)
            (folder / ".test").mkdir()
            for inner in entry.iterdir():
                if inner.name not in NOT_MIRRORED:
                    (folder / ".test" / inner.name).symlink_to(inner)
        elif entry.name not in NOT_MIRRORED:
            (folder / entry.name).symlink_to(entry)
    return folder


@pytest.fixture(scope="module")
def finished_mirror(dot_test_run):
    """The finished .test run (conftest) with the repository's entries linked in beside its
    results and `.test` pointing at itself: report commands run there for real."""
    for entry in REPO.iterdir():
        target = dot_test_run / entry.name
        if entry.name not in NOT_MIRRORED | {".test"} and not target.exists():
            target.symlink_to(entry)
    if not (dot_test_run / ".test").exists():
        (dot_test_run / ".test").symlink_to(dot_test_run)
    return dot_test_run


@pytest.mark.slow
@pytest.mark.parametrize(("document", "command"), COMMANDS)
def test_command_runs(document, command, request):
    """A dry run in the mirror; a report command (no dry run exists) on the .test run."""
    words = command.split()
    if ("conda" in words or "--use-conda" in words) and shutil.which("conda") is None:
        pytest.skip(f"{document}: `{command}` needs conda, which is not installed here")
    reports = "--report" in words
    folder = request.getfixturevalue("finished_mirror" if reports else "mirror")
    env = dict(os.environ)
    # `snakemake` is the one beside this interpreter (the set-up's environment).
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    # As written (bash expands braces), from the environment's snakemake, with -n.
    program, _, arguments = command.partition(" ")
    result = subprocess.run(
        ["bash", "-c", f"snakemake {arguments}{'' if reports else ' -n'}"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{document}: `{command}` failed:\n{output[-3000:]}"
