#!/usr/bin/env bash
# Installs the Debian 12 packages Parcours builds with, if any is missing.
# Safe to run again: it does nothing when everything is present.
set -euo pipefail

packages=(
  cmake ninja-build g++ clang-19 make
  antlr4 libantlr4-runtime-dev uuid-dev
  llvm-19-dev libzstd-dev
  nlohmann-json3-dev catch2 libsqlite3-dev sqlite3 libssl-dev
  libhowardhinnant-date-dev tzdata libcurl4-openssl-dev libsimdjson-dev
  python3
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
      grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "parcours: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
