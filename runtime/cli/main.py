"""The ``runtime`` command line.

``runtime call`` is the JSON-in/JSON-out contract tools and tests drive (README, "The
CLI contract"): exactly one JSON document per line on stdout, logs on stderr, exit 0
when the plugin answered, 1 for a structured error, 2 for a usage error, 3 when
``--apply-fail-policy`` printed the fail policy's answer.
"""

from __future__ import annotations

import json
import logging
import platform
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from host_abi.errors import ErrorCode
from host_abi.hooks import HOOKS, hook_by_name

from ..errors import PluginRuntimeError, UsageError

__all__ = ["main", "cli"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_FAIL_POLICY = 0, 1, 2, 3


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)


def _emit(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def _fail(error: PluginRuntimeError, exit_code: int) -> NoReturn:
    _emit(error.to_json())
    click.echo(f"error: {error}", err=True)
    if error.traceback:
        click.echo(error.traceback.rstrip(), err=True)
    sys.exit(exit_code)


def _usage(message: str, code: ErrorCode = ErrorCode.USAGE_ERROR, hook: str | None = None) -> NoReturn:
    _fail(UsageError(message, code=code, hook=hook), EXIT_USAGE)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gateway-plugin-sandbox", prog_name="runtime")
def cli() -> None:
    """A sandbox runtime for AI-gateway plugins written in Python."""


# -- info ---------------------------------------------------------------------------------
@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def info(as_json: bool) -> None:
    """Versions, tiers available here, and the Python in use."""
    from importlib import metadata

    from host_abi import ABI_VERSION

    from ..api import available_tiers, default_state_dir
    versions: dict[str, str] = {}
    for dist in ("gateway-plugin-sandbox", "grpcio", "protobuf", "wasmtime", "componentize-py"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    doc: dict[str, Any] = {"abi_version": ABI_VERSION, "python": platform.python_version(),
           "implementation": platform.python_implementation(), "platform": platform.platform(),
           "versions": versions, "tiers": available_tiers(), "state_dir": str(default_state_dir())}
    if as_json:
        _emit(doc)
        return
    from rich.console import Console
    from rich.table import Table
    console = Console()
    table = Table(title="runtime info", show_header=False)
    table.add_row("ABI version", str(ABI_VERSION))
    table.add_row("Python", f"{doc['implementation']} {doc['python']}")
    for k, v in versions.items():
        table.add_row(k, v)
    for tier, status in doc["tiers"].items():
        table.add_row(f"tier {tier}", status)
    table.add_row("default state dir", doc["state_dir"])
    console.print(table)


# -- validate -----------------------------------------------------------------------------
@cli.command()
@click.argument("plugin_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--policy", type=click.Path(dir_okay=False, path_type=Path),
              help="Also check the plugin against this operator policy.")
@click.option("--name", help="Identity to check the policy for (default: directory name).")
@click.option("--grant", "grants", multiple=True, metavar="SCOPE",
              help="A scope granted on top of the policy, as for `runtime call`. Repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def validate(plugin_dir: Path, policy: Path | None, name: str | None, grants: tuple[str, ...],
             as_json: bool) -> None:
    """Check a plugin's manifest, entry module and config schema without running its code."""
    from ..manifest import load_manifest
    from ..policy import effective_settings, load_policy
    try:
        manifest = load_manifest(plugin_dir)
        identity = name or plugin_dir.resolve().name.lower()
        eff = effective_settings(manifest, load_policy(policy), identity, tier="inprocess",
                                 extra_grants=frozenset(grants))
    except PluginRuntimeError as exc:
        _fail(exc, EXIT_ERROR)
    doc = {"valid": True, "id": manifest.id, "name": manifest.name, "version": manifest.version,
           "hooks": list(manifest.hook_types), "entry": (" ".join(manifest.command) if manifest.command
                                                      else f"{manifest.entry_module}:{manifest.entry_factory}"),
           "requested_scopes": sorted(manifest.requested_scopes), "effective_scopes": sorted(eff.scopes),
           "unknown_keys": list(manifest.unknown_keys)}
    if as_json:
        _emit(doc)
    else:
        click.echo(f"ok: {manifest.name} {manifest.version} ({manifest.id}), hooks "
                   f"{', '.join(manifest.hook_types)}, entry {doc['entry']}")


# -- call ---------------------------------------------------------------------------------
def _read_input(source: str | None) -> str:
    if source is None:
        return "{}"
    try:
        if source == "-":
            return sys.stdin.read()
        return Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        _usage(f"cannot read --input {source}: {exc.strerror or exc}")


def _parse_config(pairs: tuple[str, ...], config_file: Path | None) -> dict[str, Any]:
    from ..config import parse_cli_value
    config: dict[str, Any] = {}
    if config_file is not None:
        try:
            loaded = json.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            _usage(f"cannot read --config-file {config_file}: {exc}")
        if not isinstance(loaded, dict):
            _usage(f"--config-file {config_file} must hold a JSON object")
        config.update(loaded)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            _usage(f"--config takes KEY=VALUE, got {pair!r}")
        config[key] = parse_cli_value(value)
    return config


@cli.command()
@click.argument("plugin_dir", type=click.Path(path_type=Path))
@click.option("--hook", "hook_name", required=True, help="Hook name, e.g. process_post_auth.")
@click.option("--tier", type=click.Choice(["wasm", "subinterpreter", "inprocess", "process"]),
              help="Isolation tier (default: the policy's, else wasm).")
@click.option("--runtime", "runtime_kind", type=click.Choice(["gateway", "studio"]),
              help="Which host's services the plugin sees (default: detected from the environment).")
@click.option("--input", "input_source", metavar="FILE|-",
              help="proto3 JSON of the hook's request message (default: an empty message).")
@click.option("--config", "config_pairs", multiple=True, metavar="K=V",
              help="A config value (parsed as JSON when it is JSON). Repeatable.")
@click.option("--config-file", type=click.Path(dir_okay=False, path_type=Path),
              help="A JSON object of config values.")
@click.option("--fixtures", type=click.Path(dir_okay=False, path_type=Path),
              help="Look-up data for the embedded services (apps, LLMs, ...).")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the KV lives (default: the per-user state directory).")
@click.option("--ephemeral", is_flag=True, help="Keep KV in memory for this run only.")
@click.option("--kv-url", metavar="URL",
              help="A shared KV: redis://host:6379/0 or postgresql://user@host/db (default: "
                   "the policy's services.kv_url, else SQLite under --state-dir).")
@click.option("--policy", type=click.Path(dir_okay=False, path_type=Path), help="The operator's policy file.")
@click.option("--grant", "grants", multiple=True, metavar="SCOPE",
              help="Grant a scope on top of the policy. Repeatable.")
@click.option("--name", help="The plugin's identity (default: the directory's name).")
@click.option("--timeout-ms", type=click.IntRange(min=0), help="Deadline of the call (0: none).")
@click.option("--apply-fail-policy", is_flag=True,
              help="On failure print the hook's fail-policy answer and exit 3.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging on stderr.")
def call(plugin_dir: Path, hook_name: str, tier: str | None, runtime_kind: str | None,
         input_source: str | None, config_pairs: tuple[str, ...], config_file: Path | None,
         fixtures: Path | None, state_dir: Path | None, ephemeral: bool, kv_url: str | None,
         policy: Path | None, grants: tuple[str, ...], name: str | None, timeout_ms: int | None,
         apply_fail_policy: bool, verbose: bool) -> None:
    """Run one hook of the plugin in PLUGIN_DIR and print its answer as proto3 JSON."""
    _setup_logging(verbose)
    from host_abi.ops import GATEWAY_SCOPES, SANDBOX_SCOPES, STUDIO_SCOPES

    from ..api import Runtime, RuntimeConfig
    from ..messages import envelope_to_proto_json, message_class, parse_proto_json, to_envelope

    spec = hook_by_name(hook_name)
    if spec is None:
        _usage(f"unknown hook {hook_name!r}; known hooks: {', '.join(h.name for h in HOOKS)}",
               ErrorCode.UNKNOWN_HOOK, hook_name)
    if sum((state_dir is not None, ephemeral, kv_url is not None)) > 1:
        _usage("--state-dir, --ephemeral and --kv-url exclude each other")
    unknown_scopes = set(grants) - (STUDIO_SCOPES | GATEWAY_SCOPES | SANDBOX_SCOPES)
    if unknown_scopes:
        _usage(f"unknown scope(s) in --grant: {sorted(unknown_scopes)}")
    text = _read_input(input_source)
    config = _parse_config(config_pairs, config_file)
    rt: Runtime | None = None
    try:
        req_cls = message_class(spec.request)
        if req_cls is not None:
            try:
                request: dict[str, Any] = to_envelope(parse_proto_json(text, req_cls))
            except PluginRuntimeError as exc:
                raise UsageError(exc.message, code=ErrorCode.INPUT_INVALID) from None
        else:
            try:
                request = json.loads(text)
            except ValueError as exc:
                raise UsageError(f"input is not JSON: {exc}", code=ErrorCode.INPUT_INVALID) from None
            if not isinstance(request, dict):
                raise UsageError("input must be a JSON object", code=ErrorCode.INPUT_INVALID)
        rt = Runtime(RuntimeConfig(policy=policy, tier=tier, runtime=runtime_kind,
                                   state_dir=state_dir, ephemeral=ephemeral, fixtures=fixtures,
                                   extra_grants=frozenset(grants), kv_url=kv_url))
        host = rt.load(plugin_dir, name=name, config=config)
        if spec.streaming:
            try:
                for chunk in host.stream(spec, request, timeout_ms=timeout_ms):
                    _emit(envelope_to_proto_json(spec, chunk))
            except PluginRuntimeError as exc:
                fallback = host.fail_answer(spec, exc) if apply_fail_policy else None
                if fallback is None:
                    raise
                _emit(envelope_to_proto_json(spec, fallback))
                click.echo(f"error: {exc} (answered by the fail policy)", err=True)
                sys.exit(EXIT_FAIL_POLICY)
            return
        if apply_fail_policy:
            answer, error = host.call_or_fail_answer(spec, request, timeout_ms=timeout_ms)
        else:
            answer, error = host.call(spec, request, timeout_ms=timeout_ms), None
        _emit(envelope_to_proto_json(spec, answer))
        if error is not None:
            click.echo(f"error: {error} (answered by the {host.settings.fail_policy_for(spec).value} "
                       "fail policy)", err=True)
            sys.exit(EXIT_FAIL_POLICY)
    except UsageError as exc:
        exc.plugin = exc.plugin or name or plugin_dir.resolve().name.lower()
        exc.hook = exc.hook or spec.name
        _fail(exc, EXIT_USAGE if exc.code in ("USAGE_ERROR", "INPUT_INVALID") else EXIT_ERROR)
    except PluginRuntimeError as exc:
        if exc.plugin is None:
            exc.plugin = name or plugin_dir.resolve().name.lower()
        if exc.hook is None:
            exc.hook = spec.name
        _fail(exc, EXIT_ERROR)
    except ValueError as exc:  # fixtures and other operator files
        _fail(UsageError(str(exc)), EXIT_USAGE)
    finally:
        if rt is not None:
            rt.close()


# -- new ----------------------------------------------------------------------------------
@cli.command()
@click.argument("name")
@click.option("--capability", "capabilities", multiple=True,
              help="A capability to implement (e.g. PostAuthHandler). Repeatable.")
@click.option("--dir", "parent", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Where to create the plugin directory.")
def new(name: str, capabilities: tuple[str, ...], parent: Path) -> None:
    """Create a plugin directory NAME that passes ``runtime validate``."""
    from .scaffold import scaffold
    try:
        path = scaffold(name, capabilities or ("PostAuthHandler",), parent)
    except ValueError as exc:
        _usage(str(exc))
    click.echo(f"created {path} (validate it: runtime validate {path})")


# -- bench --------------------------------------------------------------------------------
@cli.command()
@click.argument("what", required=False, type=click.Choice(["gateway", "soak"]))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON document.")
@click.option("--quick", is_flag=True, help="Fewer iterations: finishes in under 30 s.")
@click.option("--only", multiple=True, help="Run only rows whose id starts with this. Repeatable.")
@click.option("--calls", type=click.IntRange(min=60), default=1_000_000, show_default=True,
              help="soak: hook calls to make through the chain.")
@click.option("--tier", "soak_tier", type=click.Choice(["wasm", "inprocess"]), default="wasm",
              show_default=True, help="soak: the tier the chain runs on.")
def bench(what: str | None, as_json: bool, quick: bool, only: tuple[str, ...], calls: int,
          soak_tier: str) -> None:
    """Measure the tiers side by side (the one place figures come from).

    ``runtime bench gateway``: load figures through examples/gateway (no plugins against a
    chain of five wasm plugins) and the chain alone on both cores (runtime/cli/bench_gateway.py).

    ``runtime bench soak --calls N``: N hook calls through a chain of five example plugins;
    RSS, fd and thread growth after warm-up and the p99 drift (runtime/cli/bench_soak.py).
    Exits 1 when a goal is missed.
    """
    if what == "soak":
        from .bench_soak import run_soak
        sys.exit(run_soak(calls, tier=soak_tier, as_json=as_json))
    from .bench import run_bench
    run_bench(as_json=as_json, quick=quick, only=only or (("gateway/", "chain5/") if what else ()))


@cli.command()
@click.option("--tier", type=click.Choice(["wasm", "subinterpreter", "inprocess", "process"]),
              help="Tier to run the examples on (default: the best available here).")
@click.option("--no-bench", is_flag=True, help="Skip the closing `runtime bench --quick`.")
def demo(tier: str | None, no_bench: bool) -> None:
    """Run the example plugins as a gateway chain and show what each one did."""
    from .demo import run_demo
    try:
        sys.exit(run_demo(tier, bench=not no_bench))
    except PluginRuntimeError as exc:
        _fail(exc, EXIT_ERROR)


# -- serve --------------------------------------------------------------------------------
@cli.command()
@click.argument("plugin_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", help="The plugin's identity (default: the directory's name).")
@click.option("--policy", type=click.Path(dir_okay=False, path_type=Path),
              help="The operator's policy file (it alone may pick a tier other than wasm).")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the embedded KV lives when no host serves KV.")
@click.option("--ephemeral", is_flag=True, help="Keep the embedded KV in memory.")
@click.option("--fixtures", type=click.Path(dir_okay=False, path_type=Path),
              help="Look-up data for the embedded services (when no host serves them).")
@click.option("--network", type=click.Choice(["unix", "tcp"]), default="unix", show_default=True,
              help="Listen on a Unix socket, or on 127.0.0.1 within PLUGIN_MIN_PORT..PLUGIN_MAX_PORT.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging on stderr.")
def serve(plugin_dir: Path, name: str | None, policy: Path | None, state_dir: Path | None,
          ephemeral: bool, fixtures: Path | None, network: str, verbose: bool) -> None:
    """Serve the plugin in PLUGIN_DIR as a go-plugin plugin process (AI Studio, Microgateway).

    The host launches it with AI_STUDIO_PLUGIN=v1 in the environment; run by hand it
    explains that and exits 1.
    """
    from ..bridge.serve import ServeOptions
    from ..bridge.serve import serve as run_serve
    sys.exit(run_serve(ServeOptions(plugin_dir, name, policy, state_dir, ephemeral, fixtures,
                                    network, verbose)))


@cli.command("package")
@click.argument("plugin_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The executable to write (point the host's plugin command at it).")
@click.option("--name", help="The plugin's identity (default: the directory's name).")
@click.option("--policy", type=click.Path(dir_okay=False, path_type=Path),
              help="An operator's policy to package with the plugin.")
@click.option("--no-build", is_flag=True, help="Do not build the WebAssembly component now.")
def package(plugin_dir: Path, output: Path, name: str | None, policy: Path | None, no_build: bool) -> None:
    """Write one executable FILE that runs `runtime serve` on the plugin in PLUGIN_DIR."""
    from ..bridge.package import package_plugin
    try:
        result = package_plugin(plugin_dir, output, name=name, policy=policy, build=not no_build)
    except PluginRuntimeError as exc:
        _fail(exc, EXIT_ERROR)
    except (OSError, ValueError) as exc:
        _usage(f"cannot package {plugin_dir}: {exc}")
    click.echo(f"wrote {result['output']} ({result['plugin']}; unpacks to {result['unpacked']}"
               f"{', component built' if result['built'] else ''})")


from .build_cmd import build  # noqa: E402

cli.add_command(build)


def main() -> None:
    """Console-script entry point."""
    cli(standalone_mode=True)


if __name__ == "__main__":
    main()
