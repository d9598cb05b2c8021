"""`flask --app wsgi …` commands. Each one calls the same use cases as the web pages.
A leaf module: it imports no blueprint and not the factory."""
from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from workflow.domain.errors import DefinitionError, WorkflowError
from workflow.domain.people import ROLES
from workflow.usecases import scenario
from workflow.usecases.demo import seed
from workflow.usecases.procedures import check_files

from .engine import wf


def _fail(message: str, code: int = 1):
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.command("init-db")
@with_appcontext
def init_db():
    """Create or upgrade the database schema (Alembic migrations)."""
    wf().init_database()
    click.echo(f"database ready: {_redact(current_app.config['DATABASE_URL'])}")


@click.command("bootstrap")
@click.option("--unit", default="Tỉnh ủy", show_default=True, help="Name of the top unit.")
@with_appcontext
def bootstrap(unit):
    """Migrate, and on an empty database create the first administrator (credentials printed once)."""
    engine = wf()
    engine.init_database()
    n = engine.directory.has_users()
    if n:
        click.echo(f"database ready ({n} users); sign in with your account")
        return
    unit_id = engine.people.find_or_create_unit_path([unit])
    password = secrets.token_urlsafe(12)
    engine.people.create_user(None, "admin", password, "admin", unit_id, "Quản trị hệ thống")
    click.echo("=" * 60)
    click.echo("First administrator created. Shown once; change it after signing in.")
    click.echo("  user name: admin")
    click.echo(f"  password:  {password}")
    click.echo("=" * 60)


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--unit", "unit_path", required=True,
              help="Unit path, names separated by '/', e.g. 'Tỉnh ủy Quảng Nam/Huyện ủy Duy Xuyên' (created if missing).")
@click.option("--name", "display_name", default=None, help="Display name.")
@click.option("--password", default=None, help="Password (at least 10 characters); generated and printed if omitted.")
@with_appcontext
def create_user(username, role, unit_path, display_name, password):
    """Create a user with a role in a unit."""
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    try:
        unit_id = wf().people.find_or_create_unit_path([p.strip() for p in unit_path.split("/") if p.strip()])
        user = wf().people.create_user(None, username, password, role, unit_id, display_name)
    except WorkflowError as e:
        _fail(f"{e.code}: {e.message}")
    click.echo(f"created {user.username} ({user.role}) in {user.unit_name}")
    if generated:
        click.echo(f"password: {password}")


definitions = AppGroup("definitions", help="Procedure definitions.")


@definitions.command("validate")
@click.argument("files", nargs=-1, type=click.Path())
def validate(files):
    """Check definition files (default: every file in the definitions folder). Exit 1 if any is bad."""
    paths = [Path(f) for f in files] or sorted(Path(current_app.config["DEFINITIONS_DIR"]).glob("*.yaml"))
    bad = 0
    for p, d in check_files(paths):
        if isinstance(d, DefinitionError):
            bad += 1
            click.echo(f"error {d.message}")
        else:
            click.echo(f"ok    {p.name}: {d.label}, {len(d.steps)} steps, {len(d.transitions)} transitions")
    if bad:
        sys.exit(1)


@definitions.command("list")
def list_definitions():
    """The installed procedures and their versions."""
    for d in wf().registry.all():
        basis = "; ".join(f"{b.number} ({b.date:%d/%m/%Y})" for b in d.legal_basis)
        click.echo(f"{d.key:24} v{d.version}  from {d.effective_from:%d/%m/%Y}  {len(d.steps)} steps  "
                   f"{d.title.vi}  [{basis}]")
    for e in wf().registry.errors:
        click.echo(f"refused: {e.message}", err=True)


audit = AppGroup("audit", help="The record.")


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify(as_json):
    """Check the whole hash chain; exit 1 and name the first bad event if it was tampered with."""
    v = wf().queries.verify()
    if as_json:
        click.echo(json.dumps(v.to_dict()))
    elif v.ok:
        click.echo(f"record intact: {v.events} events, chain verified")
    else:
        click.echo(f"RECORD BROKEN at event {v.first_bad_seq}: {v.problem}")
    sys.exit(0 if v.ok else 1)


scenarios = AppGroup("scenario", help="Dry-run a procedure with a scripted case.")


@scenarios.command("run")
@click.argument("path", type=click.Path(exists=True))
@click.option("--database", default=None, help="Database URL to use and keep (default: a fresh temporary one).")
@click.option("--definitions", default=None, type=click.Path(exists=True, file_okay=False),
              help="A folder of definitions to run against (default: the file's `definitions:`, or the installed).")
def scenario_run(path, database, definitions):
    """Run FILE against a fresh temporary database (or --database) and print one JSON object; or every
    file of a DIR, one line each. Exit 0 when every action and expectation is met, 1 when one is not,
    2 when a file is malformed."""
    if Path(path).is_dir():
        lines, code = scenario.run_folder(path, wf().registry, definitions)
        click.echo("\n".join(lines))
        sys.exit(code)
    out, code = scenario.run_file(path, wf().registry, database, definitions)
    if code == 2:
        _fail(out["error"], 2)
    click.echo(json.dumps(out, ensure_ascii=False))
    sys.exit(code)


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Fill a demo unit tree, users for each role and a few cases at different steps."""
    for line in seed(wf()):
        click.echo(line)


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False))
@with_appcontext
def backup(target):
    """Online backup of the SQLite database to TARGET (PostgreSQL: use pg_dump, see README)."""
    try:
        n = wf().backup(target)
    except WorkflowError as e:
        _fail(e.message)
    click.echo(f"backup written to {target} ({n} events)")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Replace the current database without asking.")
@with_appcontext
def restore(source, yes):
    """Replace the SQLite database with a backup, then verify the record."""
    if not yes:
        click.confirm("This replaces the current database. Continue?", abort=True)
    try:
        v = wf().restore(source)
    except WorkflowError as e:
        _fail(e.message)
    click.echo(f"restored; record {'intact' if v.ok else 'BROKEN'}: {v.events} events")
    sys.exit(0 if v.ok else 1)


COMMANDS = (init_db, bootstrap, create_user, definitions, audit, scenarios, seed_demo, backup, restore)


def register(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
