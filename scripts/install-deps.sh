#!/usr/bin/env bash
# Installs every package golfops needs to build, test and benchmark.
# Idempotent, non-interactive, safe to run as root with no TTY.
set -euo pipefail

# The one list. Build, test servers, and benchmark peers.
build_packages=(
  build-essential cmake ninja-build pkg-config clang-format
  libcli11-dev libhiredis-dev libcurl4-openssl-dev
  nlohmann-json3-dev libtomlplusplus-dev libfmt-dev doctest-dev
  libzstd-dev libssl-dev libhttp-parser-dev
  file # cpack's DEB generator finds the binaries to run dpkg-shlibdeps on with it
)
test_packages=(locales postgresql-15 postgresql-client-15 redis-server redis-tools nginx-light openssl curl jq man-db python3
  fish zsh # the cli suite has each shell check its completion script
  prometheus # promtool checks and unit-tests packaging/prometheus (the server never starts)
  # The reference service (examples/golf-api): verify's tests and the demo run it.
  python3-fastapi python3-uvicorn python3-psycopg2 python3-redis
)
bench_packages=(hyperfine valgrind time wrk hey apache2-utils alembic python3-psycopg2 sqitch libdbd-pg-perl)

all=("${build_packages[@]}" "${test_packages[@]}" "${bench_packages[@]}")
case "${1:-}" in
  --skip-bench) all=("${build_packages[@]}" "${test_packages[@]}") ;;
  --build-only) all=("${build_packages[@]}") ;; # packaging/Dockerfile's build stage
  "") ;;
  *)
    echo "install-deps.sh: unknown option '$1' (expected --skip-bench or --build-only)" >&2
    exit 2
    ;;
esac

missing=()
for package in "${all[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$package")
done
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
fi

install_missing() {
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  # Debian's postgresql and redis packages start system services on install; the
  # harness runs its own servers, so keep the packaged ones from starting.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${sudo_cmd[@]}" chmod +x /usr/sbin/policy-rc.d
    trap '"${sudo_cmd[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}
if [[ ${#missing[@]} -gt 0 ]]; then
  install_missing
fi

# The locale tests run golfops under: libpq and glibc answer in German there,
# and golfops' failure reasons must not change (tests/integration/deadlines.bash).
if [[ "${1:-}" != --build-only ]] && ! locale -a 2>/dev/null | grep -qi '^de_DE\.utf8$'; then
  "${sudo_cmd[@]}" sed -i 's/^# *de_DE.UTF-8 UTF-8/de_DE.UTF-8 UTF-8/' /etc/locale.gen
  "${sudo_cmd[@]}" locale-gen >/dev/null
fi
