"""`feedback-widget init|migrate|serve|retention`: config errors exit with code 2 and one line
per fault."""

from __future__ import annotations

import argparse
import asyncio
import logging.config
import sys
from pathlib import Path

from app import __version__
from app.config import Settings, load_settings
from app.config.loader import DEFAULT_CONFIG_PATH, find_config
from app.errors import ConfigError
from app.resources import starter_config
from app.web.log_format import logging_config


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="feedback-widget")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="write a commented starter config")
    init.add_argument(
        "path", nargs="?", default=DEFAULT_CONFIG_PATH, help=f"(default: {DEFAULT_CONFIG_PATH})"
    )
    retention = commands.add_parser("retention", help="data retention")
    retention.add_argument("action", choices=["run"], help="run: one cleanup pass now")
    retention.add_argument("--config", help="config file")
    for name, help_text in (("serve", "run the web server"), ("migrate", "apply migrations")):
        command = commands.add_parser(name, help=help_text)
        command.add_argument(
            "--config", help="config file (default: $FEEDBACK_WIDGET_CONFIG or shared_config.yaml)"
        )
        if name == "serve":
            command.add_argument("--host", default="127.0.0.1")
            command.add_argument("--port", type=int, default=8000)
            command.add_argument("--log-level", default="info")
            command.add_argument(
                "--workers", type=int, default=1, help="processes serving one port (default 1)"
            )
    return parser


def _load(path: str | None) -> Settings:
    try:
        return load_settings(path)
    except ConfigError as exc:
        for line in str(exc).splitlines():
            print(f"feedback-widget: config error: {line}", file=sys.stderr)
        raise SystemExit(2) from None


async def _migrate(settings: Settings) -> str:
    from app.db import migrate
    from app.db.engine import MEMORY_URL, database_url_for, opened_database, shown_url

    url = database_url_for(settings.session_service)
    if url == MEMORY_URL:
        return "the memory session service keeps nothing; there is nothing to migrate"
    async with opened_database(url) as db:
        await migrate.upgrade(db)
    return f"database at {shown_url(url)} is up to date"


async def _unmigrated(settings: Settings) -> str | None:
    from app.db import migrate
    from app.db.engine import MEMORY_URL, database_url_for, opened_database

    url = database_url_for(settings.session_service)
    if url == MEMORY_URL:
        return None
    try:
        async with opened_database(url) as db:
            head = await migrate.pending_revision(db)
    except Exception as exc:
        return f"cannot open the database: {exc}".splitlines()[0]
    if head is None:
        return None
    return f"the database is not at schema revision {head}; run `feedback-widget migrate`"


async def _retention(settings: Settings) -> str:
    from app.bus import EventBus
    from app.db.engine import database_url_for, opened_database
    from app.db.writer import Writer
    from app.retention import run_retention

    retention = settings.config.data_retention
    if not retention.enabled:
        return "data retention is disabled (data_retention.enabled: false); nothing deleted"
    async with opened_database(database_url_for(settings.session_service)) as db:
        return str(await run_retention(Writer(db, EventBus()), retention))


def _init(path: Path) -> str:
    """Write the starter config to `path`, never over an existing file."""
    try:
        with path.open("x", encoding="utf-8") as file:
            file.write(starter_config())
    except FileExistsError:
        print(f"feedback-widget: {path} already exists; not overwriting it", file=sys.stderr)
        raise SystemExit(1) from None
    except OSError as exc:
        print(f"feedback-widget: cannot write {path}: {exc.strerror}", file=sys.stderr)
        raise SystemExit(1) from None
    return (
        f"wrote {path}; next: feedback-widget migrate --config {path}, "
        f"then feedback-widget serve --config {path}"
    )


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "init":
        print(_init(Path(args.path)))
        return
    settings = _load(args.config)
    if args.command == "migrate":
        print(asyncio.run(_migrate(settings)))
        return
    if args.command == "retention":
        problem = asyncio.run(_unmigrated(settings))
        if problem:
            print(f"feedback-widget: {problem}", file=sys.stderr)
            raise SystemExit(2)
        print(asyncio.run(_retention(settings)))
        return
    from app.server import check_workers, serve

    try:
        check_workers(settings, args.workers)
    except ConfigError as exc:
        print(f"feedback-widget: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    problem = asyncio.run(_unmigrated(settings))
    if problem:
        print(f"feedback-widget: {problem}", file=sys.stderr)
        raise SystemExit(2)
    logging.config.dictConfig(logging_config(settings.config.logging.format, args.log_level))
    serve(
        str(find_config(args.config)),
        settings,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        workers=args.workers,
    )


if __name__ == "__main__":
    main()
