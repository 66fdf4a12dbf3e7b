"""`iris process`, `iris batch`, `iris runs`, `iris logs`: the pipeline from the terminal."""

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path
from uuid import UUID

from iris_cli.health import probe_all_sync, unreachable_services
from iris_cli.prefect_env import use_local_prefect_if_running
from iris_cli.table import render_table


def services_reachable() -> bool:
    """Whether every service answers here; if one does not, say which and how to start it. Run before a batch or a
    document runs here (not fanned out: the workers reach the services from their own machines)."""
    missing = unreachable_services(probe_all_sync("/health"))
    for probe in missing:
        print(f"{probe.name} is not reachable at {probe.url} ({probe.error})", file=sys.stderr)
    if missing:
        print("start the services with `iris up` (or point IMAGE_PROCESSOR_URL, ... at them); "
              "--no-service-check starts anyway and lets each document wait for them", file=sys.stderr)
    return not missing


def cmd_process(args: argparse.Namespace) -> int:
    if args.service_check and not services_reachable():
        return 1
    use_local_prefect_if_running()
    from iris_flows.document_flow import process_document
    from iris_flows.results import for_output

    failures = 0
    for path in args.files:
        state = asyncio.run(process_document(path=str(Path(path).resolve()), confidence_threshold=args.confidence_threshold,
                                             document_type=args.document_type, full=args.full, return_state=True))
        if state.is_completed():
            print(json.dumps(for_output(state.result(), full=args.full), indent=2, ensure_ascii=False))
        else:
            failures += 1
            print(json.dumps({"file": path, "state": state.name, "error": state.message}, indent=2), file=sys.stderr)
    return 1 if failures else 0


def cmd_batch(args: argparse.Namespace) -> int:
    from iris_flows.settings import LOCAL, BatchSettings

    if args.service_check and (args.dispatch or BatchSettings().dispatch) == LOCAL and not services_reachable():
        return 1
    use_local_prefect_if_running()
    from iris_flows.folder_flow import add_progress_listener, process_folder

    def show(done: int, total: int, file: str, outcome: str) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {outcome:<9} {Path(file).name[:40]:<40}")
        sys.stderr.flush()
        if done == total:
            sys.stderr.write("\n")

    add_progress_listener(show)
    state = asyncio.run(process_folder(input_dir=str(Path(args.input_dir).resolve()), output_dir=str(Path(args.out).resolve()),
                                       pattern=args.glob, concurrency=args.concurrency, full_results=args.full,
                                       dispatch=args.dispatch, documents_per_run=args.documents_per_run, return_state=True))
    if not state.is_completed():
        print(f"batch failed: {state.message}", file=sys.stderr)
        return 1
    summary = state.result()
    print(render_table(list(summary["ledger"]), [list(summary["ledger"].values())]))
    if summary.get("clusters"):
        print(f"\nclusters (k={summary['clusters']['k']}, quality={summary['clusters']['quality']}):")
        print(render_table(["cluster", "size", "majority type", "examples"],
                           [[c["cluster"], c["size"], c["majority_type"], c["examples"]] for c in summary["clusters"]["clusters"]]))
    for failure in summary["failures"]:
        print(f"FAILED {failure['file']}: {failure.get('message')}", file=sys.stderr)
    for rejected in summary.get("rejected", []):
        print(f"REJECTED {rejected['file']}: {rejected['reason']}", file=sys.stderr)
    print(f"\nresults: {summary['output_dir']}   quarantine: {summary['quarantine_dir']}")
    print(f"summary: {summary['fields_csv']} (one row per document)   manifest: {summary['manifest']}")
    return 0 if not (summary["failures"] or summary.get("rejected")) else 2


def cmd_runs(args: argparse.Namespace) -> int:
    use_local_prefect_if_running()
    from iris_cli.runs import recent_runs

    rows = asyncio.run(recent_runs(args.limit))
    print(render_table(["id", "name", "state", "started", "duration s", "failed phase"],
                       [[r["id"], r["name"], r["state"], r["started"], r["duration_s"], r["failed_phase"]] for r in rows]))
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    use_local_prefect_if_running()
    from iris_cli.runs import failed_phase_logs

    phases = asyncio.run(failed_phase_logs(UUID(args.run_id)))
    if not phases:
        print(f"run {args.run_id} has no failed phase")
        return 0
    for phase in phases:
        print(f"== {phase.phase} ({phase.state_name}) in run {phase.flow_run_name} [{phase.flow_run_id}]")
        print(f"   {phase.message}")
        for log in phase.logs:
            print(f"   {log['time']} {logging.getLevelName(log['level']):<7} {log['message']}")
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    if use_local_prefect_if_running() is None:
        print("no Prefect server: set PREFECT_API_URL or start one with `iris up --prefect`", file=sys.stderr)
        return 1
    from iris_cli.deploy import deploy

    code = deploy(args.pool, docker_pool=args.docker_pool, document_runs=args.document_runs)
    if code == 0:
        print(f"deployed; start a worker with: prefect worker start --pool {args.pool}")
    return code


def cmd_samples(args: argparse.Namespace) -> int:
    from iris_cli.samples import write_samples

    for path in write_samples(Path(args.out)):
        print(path)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("process", help="run the pipeline on files and print their JSON")
    p.add_argument("files", nargs="+")
    p.add_argument("--document-type", default=None, help="skip the classifier's choice for extraction")
    p.add_argument("--confidence-threshold", type=float, default=0.5)
    p.add_argument("--full", action="store_true", help="also print the page's embedding and the OCR lines of every page")
    p.add_argument("--no-service-check", dest="service_check", action="store_false",
                   help="start even if a service does not answer (each document then waits for it, up to IRIS_OUTAGE_BUDGET_SECONDS)")
    p.set_defaults(func=cmd_process)

    b = sub.add_parser("batch", help="process a folder (skips finished documents), write one JSON per document")
    b.add_argument("input_dir")
    b.add_argument("--out", required=True, help="output folder (errors go to <out>/_quarantine)")
    b.add_argument("--glob", default="**/*", help="which files, relative to the input folder")
    b.add_argument("--concurrency", type=int, default=None,
                   help="documents in flight (default IRIS_CONCURRENCY: two per core)")
    b.add_argument("--full", action="store_true",
                   help="each result JSON also holds the page's embedding and the OCR lines of every page")
    b.add_argument("--dispatch", default=None,
                   help="local (default IRIS_DISPATCH): run here; <flow>/<deployment>, e.g. process-documents/process-documents: "
                        "fan the documents out to that deployment's work pool (needs `iris deploy` and a worker)")
    b.add_argument("--documents-per-run", type=int, default=None,
                   help="documents per fanned-out flow run (default IRIS_DOCUMENTS_PER_RUN: 8)")
    b.add_argument("--no-service-check", dest="service_check", action="store_false",
                   help="start even if a service does not answer (each document then waits for it, up to IRIS_OUTAGE_BUDGET_SECONDS)")
    b.set_defaults(func=cmd_batch)

    s = sub.add_parser("samples", help="write generated sample documents (with ground truth) to a folder")
    s.add_argument("out")
    s.set_defaults(func=cmd_samples)

    r = sub.add_parser("runs", help="recent pipeline runs: state, duration, failed phase")
    r.add_argument("--limit", type=int, default=20)
    r.set_defaults(func=cmd_runs)

    d = sub.add_parser("deploy", help="create the work pool and the deployments of prefect.yaml")
    d.add_argument("--pool", default="iris-process", help="process work pool name")
    d.add_argument("--docker-pool", default=None, help="also deploy the Docker variants to this Docker work pool")
    d.add_argument("--document-runs", type=int, default=2,
                   help="flow runs a fanned-out batch keeps in flight across all workers (the global concurrency limit; default 2)")
    d.set_defaults(func=cmd_deploy)

    lg = sub.add_parser("logs", help="logs of the failed phase(s) of a run, from the Prefect API")
    lg.add_argument("run_id")
    lg.set_defaults(func=cmd_logs)
