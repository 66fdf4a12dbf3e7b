"""What a batch reads and what errors echo (issue 14): only regular files inside the input folder are read; a link
out of it is rejected and counted; an unsupported upload's error names its size and kind, never its bytes."""

import asyncio
import json
import os
from pathlib import Path

import httpx
import pytest

from tests.auth import api_headers
from tests.flows.conftest import write_document
from tests.service_processes import ServiceProcess

SECRET = b"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    outside = tmp_path / "etc" / "passwd"
    outside.parent.mkdir()
    outside.write_bytes(SECRET)
    return outside


def test_only_regular_files_inside_the_input_folder_are_found(tmp_path: Path, secret_file: Path) -> None:
    from iris_flows.outputs import find_documents

    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    (inbox / "sub" / "scan.png").write_bytes(b"a scan")
    (inbox / "passwd.jpg").symlink_to(secret_file)  # out of the folder
    (inbox / "again.png").symlink_to(inbox / "sub" / "scan.png")  # inside it: read
    (inbox / "gone.png").symlink_to(tmp_path / "nowhere.png")  # dangling
    os.mkfifo(inbox / "pipe.png")  # reading it would block the batch for ever
    (inbox / "linked").symlink_to(secret_file.parent, target_is_directory=True)

    found = find_documents(inbox, "**/*")
    assert [p.name for p in found.documents] == ["again.png", "scan.png"]
    reasons = {p.name: reason for p, reason in found.rejected}
    assert set(reasons) == {"passwd.jpg", "gone.png", "pipe.png"}
    assert "outside the input folder" in reasons["passwd.jpg"] and "regular" in reasons["pipe.png"]
    followed = find_documents(inbox, "**/*", follow_symlinks=True)
    assert {p.name for p in followed.documents} == {"again.png", "scan.png", "passwd.jpg"}


@pytest.mark.slow
def test_a_batch_counts_a_link_out_of_its_folder_as_rejected_and_never_reads_it(
    fresh_client: None, services: dict[str, ServiceProcess], tmp_path: Path, secret_file: Path
) -> None:
    from iris_flows.folder_flow import process_folder

    inbox, outbox = tmp_path / "inbox", tmp_path / "outbox"
    write_document(inbox, "receipt.png", "receipt", seed=41)
    (inbox / "passwd.jpg").symlink_to(secret_file)
    summary = asyncio.run(process_folder(input_dir=str(inbox), output_dir=str(outbox)))
    assert summary["ledger"] == {"found": 2, "succeeded": 1, "failed": 0, "skipped": 0, "rejected": 1, "balanced": True}
    assert [r["file"] for r in summary["rejected"]] == [str(inbox / "passwd.jpg")]
    assert not (outbox / "_quarantine").exists()
    rows = {Path(r["file"]).name: r for r in map(json.loads, Path(summary["manifest"]).read_text().splitlines())}
    assert rows["passwd.jpg"]["outcome"] == "rejected" and rows["passwd.jpg"]["code"] == "VAL001"
    written = "".join(p.read_text(errors="replace") for p in outbox.rglob("*") if p.is_file() and p.suffix != ".npy")
    assert "root:x" not in written and SECRET[:8].hex() not in written


@pytest.mark.slow
def test_an_unsupported_upload_is_described_not_echoed(services: dict[str, ServiceProcess]) -> None:
    response = httpx.post(f"{services['image-processor'].url}/process", files={"file": ("passwd.jpg", SECRET)},
                          headers=api_headers(), timeout=30)
    assert response.status_code == 415
    body = response.json()
    assert body["error"]["code"] == "VAL001"
    assert body["error"]["details"] == {"size_bytes": len(SECRET), "looks_like": "text"}
    assert "root" not in response.text and SECRET[:4].hex() not in response.text
