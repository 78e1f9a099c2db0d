#!/usr/bin/env bash
# `make demo`: a local Kamailio plus the sample app, until Ctrl-C.
set -Eeuo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KAMAILIO_PORT=${KAMAILIO_PORT:-5066}
DEMO_PORT=${DEMO_PORT:-8080}
RUNDIR="$ROOT/tests/.run/kamailio-demo"

trap '"$ROOT/scripts/kamailio.sh" stop "$RUNDIR"' EXIT
"$ROOT/scripts/kamailio.sh" start "$KAMAILIO_PORT" "$RUNDIR"
cat <<TXT

  Demo ready. Open two tabs (or two browsers):
    http://127.0.0.1:${DEMO_PORT}/?user=1001&port=${KAMAILIO_PORT}
    http://127.0.0.1:${DEMO_PORT}/?user=1002&port=${KAMAILIO_PORT}
  Test users 1001..1004, passwords pass1001..pass1004 (local Kamailio only).
  Registered bindings: scripts/kamailio.sh dump $RUNDIR
  Ctrl-C stops the server and Kamailio.

TXT
node "$ROOT/scripts/serve.mjs" "$DEMO_PORT"
