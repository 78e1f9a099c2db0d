#!/usr/bin/env bash
# Runs the test Kamailio (tests/kamailio/kamailio.cfg) without systemd and without /etc/kamailio.
#   scripts/kamailio.sh start [PORT] [RUNDIR]   (re)start; PORT default 5066 (ws://127.0.0.1:PORT)
#   scripts/kamailio.sh stop  [RUNDIR]          stop; no-op when not running
#   scripts/kamailio.sh dump  [RUNDIR]          print `kamcmd ul.dump` (registered bindings)
# RUNDIR (default tests/.run/kamailio) holds kamailio.log, pgid, pid and the kamcmd socket.
# KAMAILIO_NONCE_COUNT=0 turns the digest nc-replay check off (default on).
# KAMAILIO_OUTBOUND=1 starts it as an RFC 5626 edge (-A WITH_OUTBOUND; needs the Debian package
# kamailio-outbound-modules, see the head of tests/kamailio/kamailio.cfg). Default off.
set -Eeuo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CFG="$ROOT/tests/kamailio/kamailio.cfg"
DEFAULT_RUNDIR="$ROOT/tests/.run/kamailio"

die() { echo "kamailio.sh: $*" >&2; exit 1; }
# Any non-zombie process left in the group? (kill -0 also succeeds on zombies.)
group_alive() { ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ {f=1} END {exit !f}'; }

# Kamailio forks workers; they all share our setsid process group, so the group id is
# what we kill: killing only the main pid can leave a worker holding the port.
stop() {
  local rundir=$1 pgid
  [[ -f "$rundir/pgid" ]] || return 0
  pgid=$(cat "$rundir/pgid")
  rm -f "$rundir/pgid"
  [[ "$pgid" =~ ^[0-9]+$ ]] || return 0
  kill -TERM -- "-$pgid" 2>/dev/null || return 0
  for _ in $(seq 50); do          # up to 5 s for a clean shutdown
    group_alive "$pgid" || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pgid" 2>/dev/null || true
  for _ in $(seq 20); do
    group_alive "$pgid" || return 0
    sleep 0.1
  done
  die "process group $pgid survived SIGKILL"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# kill -0 also succeeds on a zombie (our own dead child), so look at the process state.
alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) && [[ "$st" != Z* ]]; }

start() {
  local port=$1 rundir=$2 pid
  [[ "$port" =~ ^[0-9]+$ ]] || die "bad port '$port'"
  command -v kamailio >/dev/null || die "kamailio not installed (run scripts/setup.sh)"
  stop "$rundir"
  mkdir -p "$rundir"
  rundir=$(cd "$rundir" && pwd)   # kamailio chdirs to /, so paths must be absolute
  rm -f "$rundir/kamailio_ctl" "$rundir/port"
  port_open "$port" && die "port $port is already in use by another process"
  local defines=()
  [[ "${KAMAILIO_OUTBOUND:-0}" == 1 ]] && defines+=(-A WITH_OUTBOUND)
  # -DD: stay in the foreground (workers still fork); -E: log to stderr.
  # setsid: own process group (pgid == pid), so stop can kill every worker at once.
  setsid kamailio -DD -E -f "$CFG" -Y "$rundir" -P "$rundir/kamailio.pid" \
    -m 64 -M 8 -A "WS_PORT=$port" -A "CTL_SOCK=\"unix:$rundir/kamailio_ctl\"" \
    -A "NONCE_COUNT=${KAMAILIO_NONCE_COUNT:-1}" ${defines[@]+"${defines[@]}"} \
    </dev/null >"$rundir/kamailio.log" 2>&1 &
  pid=$!
  echo "$pid" >"$rundir/pgid"     # setsid execs in place: kamailio's pid is the group id
  echo "$port" >"$rundir/port"
  for _ in $(seq 100); do          # bounded wait: 10 s
    if port_open "$port" && [[ -S "$rundir/kamailio_ctl" ]]; then
      echo "kamailio: ws://127.0.0.1:$port (pgid $pid, log $rundir/kamailio.log)"
      return 0
    fi
    alive "$pid" || break
    sleep 0.1
  done
  echo "kamailio.sh: kamailio did not come up on port $port; log tail:" >&2
  tail -n 30 "$rundir/kamailio.log" >&2 || true
  stop "$rundir"
  wait "$pid" 2>/dev/null || true  # reap our child so no zombie is left behind
  exit 1
}

cmd=${1:-}
case "$cmd" in
  start) start "${2:-5066}" "${3:-$DEFAULT_RUNDIR}" ;;
  stop)  stop "${2:-$DEFAULT_RUNDIR}" ;;
  dump)
    rundir=${2:-$DEFAULT_RUNDIR}
    [[ -S "$rundir/kamailio_ctl" ]] || die "not running (no $rundir/kamailio_ctl)"
    kamcmd -s "unix:$rundir/kamailio_ctl" ul.dump ;;
  *) die "usage: $0 start [PORT] [RUNDIR] | stop [RUNDIR] | dump [RUNDIR]" ;;
esac
