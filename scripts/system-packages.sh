#!/usr/bin/env bash
# Install the Debian packages the project needs, only those that are missing.
# Run as root, or as a user with sudo. Quiet and quick when everything is there.
# Extra packages for one task may be named as arguments (the load test: `wrk`).
set -euo pipefail

PACKAGES=(
  postgresql-15 postgresql-15-postgis-3      # the private PostGIS cluster
  libgdal32 libgeos-c1v5 libproj25 binutils  # GeoDjango's native libraries
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core  # WeasyPrint
  chromium chromium-driver poppler-utils     # browser tests; PDF pages to PNG
  nodejs npm                                 # front-end packages from the npm registry
  "$@"
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$pkg")
  fi
done
# Node may come from elsewhere (e.g. NodeSource); then Debian's nodejs/npm are not needed.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for pkg in "${missing[@]}"; do
    [[ "$pkg" == nodejs || "$pkg" == npm ]] || filtered+=("$pkg")
  done
  missing=("${filtered[@]}")
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "Installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
