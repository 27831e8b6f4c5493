#!/usr/bin/env bash
# The Debian package as an operator meets it: cpack builds
# golfops_<version>_amd64.deb from this build with the right dependencies;
# dpkg installs it on this machine; the binary, `man golfops`, tab
# completion, the example config and the units are where operators look,
# and the backup timer can be enabled; remove and purge take the program
# away and leave what must stay (backups). Needs root (dpkg); skipped
# (exit 77) otherwise, or when a golfops package or /usr/bin/golfops is
# already on this machine (never replace someone's install).
source "$(dirname "$0")/harness.bash"

if [[ $(id -u) -ne 0 ]]; then
  echo "skipped: installing a package needs root"
  exit 77
fi
if dpkg-query -W -f='${Status}' golfops 2>/dev/null | grep -q installed || [[ -e /usr/bin/golfops ]]; then
  echo "skipped: golfops is already installed on this machine"
  exit 77
fi

build_dir=$(dirname "$GOLFOPS")
version=$("$GOLFOPS" --version | awk '{print $2}')
deb="$HARNESS_TMP/golfops_${version}_amd64.deb"
had_user=0
getent passwd golfops >/dev/null && had_user=1
had_backups=0
[[ -e /var/backups/golfops ]] && had_backups=1
# /var/lib/golfops may hold golfops dev's servers (root's default state dir):
# the package must not take it over.
state_before=$(stat -c '%u %g %a' /var/lib/golfops 2>/dev/null || echo none)
# Whatever happens, this machine ends as it was: package purged, and the
# user and backup directory the package made removed if they were not
# here before.
undo_install() {
  dpkg -P golfops
  ((had_user)) || userdel golfops
  ((had_backups)) || rmdir /var/backups/golfops
}
on_cleanup undo_install

test_case "cpack builds golfops_<version>_amd64.deb with its runtime dependencies"
run cpack --config "$build_dir/CPackConfig.cmake" -B "$HARNESS_TMP/cpack"
expect_status 0
mv "$HARNESS_TMP/cpack/golfops_${version}_amd64.deb" "$deb" || fail "no golfops_${version}_amd64.deb: $(ls "$HARNESS_TMP/cpack")"
depends=$(dpkg-deb -f "$deb" Depends)
for needed in libc6 libpq5 libssl3 libcurl4 postgresql-client adduser; do
  [[ "$depends" == *"$needed"* ]] || fail "Depends lacks $needed: $depends"
done
[[ $(dpkg-deb -f "$deb" Architecture) == amd64 ]] || fail "not amd64"
dpkg-deb -f "$deb" Description | grep -q ';' && fail "the description has list separators: $(dpkg-deb -f "$deb" Description)"
dpkg-deb -c "$deb" | awk '{print $6}' >contents
for path in ./usr/bin/golfops ./usr/share/man/man1/golfops.1 ./usr/share/man/man1/golfops-backup.1 \
  ./usr/share/bash-completion/completions/golfops ./usr/share/zsh/vendor-completions/_golfops \
  ./usr/share/fish/vendor_completions.d/golfops.fish ./etc/golfops/config.toml.example \
  ./usr/lib/systemd/system/golfops-backup.service ./usr/lib/systemd/system/golfops-backup.timer \
  ./usr/lib/systemd/system/golfops-health.timer ./usr/lib/systemd/system/golfops-limits.timer \
  ./usr/share/golfops/prometheus/golfops.rules.yml ./usr/share/doc/golfops/runbook.md \
  ./usr/share/golfops/migrations/0004_create_rate_limits.up.sql; do
  grep -qxF "$path" contents || fail "the package lacks $path"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/golfops/config.toml.example ||
  fail "config.toml.example is not a conffile"
# Stripped: no debug sections in what operators install.
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/bin/golfops >golfops.installed
readelf -S golfops.installed | grep -q '\.debug_info' && fail "the packaged binary is not stripped"

test_case "dpkg -i: golfops runs, man golfops finds every page, completion and the user are there"
run dpkg -i "$deb"
expect_status 0
run /usr/bin/golfops version
expect_status 0
expect_stdout "$version"
run man -w golfops
expect_status 0
expect_stdout "/usr/share/man/man1/golfops.1"
for family in backup restore migrate limits health load verify config dev; do
  man -w "golfops-$family" >/dev/null 2>&1 || fail "man -w golfops-$family finds nothing"
done
man golfops-backup 2>/dev/null | grep -q "golfops backup prune" || fail "man golfops-backup lacks prune"
completed=$(bash -c 'source /usr/share/bash-completion/completions/golfops
  COMP_WORDS=(golfops ba); COMP_CWORD=1; _golfops; echo "${COMPREPLY[*]}"')
[[ "$completed" == backup ]] || fail "bash completes 'golfops ba' to '$completed'"
getent passwd golfops >/dev/null || fail "no golfops user"
[[ $(stat -c '%U %a' /var/backups/golfops) == "golfops 700" ]] || fail "/var/backups/golfops: $(stat -c '%U %a' /var/backups/golfops)"
[[ $(stat -c '%u %g %a' /var/lib/golfops 2>/dev/null || echo none) == "$state_before" ]] ||
  fail "installing changed /var/lib/golfops ($state_before)"

test_case "the units are valid and the backup timer can be enabled"
if command -v systemd-analyze >/dev/null; then
  run systemd-analyze verify /usr/lib/systemd/system/golfops-{backup,health,limits}.{service,timer}
  expect_status 0
  [[ ! -s "$RUN_ERR" ]] || fail "systemd-analyze verify: $(cat "$RUN_ERR")"
fi
if command -v systemctl >/dev/null; then
  run systemctl enable golfops-backup.timer
  expect_status 0
  [[ -L /etc/systemd/system/timers.target.wants/golfops-backup.timer ]] || fail "the timer is not enabled"
fi
run /usr/bin/golfops --config /etc/golfops/config.toml.example config show
expect_status 0

test_case "remove takes the program away and disables the timer; purge the example; backups stay"
touch /var/backups/golfops/keep-me
run dpkg -r golfops
expect_status 0
[[ ! -e /usr/bin/golfops && ! -e /usr/share/man/man1/golfops.1 ]] || fail "remove left the program"
[[ ! -e /etc/systemd/system/timers.target.wants/golfops-backup.timer ]] || fail "remove left the timer enabled"
[[ -e /etc/golfops/config.toml.example ]] || fail "remove took the conffile (only purge should)"
run dpkg -P golfops
expect_status 0
[[ ! -e /etc/golfops/config.toml.example ]] || fail "purge left the example config"
[[ -e /var/backups/golfops/keep-me ]] || fail "purge removed a backup"
rm /var/backups/golfops/keep-me

finish
