#!/bin/sh
# Renders nginx/nginx.conf.template into a runnable nginx.conf.
#
# Only the ${MEMOAI_*} placeholders named below are replaced, so nginx's own $variables
# survive. Each value comes from a flag, else from the environment variable of the same name,
# else from the default (the values the nginx container of docker-compose.prod.yml needs).
# POSIX sh and awk only: the same script runs in the nginx:alpine container (busybox) and
# natively on Debian, unprivileged, for tests on loopback:
#
#   scripts/render-nginx.sh --prefix /tmp/mx --output /tmp/mx/nginx.conf \
#       --domain localhost --http-listen 127.0.0.1:18080 --https-listen 127.0.0.1:18443 \
#       --internal-listen 127.0.0.1:18081 \
#       --backends "127.0.0.1:8101 127.0.0.1:8102" --frontends "127.0.0.1:3000" \
#       --cert /tmp/mx/ssl/fullchain.pem --key /tmp/mx/ssl/privkey.pem
#   nginx -p /tmp/mx -c /tmp/mx/nginx.conf -t
#
# Flags (environment variable, default):
#   --domain NAME            MEMOAI_DOMAIN            localhost   (server_name; several allowed)
#   --backends "H:P ..."     MEMOAI_BACKENDS          memoai-backend-1:8000 memoai-backend-2:8000
#   --frontends "H:P ..."    MEMOAI_FRONTENDS         memoai-frontend:3000
#   --http-listen ADDR       MEMOAI_HTTP_LISTEN       80          (listen argument, e.g. 127.0.0.1:18080)
#   --https-listen ADDR      MEMOAI_HTTPS_LISTEN      443
#   --internal-listen ADDR   MEMOAI_INTERNAL_LISTEN   8080        (frontend -> backends; keep private)
#   --public-https-port N    MEMOAI_PUBLIC_HTTPS_PORT port of --https-listen (port in redirects)
#   --cert PATH              MEMOAI_SSL_CERT          /etc/nginx/ssl/fullchain.pem
#   --key PATH               MEMOAI_SSL_KEY           /etc/nginx/ssl/privkey.pem
#   --static-root DIR        MEMOAI_STATIC_ROOT       /var/www    (serves DIR/static/...)
#   --acme-root DIR          MEMOAI_ACME_ROOT         /var/www/certbot (certbot --webroot -w DIR)
#   --metrics-allow "A ..."  MEMOAI_METRICS_ALLOW     "127.0.0.1 ::1" (addresses/CIDRs for /metrics)
#   --max-fails N            MEMOAI_UPSTREAM_MAX_FAILS    3
#   --fail-timeout T         MEMOAI_UPSTREAM_FAIL_TIMEOUT 10s
#   --rate-general R         MEMOAI_RATE_GENERAL      20r/s       --burst-general N  MEMOAI_BURST_GENERAL 60
#   --rate-api R             MEMOAI_RATE_API          10r/s       --burst-api N      MEMOAI_BURST_API     30
#   --rate-login R           MEMOAI_RATE_LOGIN        10r/m       --burst-login N    MEMOAI_BURST_LOGIN   5
#   --pid PATH               MEMOAI_NGINX_PID         /var/run/nginx.pid
#   --error-log PATH         MEMOAI_NGINX_ERROR_LOG   stderr
#   --access-log PATH        MEMOAI_NGINX_ACCESS_LOG  /dev/stdout
#   --temp-dir DIR           MEMOAI_NGINX_TEMP_DIR    /var/cache/nginx
#   --mime-types PATH        MEMOAI_NGINX_MIME_TYPES  /etc/nginx/mime.types
#   --prefix DIR             pid, logs and temp dirs under DIR (created), for nginx -p DIR
#   --template PATH          MEMOAI_NGINX_TEMPLATE    nginx/nginx.conf.template next to this script
#   --output PATH            MEMOAI_NGINX_OUTPUT      - (standard output)
set -eu

die() {
    echo "render-nginx: $*" >&2
    exit 2
}

script_dir=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
prefix=""

while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || die "missing value for $1 (see the header of $0)"
    case "$1" in
        --domain) MEMOAI_DOMAIN=$2 ;;
        --backends) MEMOAI_BACKENDS=$2 ;;
        --frontends) MEMOAI_FRONTENDS=$2 ;;
        --http-listen) MEMOAI_HTTP_LISTEN=$2 ;;
        --https-listen) MEMOAI_HTTPS_LISTEN=$2 ;;
        --internal-listen) MEMOAI_INTERNAL_LISTEN=$2 ;;
        --public-https-port) MEMOAI_PUBLIC_HTTPS_PORT=$2 ;;
        --cert) MEMOAI_SSL_CERT=$2 ;;
        --key) MEMOAI_SSL_KEY=$2 ;;
        --static-root) MEMOAI_STATIC_ROOT=$2 ;;
        --acme-root) MEMOAI_ACME_ROOT=$2 ;;
        --metrics-allow) MEMOAI_METRICS_ALLOW=$2 ;;
        --max-fails) MEMOAI_UPSTREAM_MAX_FAILS=$2 ;;
        --fail-timeout) MEMOAI_UPSTREAM_FAIL_TIMEOUT=$2 ;;
        --rate-general) MEMOAI_RATE_GENERAL=$2 ;;
        --burst-general) MEMOAI_BURST_GENERAL=$2 ;;
        --rate-api) MEMOAI_RATE_API=$2 ;;
        --burst-api) MEMOAI_BURST_API=$2 ;;
        --rate-login) MEMOAI_RATE_LOGIN=$2 ;;
        --burst-login) MEMOAI_BURST_LOGIN=$2 ;;
        --pid) MEMOAI_NGINX_PID=$2 ;;
        --error-log) MEMOAI_NGINX_ERROR_LOG=$2 ;;
        --access-log) MEMOAI_NGINX_ACCESS_LOG=$2 ;;
        --temp-dir) MEMOAI_NGINX_TEMP_DIR=$2 ;;
        --mime-types) MEMOAI_NGINX_MIME_TYPES=$2 ;;
        --prefix) prefix=$2 ;;
        --template) MEMOAI_NGINX_TEMPLATE=$2 ;;
        --output) MEMOAI_NGINX_OUTPUT=$2 ;;
        *) die "unknown option $1 (see the header of $0)" ;;
    esac
    shift 2
done

if [ -n "$prefix" ]; then
    mkdir -p "$prefix/logs" "$prefix/tmp"
    : "${MEMOAI_NGINX_PID:=$prefix/nginx.pid}"
    : "${MEMOAI_NGINX_ERROR_LOG:=$prefix/logs/error.log}"
    : "${MEMOAI_NGINX_ACCESS_LOG:=$prefix/logs/access.log}"
    : "${MEMOAI_NGINX_TEMP_DIR:=$prefix/tmp}"
fi

: "${MEMOAI_DOMAIN:=localhost}"
: "${MEMOAI_BACKENDS:=memoai-backend-1:8000 memoai-backend-2:8000}"
: "${MEMOAI_FRONTENDS:=memoai-frontend:3000}"
: "${MEMOAI_HTTP_LISTEN:=80}"
: "${MEMOAI_HTTPS_LISTEN:=443}"
: "${MEMOAI_INTERNAL_LISTEN:=8080}"
: "${MEMOAI_PUBLIC_HTTPS_PORT:=${MEMOAI_HTTPS_LISTEN##*:}}"
: "${MEMOAI_SSL_CERT:=/etc/nginx/ssl/fullchain.pem}"
: "${MEMOAI_SSL_KEY:=/etc/nginx/ssl/privkey.pem}"
: "${MEMOAI_STATIC_ROOT:=/var/www}"
: "${MEMOAI_ACME_ROOT:=/var/www/certbot}"
: "${MEMOAI_METRICS_ALLOW:=127.0.0.1 ::1}"
: "${MEMOAI_UPSTREAM_MAX_FAILS:=3}"
: "${MEMOAI_UPSTREAM_FAIL_TIMEOUT:=10s}"
: "${MEMOAI_RATE_GENERAL:=20r/s}"
: "${MEMOAI_BURST_GENERAL:=60}"
: "${MEMOAI_RATE_API:=10r/s}"
: "${MEMOAI_BURST_API:=30}"
: "${MEMOAI_RATE_LOGIN:=10r/m}"
: "${MEMOAI_BURST_LOGIN:=5}"
: "${MEMOAI_NGINX_PID:=/var/run/nginx.pid}"
: "${MEMOAI_NGINX_ERROR_LOG:=stderr}"
: "${MEMOAI_NGINX_ACCESS_LOG:=/dev/stdout}"
: "${MEMOAI_NGINX_TEMP_DIR:=/var/cache/nginx}"
: "${MEMOAI_NGINX_MIME_TYPES:=/etc/nginx/mime.types}"
: "${MEMOAI_NGINX_TEMPLATE:=$script_dir/../nginx/nginx.conf.template}"
: "${MEMOAI_NGINX_OUTPUT:=-}"

# Values end up inside nginx directives: refuse anything that could end or open one.
scalar_names="MEMOAI_DOMAIN MEMOAI_BACKENDS MEMOAI_FRONTENDS MEMOAI_HTTP_LISTEN
    MEMOAI_HTTPS_LISTEN MEMOAI_INTERNAL_LISTEN MEMOAI_PUBLIC_HTTPS_PORT MEMOAI_SSL_CERT
    MEMOAI_SSL_KEY MEMOAI_STATIC_ROOT MEMOAI_ACME_ROOT MEMOAI_METRICS_ALLOW
    MEMOAI_UPSTREAM_MAX_FAILS MEMOAI_UPSTREAM_FAIL_TIMEOUT MEMOAI_RATE_GENERAL
    MEMOAI_BURST_GENERAL MEMOAI_RATE_API MEMOAI_BURST_API MEMOAI_RATE_LOGIN MEMOAI_BURST_LOGIN
    MEMOAI_NGINX_PID MEMOAI_NGINX_ERROR_LOG MEMOAI_NGINX_ACCESS_LOG MEMOAI_NGINX_TEMP_DIR
    MEMOAI_NGINX_MIME_TYPES"
for name in $scalar_names; do
    eval "value=\${$name}"
    [ -n "$value" ] || die "$name is empty"
    case "$value" in
        *[\;\{\}\$\'\"\\]* | *"
"*) die "$name contains a character nginx would misread: $value" ;;
    esac
done
for name in MEMOAI_RATE_GENERAL MEMOAI_RATE_API MEMOAI_RATE_LOGIN; do
    eval "value=\${$name}"
    echo "$value" | grep -Eq '^[0-9]+r/[sm]$' || die "$name must look like 10r/s or 10r/m: $value"
done
for name in MEMOAI_BURST_GENERAL MEMOAI_BURST_API MEMOAI_BURST_LOGIN MEMOAI_UPSTREAM_MAX_FAILS \
    MEMOAI_PUBLIC_HTTPS_PORT; do
    eval "value=\${$name}"
    echo "$value" | grep -Eq '^[0-9]+$' || die "$name must be a number: $value"
done

server_lines() {
    # "host:port host:port" -> one upstream "server" line each, with the passive health check.
    for address in $1; do
        printf '        server %s max_fails=%s fail_timeout=%s;\n' \
            "$address" "$MEMOAI_UPSTREAM_MAX_FAILS" "$MEMOAI_UPSTREAM_FAIL_TIMEOUT"
    done
}

# Derived placeholders (exported below with the others, for awk's ENVIRON).
MEMOAI_BACKEND_SERVERS=$(server_lines "$MEMOAI_BACKENDS")
MEMOAI_FRONTEND_SERVERS=$(server_lines "$MEMOAI_FRONTENDS")
[ -n "$MEMOAI_BACKEND_SERVERS" ] || die "MEMOAI_BACKENDS lists no server"
[ -n "$MEMOAI_FRONTEND_SERVERS" ] || die "MEMOAI_FRONTENDS lists no server"
# shellcheck disable=SC2034
MEMOAI_METRICS_ALLOW_RULES=$(for address in $MEMOAI_METRICS_ALLOW; do
    printf '            allow %s;\n' "$address"
done)
# shellcheck disable=SC2034
if [ "$MEMOAI_PUBLIC_HTTPS_PORT" = "443" ]; then
    MEMOAI_HTTPS_REDIRECT_PORT=""
else
    MEMOAI_HTTPS_REDIRECT_PORT=":$MEMOAI_PUBLIC_HTTPS_PORT"
fi

placeholders="$scalar_names MEMOAI_BACKEND_SERVERS MEMOAI_FRONTEND_SERVERS
    MEMOAI_METRICS_ALLOW_RULES MEMOAI_HTTPS_REDIRECT_PORT"
for name in $placeholders; do
    export "${name?}"
done
# Word splitting on purpose: one space-separated list of names.
# shellcheck disable=SC2086,SC2116
MEMOAI_RENDER_NAMES=$(echo $placeholders)
export MEMOAI_RENDER_NAMES

[ -r "$MEMOAI_NGINX_TEMPLATE" ] || die "cannot read template $MEMOAI_NGINX_TEMPLATE"

# Literal replacement of ${NAME} for the names above only (like envsubst "$names").
rendered=$(awk '
BEGIN { count = split(ENVIRON["MEMOAI_RENDER_NAMES"], names, " ") }
{
    line = $0
    for (i = 1; i <= count; i++) {
        key = "${" names[i] "}"
        value = ENVIRON[names[i]]
        done = ""
        while ((at = index(line, key)) > 0) {
            done = done substr(line, 1, at - 1) value
            line = substr(line, at + length(key))
        }
        line = done line
    }
    print line
}' "$MEMOAI_NGINX_TEMPLATE")

# shellcheck disable=SC2016
leftover=$(printf '%s\n' "$rendered" | grep -o '\${MEMOAI_[A-Z0-9_]*}' | sort -u | tr '\n' ' ' || true)
[ -z "$leftover" ] || die "template uses placeholders this script does not know: $leftover"

if [ "$MEMOAI_NGINX_OUTPUT" = "-" ]; then
    printf '%s\n' "$rendered"
else
    printf '%s\n' "$rendered" >"$MEMOAI_NGINX_OUTPUT"
    echo "render-nginx: wrote $MEMOAI_NGINX_OUTPUT for $MEMOAI_DOMAIN" >&2
fi
