"""Entry point of the `iris` command."""

import argparse
import json
import os
import sys
from collections.abc import Callable

from iris_cli import classifier_commands, eval_command, local_stack, pipeline_commands
from iris_cli.health import breaker_now, probe_all_sync
from iris_cli.prefect_env import LOCAL_PREFECT_API, local_prefect_env
from iris_cli.setup_models import prepare_all
from iris_cli.table import render_table
from iris_common.client.iris_client import read_breaker_states, replica_breaker_state
from iris_common.settings import ClientSettings, ServiceSettings, ensure_token_files
from iris_common.threads import available_cores

UP_TIMEOUT_SECONDS = 240.0


def cmd_setup(args: argparse.Namespace) -> int:
    settings = ServiceSettings()
    try:
        tokens = ensure_token_files(settings.secrets_dir)
        print(f"bearer tokens in {settings.secrets_dir} (0600): "
              + ", ".join(f"{name} {state}" for name, state in tokens.items())
              + " (IRIS_API_TOKEN / IRIS_ADMIN_TOKEN override them)")
    except OSError as exc:  # e.g. a models-only container whose IRIS_HOME is read-only: its services get env vars
        print(f"could not write the bearer tokens to {settings.secrets_dir} ({exc.strerror}): "
              "the services need IRIS_API_TOKEN and IRIS_ADMIN_TOKEN from their environment", file=sys.stderr)
    print(f"preparing models in {settings.models_dir} (offline) ...", flush=True)
    results = prepare_all(settings.models_dir, force=args.force)
    for step, result in results.items():
        what = result.get("status") or ", ".join(result.get("models", {}))
        where = result.get("path") or result.get("version") or settings.models_dir / step
        print(f"  {step:<11} {result.get('seconds', 0):>6}s  {what}: {where}")
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    settings = ServiceSettings()
    if problem := settings.auth_problem():  # the services read the same IRIS_HOME: say it once, start none
        print(f"not starting the services: {problem}", file=sys.stderr)
        return 1
    services = local_stack.local_services(settings.iris_home)
    if args.prefect:
        services.append(local_stack.prefect_server(settings.iris_home))
    for svc in services:
        pid = local_stack.start(svc, env=local_prefect_env() if svc.name == "prefect-server" else None)
        print(f"  {svc.name:<16} pid {pid:<8} {svc.url}  log: {svc.log_file}")
    in_flight = ClientSettings().concurrency
    print(f"thread budget: {available_cores()} cores; each service computes {settings.compute_slots} call(s) at once "
          f"on {settings.cpu_threads} thread(s) (IRIS_CPU_THREADS); a batch keeps {in_flight} documents in flight "
          "(IRIS_CONCURRENCY)")
    print(f"waiting up to {args.timeout:.0f}s for the services to load their models ...", flush=True)
    status = local_stack.wait_until_up(services, args.timeout)
    print(render_table(["service", "status"], [[s.name, status.get(s.name, "starting")] for s in services]))
    print(f"logs: {settings.iris_home / 'logs'}   stop with: iris down")
    if args.prefect:
        print(f"Prefect UI: {local_stack.prefect_server(settings.iris_home).url}")
        if status.get("prefect-server") == "healthy":
            from iris_cli.deploy import ensure_zombie_automation

            if ensure_zombie_automation({**os.environ, "PREFECT_API_URL": LOCAL_PREFECT_API}):
                print("created the automation that marks runs without heartbeats Crashed (deployments/automations)")
    return 0 if all(status.get(s.name) == "healthy" for s in services) else 1


def cmd_down(args: argparse.Namespace) -> int:
    home = ServiceSettings().iris_home
    for svc in [*local_stack.local_services(home), local_stack.prefect_server(home)]:
        print(f"  {svc.name:<16} {'stopped' if local_stack.stop(svc) else 'was not running'}")
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    settings = ClientSettings()
    probes = probe_all_sync("/health", settings)
    breakers = read_breaker_states(settings.breaker_state_file)  # as last recorded by a pipeline run
    if args.json:
        print(json.dumps([{**(p.body or {"service_name": p.name, "status": p.status, "error": p.error}), "url": p.url,
                           "breaker": breaker_now(replica_breaker_state(breakers, p.name, p.url), p)} for p in probes], indent=2))
    else:
        rows = []
        for p in probes:
            failing = [f"{k}: {c.get('detail', '')}" for k, c in p.body.get("checks", {}).items() if not c.get("ok")]
            metrics = p.body.get("metrics", {})
            rows.append([p.name, p.url, p.status, p.body.get("version", "-"), f"{p.body.get('uptime_seconds', 0):.0f}s",
                         metrics.get("requests_total", "-"), f"{p.seconds * 1000:.0f}ms",
                         breaker_now(replica_breaker_state(breakers, p.name, p.url), p), "; ".join(failing) or p.error or "-"])
        print(render_table(["service", "url", "status", "version", "uptime", "requests", "latency", "breaker", "problems"], rows))
    return 0 if all(p.status == "healthy" for p in probes) else 1


def cmd_models(args: argparse.Namespace) -> int:
    probes = probe_all_sync("/info", ClientSettings())
    if args.json:
        print(json.dumps([p.body or {"service_name": p.name, "error": p.error} for p in probes], indent=2))
        return 0 if all(p.ok for p in probes) else 1
    rows = []
    for p in probes:
        models = p.body.get("models", []) if p.ok else []
        if not models:
            rows.append([p.name, "-", "-", "-", p.error or "no model"])
        for m in models:
            rows.append([p.name, m.get("backend", "-"), m.get("model_id", "-"), m.get("version", "-"), m.get("weights_source", "-")])
    print(render_table(["service", "backend", "model id", "version", "weights from"], rows))
    return 0 if all(p.ok for p in probes) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="iris", description="IRIS: scanned documents to validated JSON")
    sub = parser.add_subparsers(dest="command", required=True)
    commands: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
        "setup": (cmd_setup, "prepare all models offline (idempotent)"),
        "up": (cmd_up, "start the four services on this machine and wait until healthy"),
        "down": (cmd_down, "stop the services started by `iris up`"),
        "health": (cmd_health, "health of every service, checked in parallel"),
        "models": (cmd_models, "what each service loaded: backend, model id, version, weights source"),
    }
    parsers = {}
    for name, (func, help_text) in commands.items():
        parsers[name] = sub.add_parser(name, help=help_text, description=help_text)
        parsers[name].set_defaults(func=func)
    parsers["setup"].add_argument("--force", action="store_true", help="rebuild models even if present")
    parsers["up"].add_argument("--prefect", action="store_true", help="also start a local Prefect server (UI on :4200)")
    parsers["up"].add_argument("--timeout", type=float, default=UP_TIMEOUT_SECONDS, help="seconds to wait for health")
    pipeline_commands.register(sub)
    classifier_commands.register(sub)
    eval_command.register(sub)
    for name in ("health", "models"):
        parsers[name].add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
