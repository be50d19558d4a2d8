"""Command-line interface (Typer + Rich): a thin adapter over the science packages."""

__all__: list[str] = []
