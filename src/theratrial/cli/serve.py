"""``theratrial serve``: the trial service (REST API) on uvicorn."""

from __future__ import annotations

import logging

import typer

from theratrial.cli._common import DB_OPTION, exit_with_error, handle_errors

__all__ = ["register", "serve_command"]


def serve_command(
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on (loopback by default)."
    ),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="TCP port."),
    db: str | None = DB_OPTION,
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Dask scheduler for jobs (tcp://HOST:PORT); default in-process."
    ),
) -> None:
    """Start the trial service (REST API under /api/v1) on the store given by --db."""
    with handle_errors():
        if scheduler is not None and not scheduler.startswith(("tcp://", "tls://", "inproc://")):
            exit_with_error(
                f"--scheduler {scheduler!r} is not a scheduler address (fix: tcp://HOST:PORT)"
            )
        import uvicorn

        from theratrial.api.app import create_app
        from theratrial.api.settings import Settings

        app = create_app(db, settings=Settings.from_env(database_url=db, scheduler=scheduler))
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
        )
        uvicorn.run(
            app, host=host, port=port, access_log=False, log_level="info", server_header=False
        )


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the top-level app."""
    app.command("serve")(serve_command)
