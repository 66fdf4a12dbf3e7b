#!/usr/bin/env bash
# IRIS's main job on an embedded default: installs everything, starts a local Prefect server and the four
# services, generates sample documents, runs the pipeline on each (printing its JSON) and tells where the
# Prefect UI shows the runs. Usage: bash scripts/quickstart.sh [FILES...]   (default: generated samples)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
IRIS=.venv/bin/iris
$IRIS up --prefect
home=$(.venv/bin/python -c "from iris_common.settings import IrisHomeSettings; print(IrisHomeSettings().iris_home)")
if [ $# -eq 0 ]; then
  $IRIS samples "$home/samples" >/dev/null
  set -- "$home"/samples/*.jpg
fi
$IRIS process "$@"
$IRIS health
echo
echo "Prefect UI (runs, task logs, artifacts): http://127.0.0.1:4200"
echo "More: iris batch DIR --out DIR | iris runs | iris logs RUN_ID | iris down"
