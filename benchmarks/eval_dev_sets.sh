#!/usr/bin/env bash
# `iris eval` on every labelled development set in ../shared/data, PaddleOCR (the running ocr-extractor) beside
# Tesseract (a second ocr-extractor with OCR_ENGINE=tesseract that this script starts on $TESSERACT_PORT and stops).
# Needs `iris up` (checked with `iris health`; started if not running; never stopped here: others use it).
#
#   bash benchmarks/eval_dev_sets.sh                 # all sets; FUNSD limited to $FUNSD_LIMIT (default 50) documents
#   SETS="sroie german" COMPARE=0 bash benchmarks/eval_dev_sets.sh
#
# JSON reports (per-document outcomes) go to $OUT (default /tmp/iris-eval-<date>), never into the repository.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DATA="${DATA:-$ROOT/../shared/data}"
IRIS="$ROOT/.venv/bin/iris"
OUT="${OUT:-/tmp/iris-eval-$(date +%Y%m%d-%H%M%S)}"
SETS="${SETS:-sroie german wildreceipt funsd invoice2data}"
FUNSD_LIMIT="${FUNSD_LIMIT:-50}"
COMPARE="${COMPARE:-1}"
TESSERACT_PORT="${TESSERACT_PORT:-8014}"
mkdir -p "$OUT"

if [ ! -d "$DATA" ]; then echo "no labelled data at $DATA; nothing to measure"; exit 0; fi
if ! "$IRIS" health >/dev/null 2>&1; then
  echo "services not healthy: starting them with iris up"
  "$IRIS" up || { "$IRIS" health; exit 1; }
fi
echo "commit $(git -C "$ROOT" log -1 --format=%h)   ocr-extractor: $(curl -s localhost:8004/info | "$ROOT/.venv/bin/python" -c 'import json,sys; d=json.load(sys.stdin); print(d.get("service_version", "?"), [m.get("model_id") for m in d.get("models", [])])' 2>/dev/null)"

COMPARE_ARGS=()
if [ "$COMPARE" = "1" ]; then
  log="${IRIS_HOME:-$HOME/.iris}/logs/ocr-extractor-tesseract-eval.log"
  OCR_ENGINE=tesseract IRIS_CPU_THREADS=1 "$ROOT/.venv/bin/python" -m uvicorn --factory ocr_extractor.main:build_app \
    --host 127.0.0.1 --port "$TESSERACT_PORT" --no-access-log >"$log" 2>&1 &
  TESS_PID=$!
  trap 'kill $TESS_PID 2>/dev/null' EXIT
  for _ in $(seq 1 120); do
    curl -sf "localhost:$TESSERACT_PORT/health" | grep -qE '"status":"(healthy|degraded)"' && break
    sleep 1
  done
  COMPARE_ARGS=(--compare-url "http://127.0.0.1:$TESSERACT_PORT")
  echo "tesseract ocr-extractor pid $TESS_PID on :$TESSERACT_PORT (log $log)"
fi

run() {  # name, folder, format, extra args...
  local name="$1" folder="$2" fmt="$3"; shift 3
  echo; echo "################ $name: iris eval $folder --format $fmt $*"
  local started=$SECONDS
  "$IRIS" eval "$folder" --format "$fmt" --quiet --out "$OUT/$name.json" "${COMPARE_ARGS[@]}" "$@"
  echo "($name: $((SECONDS - started)) s wall)"
}

for set in $SETS; do
  case "$set" in
    sroie) run sroie "$DATA/sroie" sroie ;;
    german) run german_receipts "$DATA/german_receipts" german_receipts ;;
    wildreceipt) run wildreceipt "$DATA/wildreceipt" wildreceipt ;;
    funsd) run funsd "$DATA/funsd/training_data" funsd --limit "$FUNSD_LIMIT" ;;
    invoice2data) run invoice2data "$DATA/invoices_invoice2data" invoice2data ;;
    *) echo "unknown set $set" ;;
  esac
done
echo; echo "JSON reports: $OUT"
