#!/bin/sh
# Makes a self-signed TLS certificate for local production testing (never for real users:
# use Let's Encrypt there, see docs/deployment.md).
#
#   scripts/make-cert.sh [--dir DIR] [--domain NAME] [--days N]
#
# Writes DIR/fullchain.pem and DIR/privkey.pem (default DIR: ./ssl, the directory that
# docker-compose.prod.yml mounts into nginx), valid for localhost, 127.0.0.1, ::1 and NAME.
set -eu

dir=./ssl
domain=localhost
days=30

while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || { echo "make-cert: missing value for $1" >&2; exit 2; }
    case "$1" in
        --dir) dir=$2 ;;
        --domain) domain=$2 ;;
        --days) days=$2 ;;
        *) echo "make-cert: unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
done

case "$domain" in
    *[!A-Za-z0-9.-]* | "") echo "make-cert: not a host name: $domain" >&2; exit 2 ;;
esac

san="DNS:localhost,IP:127.0.0.1,IP:::1"
[ "$domain" = localhost ] || san="DNS:$domain,$san"

mkdir -p "$dir"
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -days "$days" -subj "/CN=$domain" \
    -addext "subjectAltName=$san" \
    -addext "basicConstraints=critical,CA:FALSE" \
    -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=serverAuth" \
    -keyout "$dir/privkey.pem" -out "$dir/fullchain.pem" 2>/dev/null
chmod 600 "$dir/privkey.pem"
chmod 644 "$dir/fullchain.pem"
echo "make-cert: $dir/fullchain.pem and $dir/privkey.pem for $san, valid $days days" >&2
