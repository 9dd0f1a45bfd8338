#!/usr/bin/env bash
# setup.sh installs what weipian needs on a Debian 12 machine, idempotently.
# Usage: scripts/setup.sh [gdal] [servers] [web] [browser] [report]   (no argument: everything)
#   web      Node.js and npm, to build the web console (make web)
#   browser  Chromium and CJK fonts, for the console's browser tests
#   report   Chromium (prints the PDF reports), Noto CJK fonts, poppler-utils (tests render PDFs)
set -euo pipefail

want_gdal=0; want_servers=0; want_web=0; want_browser=0; want_report=0
if [ $# -eq 0 ]; then want_gdal=1; want_servers=1; want_web=1; want_browser=1; want_report=1; fi
for a in "$@"; do
  case "$a" in
    gdal) want_gdal=1 ;;
    servers) want_servers=1 ;;
    web) want_web=1 ;;
    browser) want_browser=1 ;;
    report) want_report=1 ;;
    *) echo "setup.sh: unknown component $a (want gdal, servers, web, browser or report)" >&2; exit 2 ;;
  esac
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
need_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || missing+=("$1"); }

if [ $want_gdal -eq 1 ]; then
  need_pkg libgdal-dev; need_pkg gdal-bin; need_pkg pkg-config
fi
if [ $want_servers -eq 1 ]; then
  need_pkg redis-server; need_pkg postgresql
  # deploy/local-cluster checks MinIO and creates its bucket with curl.
  need_pkg curl
fi
if [ $want_web -eq 1 ]; then
  # Any Node.js from 18 on builds the console (Debian 12 has 18).
  if ! command -v node >/dev/null 2>&1 || ! node -e 'process.exit(+process.versions.node.split(".")[0] < 18 ? 1 : 0)'; then
    need_pkg nodejs
  fi
  command -v npm >/dev/null 2>&1 || need_pkg npm
fi
if [ $want_browser -eq 1 ]; then
  command -v chromium >/dev/null 2>&1 || need_pkg chromium
  need_pkg fonts-noto-cjk
fi
if [ $want_report -eq 1 ]; then
  command -v chromium >/dev/null 2>&1 || need_pkg chromium
  need_pkg fonts-noto-cjk; need_pkg poppler-utils
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # Debian starts the packaged servers; weipian starts its own on loopback.
  if [ $want_servers -eq 1 ] && command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true
  fi
fi

if [ $want_servers -eq 1 ]; then
  MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
  gobin="$(go env GOPATH)/bin"
  if [ ! -x "$gobin/minio" ] && ! command -v minio >/dev/null 2>&1; then
    echo "setup: building minio server $MINIO_VERSION (2-3 minutes the first time)"
    GOFLAGS=-buildvcs=false go install "github.com/minio/minio@$MINIO_VERSION"
  fi
fi
