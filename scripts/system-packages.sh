#!/usr/bin/env bash
# Debian packages fanzha needs: Chromium for the browser tests, CJK fonts for PDF reports and charts,
# Pango for WeasyPrint, a JRE for Spark. Installs only what is missing, so a warm machine pays nothing.
set -euo pipefail
need=()
for p in chromium fonts-noto-cjk fonts-wqy-microhei libpango-1.0-0 libpangoft2-1.0-0 poppler-utils; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "installing Debian packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
