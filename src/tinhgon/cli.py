"""The one command line: `tinhgon`. Each domain adds its own Typer group from its `cli` module.

Sub-modules import their heavy dependencies inside the commands, so that `tinhgon plan solve`
does not pay for SQLAlchemy and the web stack at start-up.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from tinhgon.errors import TinhgonError

app = typer.Typer(
    name="tinhgon",
    help="tinhgon (tinh gọn): sắp xếp đơn vị hành chính cơ sở / grassroots reorganisation toolkit.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# (module, attribute) of each domain's Typer app, added as a group or merged as top-level commands.
_GROUPS: list[tuple[str, str, str | None]] = [
    ("tinhgon.registry.cli", "units_app", "units"),
    ("tinhgon.registry.cli", "seed_app", "seed"),
    ("tinhgon.registry.cli", "db_app", "db"),
    ("tinhgon.planner.cli", "plan_app", "plan"),
]
_TOP_LEVEL: list[tuple[str, str]] = [
    ("tinhgon.demo.cli", "register"),
]


def _load() -> None:
    for module_name, attr, name in _GROUPS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # a domain not built yet
            if exc.name and exc.name.startswith("tinhgon"):
                continue
            raise
        app.add_typer(getattr(module, attr), name=name)
    for module_name, attr in _TOP_LEVEL:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("tinhgon"):
                continue
            raise
        getattr(module, attr)(app)


_load()


def _click_exceptions() -> tuple[type[BaseException], ...]:
    """Typer vendors click in recent releases; accept either copy's exception classes."""
    found: list[type[BaseException]] = []
    try:
        from typer._click import exceptions as vendored  # type: ignore[attr-defined]

        found.append(vendored.ClickException)
    except ImportError:
        pass
    try:
        import click

        found.append(click.ClickException)
    except ImportError:
        pass
    return tuple(found)


def _exit_like() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = [typer.Exit, typer.Abort]
    try:
        import click

        found += [click.exceptions.Exit, click.exceptions.Abort]
    except ImportError:
        pass
    return tuple(found)


def main() -> None:
    """Entry point: turn every failure into one message and the exit code of FORMATS.md."""
    try:
        rv = app(standalone_mode=False)
    except TinhgonError as exc:
        typer.echo(f"Lỗi: {exc}", err=True)
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        typer.echo("Đã dừng theo yêu cầu.", err=True)
        sys.exit(3)
    except _click_exceptions() as exc:
        exc.show()  # type: ignore[attr-defined]
        code = getattr(exc, "exit_code", 2)
        sys.exit(code if code != 1 else 2)
    except _exit_like() as exc:
        sys.exit(getattr(exc, "exit_code", 3))
    except Exception as exc:  # never a bare traceback for the user
        if os.environ.get("TINHGON_DEBUG"):
            raise
        typer.echo(f"Lỗi: {type(exc).__name__}: {exc}", err=True)
        sys.exit(3)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()
