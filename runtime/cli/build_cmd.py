"""``runtime build``: build a plugin into a WebAssembly component and compile it.

The first build of a plugin takes seconds (componentize-py, then wasmtime's
compiler); later builds of unchanged inputs come from the cache in milliseconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..errors import PluginRuntimeError

__all__ = ["build"]


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB"


@click.command("build")
@click.argument("plugin_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Cache root (default: $GPS_CACHE_DIR, else "
                   "$XDG_CACHE_HOME/gateway-plugin-sandbox/wasm).")
def build(plugin_dir: Path, as_json: bool, cache_dir: Path | None) -> None:
    """Build PLUGIN_DIR into a wasm component (cached) and compile it for this host."""
    from ..build import build_plugin
    from .main import EXIT_ERROR, _emit, _fail  # lazy: main imports this module

    try:
        if as_json:
            result = build_plugin(plugin_dir, cache_dir=cache_dir)
        else:
            from rich.console import Console
            err = Console(stderr=True)
            with err.status(f"building {plugin_dir}", spinner="dots") as status:
                def progress(stage: str) -> None:
                    status.update(f"{plugin_dir}: {stage}")
                result = build_plugin(plugin_dir, cache_dir=cache_dir, progress=progress)
    except PluginRuntimeError as exc:
        _fail(exc, EXIT_ERROR)
    doc: dict[str, Any] = result.to_json()
    if as_json:
        _emit(doc)
        return
    from rich.console import Console
    from rich.table import Table
    table = Table(title=f"{result.plugin_id} {result.plugin_version}", show_header=False)
    table.add_column("what", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_row("component", str(result.wasm_path))
    table.add_row("compiled", str(result.cwasm_path))
    table.add_row("key", result.key)
    table.add_row("size", f"{_size(result.wasm_size)} (compiled {_size(result.cwasm_size)})")
    if result.cached and not result.compiled:
        origin = "cache"
    elif result.cached:
        origin = "cache (compiled now for this engine)"
    else:
        origin = "built now"
    table.add_row("from", origin)
    table.add_row("seconds", f"{result.seconds:.2f}")
    Console().print(table)
