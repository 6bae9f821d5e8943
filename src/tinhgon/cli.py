"""The one command line: `tinhgon`. Each domain adds its own Typer group from its `cli` module.

Sub-modules import their heavy dependencies inside the commands, so that `tinhgon plan solve`
does not pay for SQLAlchemy and the web stack at start-up.
"""

from __future__ import annotations

import importlib

import typer

from tinhgon.entry import guarded

app = typer.Typer(
    name="tinhgon",
    help="tinhgon (tinh gọn): sắp xếp đơn vị hành chính cơ sở / grassroots reorganisation toolkit.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# (module, attribute, group name) of each domain's Typer app; a domain whose module is not there yet
# is left out. Top-level commands come from a `register(app)` function.
_GROUPS: list[tuple[str, str, str]] = [
    ("tinhgon.registry.cli", "units_app", "units"),
    ("tinhgon.registry.cli", "seed_app", "seed"),
    ("tinhgon.registry.cli", "db_app", "db"),
    ("tinhgon.planner.cli", "plan_app", "plan"),
    ("tinhgon.staffing.cli", "staffing_app", "staffing"),
    ("tinhgon.consult.cli", "consult_app", "consult"),
    ("tinhgon.execute.cli", "merge_app", "merge"),
    ("tinhgon.execute.cli", "address_app", "address"),
    ("tinhgon.reports.cli", "report_app", "report"),
    ("tinhgon.coordination.cli", "coordination_app", "coordination"),
    ("tinhgon.coordination.cli", "delegation_app", "delegation"),
    ("tinhgon.dossier.cli", "dossier_app", "dossier"),
]
_TOP_LEVEL: list[str] = [
    "tinhgon.demo.cli",
    "tinhgon.plans.cli",     # plan create / list / show / export on the registry
    "tinhgon.audit.cli",     # audit
    "tinhgon.registry.io_cli",  # template, import, export
    "tinhgon.web.cli",       # serve
    "tinhgon.reliability.cli",  # backup, restore
]


def _import(module_name: str):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # only a missing domain module is skipped; a broken import inside one is an error
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            return None
        raise


def _load() -> None:
    for module_name, attr, name in _GROUPS:
        module = _import(module_name)
        sub = getattr(module, attr, None) if module is not None else None
        if sub is not None:
            app.add_typer(sub, name=name)
    for module_name in _TOP_LEVEL:
        module = _import(module_name)
        if module is not None and hasattr(module, "register"):
            module.register(app)


_load()


def _click_exceptions() -> tuple[type[BaseException], ...]:
    """Typer vendors click in recent releases; accept either copy's exception classes."""
    found: list[type[BaseException]] = []
    try:
        from typer._click import exceptions as vendored

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


def _click_error(exc: BaseException) -> int:
    exc.show()  # type: ignore[attr-defined]
    code = getattr(exc, "exit_code", 2)
    return code if code != 1 else 2


def _exit_code(exc: BaseException) -> int:
    return int(getattr(exc, "exit_code", 3))


def main() -> None:
    """Entry point of the Typer application (tinhgon.entry.main sends the planner's file commands
    elsewhere first); every failure becomes one message and the exit code of FORMATS.md."""
    guarded(lambda: app(standalone_mode=False),
            tuple((k, _click_error) for k in _click_exceptions())
            + tuple((k, _exit_code) for k in _exit_like()))


if __name__ == "__main__":
    main()
