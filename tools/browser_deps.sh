#!/usr/bin/env bash
# Chromium for the browser test: Debian's chromium and chromium-driver, installed with apt when running as
# root. Anything else is reported, and the browser test then skips with that reason (never passes silently).
set -u
if [ -x /usr/bin/chromium ]; then echo "chromium: present ($(/usr/bin/chromium --version 2>/dev/null))"; exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: missing, and installing it needs root and apt-get: the browser test will be skipped"; exit 0
fi
export DEBIAN_FRONTEND=noninteractive
pkgs="chromium chromium-driver"
if apt-get install -y -q --no-install-recommends $pkgs >/dev/null 2>&1 \
   || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends $pkgs >/dev/null 2>&1; }; then
  echo "chromium: installed ($(/usr/bin/chromium --version 2>/dev/null))"
else
  echo "chromium: apt-get install failed: the browser test will be skipped"
fi
