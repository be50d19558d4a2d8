"""Reports and plots (matplotlib, HTML/PDF): adapters over the science packages."""

__all__: list[str] = []
