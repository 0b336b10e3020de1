#!/usr/bin/env bash
# Disaster-recovery drill: back up, destroy the database, restore it, verify it — with timings.
#
# It runs against the installation the environment describes (DATABASE_URL, BACKUP_DIR,
# CONFIG_DIR, BACKUP_ENCRYPTION_KEY, ... exactly as the app reads them) and DESTROYS its
# database between the backup and the restore. Run it on a staging copy or a restored clone,
# with the API stopped, never on the live production database.
#
#   DATABASE_URL=sqlite:///data/memoai.db scripts/dr-drill.sh --yes
#
# Options: --yes (required: confirms the destruction), --with-config (also restore the YAML),
# --force (go ahead although the database is in use: an app still has it open),
# --scenario NAME:
#   backup         (default) back up, destroy the database, restore the local backup
#   point-in-time  SQLite with LITESTREAM_REPLICA_URL: run Litestream, write a user before a
#                  moment and one after it, restore `--at` the moment; the first must be back,
#                  the second gone
#   offsite        with BACKUP_S3_URL: back up (uploaded), lose the whole server (database
#                  and every local backup), verify and restore the newest off-site copy
# MEMOAI may name the command to use (default: memoai on PATH).
# Exit status 0 means the drill passed: the restored database matches the backup's manifest
# (row counts per table, checksums, integrity) and is at the expected migration revision.
set -euo pipefail

MEMOAI=${MEMOAI:-memoai}
confirmed=no
force=no
scenario=backup
restore_args=()
while (($#)); do
  case "$1" in
    --yes) confirmed=yes ;;
    --with-config) restore_args+=(--with-config) ;;
    --force) force=yes; restore_args+=(--force) ;;
    --scenario) scenario=${2:-}; shift ;;
    -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
case "$scenario" in
  backup | point-in-time | offsite) ;;
  *) echo "unknown scenario: $scenario (backup, point-in-time or offsite)" >&2; exit 2 ;;
esac
if [[ -z "${DATABASE_URL:-}" ]]; then
  echo "DATABASE_URL must be set explicitly for a drill (it names what gets destroyed)" >&2
  exit 2
fi
if [[ "$confirmed" != yes ]]; then
  echo "This drill destroys the database at DATABASE_URL. Re-run with --yes to proceed." >&2
  exit 2
fi

now_ms() { date +%s%3N; }
declare -A took
step() {  # step NAME COMMAND...: run, time, and stop the drill on failure
  local name=$1 started
  shift
  started=$(now_ms)
  if ! "$@"; then
    echo "DR drill FAILED at step: $name" >&2
    exit 1
  fi
  took[$name]=$(($(now_ms) - started))
  printf '  %-8s %8.3f s\n' "$name" "$(awk "BEGIN { print ${took[$name]} / 1000 }")"
}

sqlite_file() {  # the file of sqlite:///relative or sqlite:////absolute (query removed)
  local rest=${DATABASE_URL#*://}
  rest=${rest%%\?*}
  echo "${rest#/}"
}

make_backup() {
  backup_file=$("$MEMOAI" backup create | tail -n 1) && [[ -f "$backup_file" ]] || return 1
  echo "  -> $backup_file"
}
verify_backup() { "$MEMOAI" backup verify "$backup_file" >/dev/null; }
destroy() {
  case "$DATABASE_URL" in
    sqlite*)
      local file
      file=$(sqlite_file)
      rm -f -- "$file" "$file-wal" "$file-shm"
      [[ ! -e "$file" ]]
      ;;
    *) "$MEMOAI" db downgrade base >/dev/null ;;  # every table dropped, data gone
  esac
}
restore() { "$MEMOAI" backup restore "$backup_file" --yes "${restore_args[@]}"; }
check() {
  local state
  state=$("$MEMOAI" db current)
  echo "  -> $state"
  [[ "$state" =~ \"current\":\ \"([^\"]+)\",\ \"head\":\ \"([^\"]+)\" ]] &&
    [[ "${BASH_REMATCH[1]}" == "${BASH_REMATCH[2]}" ]]
}

# --- point-in-time: Litestream's replica brings back the database as it was at a moment.
litestream_pid=
stop_litestream() {
  if [[ -n "$litestream_pid" ]]; then
    kill -TERM "$litestream_pid" 2>/dev/null || true
    wait "$litestream_pid" 2>/dev/null || true
    litestream_pid=
  fi
}
password_file=$(mktemp)
trap 'stop_litestream; rm -f "$password_file"' EXIT
printf 'Drill-%s-Passw0rd!' "$(date +%s%N)" >"$password_file"
drill_user() { "$MEMOAI" users create "$1" --password-file "$password_file" >/dev/null; }
has_user() { "$MEMOAI" users list --json | grep -q "\"username\": \"$1\""; }
stamp=$(date -u +%Y%m%d%H%M%S)
replicate() {
  "$MEMOAI" backup replicate >"${TMPDIR:-/tmp}/dr-drill-litestream.log" 2>&1 &
  litestream_pid=$!
  sleep 3  # its first snapshot; it syncs every second from then on
  kill -0 "$litestream_pid"
}
before_moment() { drill_user "drill-before-$stamp" && sleep 2; }
mark_moment() {
  moment=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
  echo "  -> $moment"
  sleep 2
}
after_moment() { drill_user "drill-after-$stamp" && sleep 3; }  # the mistake to undo
restore_at() { "$MEMOAI" backup restore --at "$moment" --yes "${restore_args[@]}"; }
check_moment() {
  has_user "drill-before-$stamp" || { echo "  the user made before the moment is missing" >&2; return 1; }
  ! has_user "drill-after-$stamp" || { echo "  the user made after the moment is still there" >&2; return 1; }
  echo "  -> drill-before-$stamp present, drill-after-$stamp gone"
  check
}

# --- offsite: the server is lost; only the off-site copy, the key and the settings survive.
make_offsite_backup() {
  make_backup && backup_made=$(date +%s%3N)
}
lose_server() {
  destroy && rm -rf -- "${BACKUP_DIR:?BACKUP_DIR must name the local backup folder}" &&
    [[ ! -e "$BACKUP_DIR" ]]
}
list_offsite() { "$MEMOAI" backup list --offsite | sed 's/^/  -> /'; }
verify_offsite() {
  local out
  out=$("$MEMOAI" backup verify --offsite) && echo "  -> ${out%%$'\n'*}"
}
restore_offsite() { "$MEMOAI" backup restore --offsite --yes "${restore_args[@]}"; }

echo "DR drill ($scenario) on ${DATABASE_URL%%://*} database ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
# Nothing may have the database open: an app writing meanwhile would lose what it writes.
if [[ "$force" != yes ]] && ! "$MEMOAI" backup check-idle >&2; then
  echo "DR drill refused: stop the API and the maintenance service first (or --force)" >&2
  exit 1
fi
seconds() { awk "BEGIN { printf \"%.3f\", $1 / 1000 }"; }
case "$scenario" in
  backup)
    step backup make_backup
    step verify verify_backup
    step destroy destroy
    step restore restore
    step check check
    ;;
  point-in-time)
    step replicate replicate
    step before before_moment
    step moment mark_moment
    step after after_moment
    step stop stop_litestream
    step restore restore_at
    step check check_moment
    echo "recovery point: the moment itself (every write before it is back, none after it)"
    ;;
  offsite)
    step backup make_offsite_backup
    step lose lose_server
    step list list_offsite
    step verify verify_offsite
    step restore restore_offsite
    step check check
    echo "recovery point: the off-site backup's age, $(seconds $(($(now_ms) - backup_made))) s" \
      "(made by the daily backup: up to 24 h; Litestream to S3 cuts it to seconds)"
    ;;
esac
recovery=$((took[restore] + took[check]))
printf 'recovery time (restore and check): %.3f s\n' "$(awk "BEGIN { print $recovery / 1000 }")"
echo "DR drill passed"
