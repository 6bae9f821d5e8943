"""The `tinhgon plan` group. `plan solve` / `plan check` (FORMATS.md) live in filecli; the registry's
`plan create/list/show/export` are added by tinhgon.plans.cli."""

from __future__ import annotations

from typing import Any

import typer

from tinhgon.planner.filecli import CHECK_HELP, SOLVE_HELP

plan_app = typer.Typer(
    help="Lập phương án sắp xếp (gộp) đơn vị / merger planning from plain CSV files.",
    no_args_is_help=True,
    add_completion=False,
)

# Everything after `solve` / `check` goes to the argparse definitions in filecli (see its docstring),
# --help included, so that the fast entry point and this group cannot drift apart.
_PASS_THROUGH: dict[str, Any] = {"allow_extra_args": True, "ignore_unknown_options": True,
                                 "help_option_names": []}


def _forward(name: str, ctx: typer.Context) -> None:
    from tinhgon.planner.filecli import main

    code = main([name, *ctx.args])
    if code:
        raise typer.Exit(code)


@plan_app.command("solve", help=SOLVE_HELP, context_settings=_PASS_THROUGH, add_help_option=False)
def solve(ctx: typer.Context) -> None:
    _forward("solve", ctx)


@plan_app.command("check", help=CHECK_HELP, context_settings=_PASS_THROUGH, add_help_option=False)
def check(ctx: typer.Context) -> None:
    _forward("check", ctx)
