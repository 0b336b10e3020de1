#!/usr/bin/env bash
# Rolling restart of the API replicas behind nginx: one at a time, no request fails.
#
# For each replica in turn:
#   1. check that every other replica is ready (it will carry the traffic alone);
#   2. restart it: SIGTERM drains it (it finishes what is in flight and refuses new
#      connections; nginx resends refused requests to the other replicas);
#   3. wait until it answers /health/ready with 200 (in Docker: reload nginx, which resolves
#      the new container's address);
#   4. wait until nginx sends it requests again: probes go through nginx until the replica's
#      own request counter (/metrics) shows one arrived. nginx's passive health check may still
#      hold it as failed for fail_timeout after the restart; stopping the next replica before
#      then leaves nginx no replica at all, and requests fail with 502.
#
# Docker Compose (production, in the installation folder; new image and environment):
#   scripts/rolling-restart.sh --compose [memoai-backend-1 memoai-backend-2]
# Native (systemd units memoai-api@PORT, nginx's internal listener on 127.0.0.1:8080):
#   sudo scripts/rolling-restart.sh [127.0.0.1:8101 127.0.0.1:8102]
#
# Options:
#   --compose              replicas are compose services, recreated with `up -d --no-deps
#                          --force-recreate` (default replicas: memoai-backend-1 memoai-backend-2)
#   --compose-file FILE    default docker-compose.prod.yml; COMPOSE names the command
#                          (default docker-compose; e.g. COMPOSE="docker compose")
#   --restart-command CMD  native: restarts one replica; {address} and {port} are replaced
#                          (default: systemctl restart memoai-api@{port})
#   --nginx URL            native: nginx's internal listener (default http://127.0.0.1:8080)
#   --timeout SECONDS      longest wait for each step (default 120)
# METRICS_TOKEN, when set, is sent to the replicas' /metrics (needed unless the caller's
# address is in METRICS_ALLOWED_IPS; inside a container 127.0.0.1 is).
# Exit status 0: every replica was restarted and serves through nginx again.
set -euo pipefail

mode=native
compose_file=docker-compose.prod.yml
restart_command='systemctl restart memoai-api@{port}'
nginx_url=http://127.0.0.1:8080
timeout=120
replicas=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --compose) mode=compose ;;
    --compose-file) compose_file=$2; shift ;;
    --restart-command) restart_command=$2; shift ;;
    --nginx) nginx_url=${2%/}; shift ;;
    --timeout) timeout=$2; shift ;;
    -h | --help) sed -n '2,31p' "$0"; exit 0 ;;
    -*) echo "rolling-restart: unknown option $1" >&2; exit 2 ;;
    *) replicas+=("$1") ;;
  esac
  shift
done
if [[ ${#replicas[@]} -eq 0 ]]; then
  if [[ $mode == compose ]]; then
    replicas=(memoai-backend-1 memoai-backend-2)
  else
    replicas=(127.0.0.1:8101 127.0.0.1:8102)
  fi
fi
read -r -a compose_cmd <<<"${COMPOSE:-docker-compose}"
dc() { "${compose_cmd[@]}" -f "$compose_file" "$@"; }
auth=()
[[ -n "${METRICS_TOKEN:-}" ]] && auth=(-H "Authorization: Bearer $METRICS_TOKEN")

say() { echo "rolling-restart: $*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# replica_get REPLICA PATH: the body of GET PATH on the replica itself (fails unless 200).
replica_get() {
  if [[ $mode == compose ]]; then
    dc exec -T "$1" python -c '
import sys, urllib.request
headers = {"Authorization": "Bearer " + sys.argv[2]} if sys.argv[2] else {}
request = urllib.request.Request("http://127.0.0.1:8000" + sys.argv[1], headers=headers)
sys.stdout.write(urllib.request.urlopen(request, timeout=5).read().decode())
' "$2" "${METRICS_TOKEN:-}" 2>/dev/null
  else
    curl -fsS --max-time 5 "${auth[@]}" "http://$1$2" 2>/dev/null
  fi
}

# nginx_probe: one request through nginx to whichever replica it picks (any answer will do).
nginx_probe() {
  if [[ $mode == compose ]]; then
    dc exec -T nginx wget -q -O /dev/null -T 10 http://127.0.0.1:8080/health/ready 2>/dev/null
  else
    curl -s -o /dev/null --max-time 10 "$nginx_url/health/ready"
  fi || true
}

restart() {
  if [[ $mode == compose ]]; then
    dc up -d --no-deps --force-recreate "$1" >&2
  else
    local port=${1##*:} command=${restart_command//\{address\}/$1}
    command=${command//\{port\}/$port}
    bash -c "$command" >&2
  fi
}

# served REPLICA: how many /health/ready requests the replica has answered since it started.
served() {
  replica_get "$1" /metrics | awk '
    /^memoai_http_requests_total\{/ && /route="\/health\/ready"/ { total += $NF }
    END { printf "%d\n", total }'
}

wait_for() {  # wait_for DESCRIPTION COMMAND...: until the command succeeds, or the timeout
  local what=$1 deadline
  shift
  deadline=$(($(date +%s) + timeout))
  until "$@"; do
    if [[ $(date +%s) -ge $deadline ]]; then
      say "FAILED: $what within ${timeout}s"
      exit 1
    fi
    sleep 0.5
  done
}

ready() { replica_get "$1" /health/ready >/dev/null; }
probed_past() {  # probed_past REPLICA COUNT: a probe through nginx reached it
  nginx_probe
  local count
  count=$(served "$1") || return 1
  [[ $count -gt $2 ]]
}

for replica in "${replicas[@]}"; do
  for other in "${replicas[@]}"; do
    if [[ $other != "$replica" ]] && ! ready "$other"; then
      say "FAILED: $other is not ready; restarting $replica now would leave nginx without it"
      exit 1
    fi
  done
  began=$(now)
  say "$replica: restarting"
  restart "$replica"
  wait_for "$replica to be ready" ready "$replica"
  say "$replica: ready after $(since "$began")s"
  if [[ $mode == compose ]]; then
    dc exec -T nginx nginx -s reload >&2
  fi
  before=$(served "$replica")
  wait_for "nginx to send $replica requests again" probed_past "$replica" "$before"
  say "$replica: nginx uses it again after $(since "$began")s"
done
say "done: ${replicas[*]} restarted"
