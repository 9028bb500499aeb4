"""The console script's own reading of `bulletin build`'s arguments: click's, or none at all."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from pipeline.app.cli import main
from pipeline.app.entry import build_arguments

ARGUMENTS = [
    [],
    ["issues"],
    ["a.toml", "b.toml", "-o", "out", "--strict"],
    ["--ofd", "issues", "--output", "out", "-j", "2"],
    ["--jobs", "1", "issues", "--strict", "--ofd"],
    ["-j", "0"],
    ["-j", "x"],
    ["-j", "²"],
    ["-j"],
    ["-o"],
    ["-o", "a", "-o", "b"],
    ["--strict", "--strict"],
    ["--output=out"],
    ["-oout"],
    ["-h"],
    ["--help"],
    ["--", "-a.toml"],
    ["-"],
    [""],
    ["--unknown"],
    ["-o", "-x"],
    ["-o", "pyproject.toml"],  # a file where the folder is to be
]


@pytest.mark.parametrize("args", ARGUMENTS, ids=lambda a: " ".join(a) or "none")
def test_what_it_reads_click_reads_alike(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    ours = build_arguments(args)
    if ours is None:
        return  # click reads it (or says what is wrong)
    command = main.get_command(click.Context(main), "build")
    assert command is not None
    params = command.make_context("build", list(args)).params
    expected = (
        list(params["paths"]),
        params["output_dir"],
        params["strict"],
        params["jobs"],
        params["ofd"],
    )
    assert ours == expected


def test_plain_arguments_are_read_here_and_the_others_left_to_click() -> None:
    read = [args for args in ARGUMENTS if build_arguments(args) is not None]
    assert read == ARGUMENTS[:5]
