"""`tinhgon users create` and `create-demo`."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from tinhgon.cli import app
from tinhgon.registry import db
from tinhgon.web.tables import web_user


def test_users_create_reads_the_password_from_stdin_and_hashes_it(demo_url: str) -> None:
    r = CliRunner().invoke(app, ["users", "create", "--username", "can.bo", "--role", "viewer", "--scope", "00115",
                                 "--at", "2025-06-30", "--password-stdin"], input="mat-khau-dai\n")
    assert r.exit_code == 0, r.output
    assert "Phường Thượng Thanh" in r.output
    with db.get_engine(demo_url).connect() as conn:
        row = conn.execute(select(web_user).where(web_user.c.username == "can.bo")).one()
    assert row.role == "viewer" and row.password_hash.startswith("$argon2") and "mat-khau-dai" not in row.password_hash


def test_users_create_refuses_an_unknown_role_and_a_short_password(demo_url: str) -> None:
    r = CliRunner().invoke(app, ["users", "create", "--username", "x", "--role", "admin", "--scope", "00115",
                                 "--at", "2025-06-30", "--password-stdin"], input="mat-khau-dai\n")
    assert r.exit_code != 0
    r = CliRunner().invoke(app, ["users", "create", "--username", "x", "--role", "viewer", "--scope", "00115",
                                 "--at", "2025-06-30", "--password-stdin"], input="ngan\n")
    assert r.exit_code != 0


def test_create_demo_is_idempotent_and_prints_the_logins(demo_url: str) -> None:
    for _ in range(2):
        r = CliRunner().invoke(app, ["users", "create-demo"])
        assert r.exit_code == 0, r.output
        assert "quan.longbien" in r.output and "tinhgon-demo" in r.output
    with db.get_engine(demo_url).connect() as conn:
        names = [r[0] for r in conn.execute(select(web_user.c.username))]
    assert len(names) == len(set(names)) >= 5
