"""One run at a time per document: a claim file per content hash under `<out>/_batch/claims/`.

Any number of workers may take a batch's runs. Before a document's phases start, its run creates
`<sha256>.json` exclusively (O_EXCL), naming itself (flow run id, host, pid); a second attempt at the same content
finds either the first one's result (skipped) or its claim. A claim is stale when its owner can no longer finish:
on this host its process is gone, or Prefect says its flow run is in a terminal state (Crashed, Failed, Cancelled,
Completed) or does not know it. A stale claim is taken over by renaming it away (only one taker can win the rename)
and claiming again. Claims are removed once the document's result or quarantine record is written.
"""

import json
import os
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import get_client
from prefect.exceptions import ObjectNotFound

from iris_flows.batch_summary import SUMMARY_DIR

CLAIMS_DIR = "claims"


@dataclass(frozen=True)
class Claim:
    path: Path
    owner: dict[str, Any]

    def release(self) -> None:
        """Remove the claim if it is still ours (a taker may have renamed a claim it judged stale)."""
        if read_claim(self.path).get("token") == self.owner["token"]:
            self.path.unlink(missing_ok=True)


def claim_path(output_dir: Path, sha: str) -> Path:
    return output_dir / SUMMARY_DIR / CLAIMS_DIR / f"{sha}.json"


def read_claim(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


async def claim(output_dir: Path, sha: str, flow_run_id: str, document: str) -> Claim | dict[str, Any]:
    """Our `Claim`, or the live owner's claim record when another run holds this document."""
    path = claim_path(output_dir, sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    owner = {"flow_run_id": flow_run_id, "host": socket.gethostname(), "pid": os.getpid(), "document": document,
             "claimed_at": time.time(), "token": uuid.uuid4().hex}
    for _ in range(3):  # lose a race for a stale claim at most twice, then report the winner
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            held = read_claim(path)
            if held.get("flow_run_id") != flow_run_id and not await is_stale(held):
                return held
            try:  # ours from an earlier attempt of this run, or stale: take it over
                os.rename(path, path.with_name(f"{path.name}.stale-{owner['token']}"))
            except FileNotFoundError:
                pass  # another taker renamed it first; try again
            else:
                path.with_name(f"{path.name}.stale-{owner['token']}").unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(owner, handle)
        return Claim(path, owner)
    return read_claim(path)


async def is_stale(held: dict[str, Any]) -> bool:
    """Can the claim's owner no longer finish? An unreadable claim (half-written by a dead process) is stale."""
    if not held.get("flow_run_id"):
        return True
    if held.get("host") == socket.gethostname() and not _process_alive(int(held.get("pid", 0))):
        return True
    try:
        async with get_client() as client:
            run = await client.read_flow_run(uuid.UUID(held["flow_run_id"]))
    except (ObjectNotFound, ValueError):
        return True
    return run.state is None or run.state.is_final()


def _process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
