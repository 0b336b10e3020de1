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
# Options: --yes (required: confirms the destruction), --with-config (also restore the YAML).
# MEMOAI may name the command to use (default: memoai on PATH).
# Exit status 0 means the drill passed: the restored database matches the backup's manifest
# (row counts per table, checksums, integrity) and is at the expected migration revision.
set -euo pipefail

MEMOAI=${MEMOAI:-memoai}
confirmed=no
restore_args=()
for arg in "$@"; do
  case "$arg" in
    --yes) confirmed=yes ;;
    --with-config) restore_args+=(--with-config) ;;
    -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done
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

echo "DR drill on ${DATABASE_URL%%://*} database ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
step backup make_backup
step verify verify_backup
step destroy destroy
step restore restore
step check check
recovery=$((took[restore] + took[check]))
printf 'recovery time (restore and check): %.3f s\n' "$(awk "BEGIN { print $recovery / 1000 }")"
echo "DR drill passed"
