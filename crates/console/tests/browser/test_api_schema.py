"""The JSON API against its own OpenAPI document, by schemathesis: at least 500 generated
requests (valid and invalid ones), no 5xx, every response as the document describes it.
"""

import json
import subprocess
import sys
from pathlib import Path

from conftest import RELEASE_WITHIN, VIEWER_TOKEN, wait_until

MIN_REQUESTS = 500


def test_the_api_answers_as_its_document_says(service, tmp_path):
    # Something to list, in more than one state.
    first = service.publish("41.10")
    service.publish("41.11")
    wait_until(lambda: service.api(f"/api/v1/releases/{first}")["release"]["state"] == "done",
               RELEASE_WITHIN, f"{first} done\n{service.serve_log.text()}")
    har = tmp_path / "requests.har"
    schemathesis = Path(sys.executable).parent / "schemathesis"
    out = subprocess.run(
        [str(schemathesis), "run", f"{service.url}/api/v1/openapi.json",
         "--checks", "all", "--max-examples", "150", "--seed", "20261204", "--workers", "1",
         "--header", f"Authorization: Bearer {VIEWER_TOKEN}",
         "--report", "har", "--report-har-path", str(har)],
        capture_output=True, text=True, timeout=900, cwd=tmp_path)  # its cache stays out of the tree
    assert out.returncode == 0, out.stdout[-8000:] + out.stderr[-2000:]
    entries = json.loads(har.read_text())["log"]["entries"]
    statuses = [e["response"]["status"] for e in entries]
    print(f"schemathesis: {len(entries)} requests, statuses {sorted(set(statuses))}")
    assert len(entries) >= MIN_REQUESTS, out.stdout[-4000:]
    assert not [s for s in statuses if s >= 500]
