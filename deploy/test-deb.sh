#!/usr/bin/env bash
# Tests the Debian packages as a plant's image build would use them: builds them
# (deploy/build-deb.sh; SKIP_BUILD=1 tests what dist/ holds), runs lintian (no errors, no
# warnings that deploy/debian/sensor-gateway.lintian-overrides does not justify), installs them
# with dpkg where systemd is not running (as in a chroot), checks the user, the state folder, the
# unit's enablement, the man page and the configuration, then removes and purges them and checks
# what each leaves behind.
#
# Needs root and changes the system it runs on (a package, a system user): run it in CI or a
# throw-away container. It refuses to run where systemd is PID 1 (it would start the service)
# or where sensor-gateway is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "error: run as root (it installs the package)" >&2; exit 1; }
[ ! -d /run/systemd/system ] || { echo "error: systemd is running here; use a container or chroot" >&2; exit 1; }
if dpkg-query -W -f='${Status}' sensor-gateway 2>/dev/null | grep -q "installed"; then
    echo "error: sensor-gateway is installed here already; not touching it" >&2
    exit 1
fi
need=()
command -v lintian >/dev/null || need+=(lintian)
command -v man >/dev/null || need+=(man-db)
command -v dpkg-shlibdeps >/dev/null || need+=(dpkg-dev)
command -v file >/dev/null || need+=(file)
command -v readelf >/dev/null || need+=(binutils)
dpkg-query -W -f='${Status}' libmosquitto1 2>/dev/null | grep -q "ok installed" || need+=(libmosquitto1)
dpkg-query -W -f='${Status}' adduser 2>/dev/null | grep -q "ok installed" || need+=(adduser)
if [ ${#need[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
fi

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
step() { echo "--- $*"; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    step "build"
    start=$(date +%s)
    deploy/build-deb.sh
    echo "build-deb.sh took $(($(date +%s) - start)) s"
fi
arch=$(dpkg --print-architecture)
gateway=$(ls -t dist/sensor-gateway_*_"$arch".deb | head -1)
version=$(dpkg-deb -f "$gateway" Version)
dbgsym=dist/sensor-gateway-dbgsym_${version}_$arch.deb
sim=dist/sensor-gateway-sim_${version}_$arch.deb
for f in "$gateway" "$dbgsym" "$sim"; do [ -f "$f" ] || fail "$f was not built"; done

step "lintian $version"
# Errors and warnings fail; each override in the package says why it is there.
# (--show-overrides would make overridden warnings fail too. spelling-error-in-binary, at info
# level, are strings of ICU, Foundation and SwiftNIO.)
lint_status=0
lint=$(lintian --fail-on error,warning --display-info "$gateway" "$dbgsym" "$sim" 2>&1) || lint_status=$?
grep -v 'spelling-error-in-binary\|running with root privileges' <<< "$lint" || true
[ "$lint_status" -eq 0 ] || fail "lintian reports errors or warnings"

step "contents"
contents=$(dpkg-deb -c "$gateway")
grep -q ' ./usr/share/man/man1/sensor-gateway.1.gz$' <<< "$contents" || fail "no man page"
for f in copyright changelog.Debian.gz changelog.gz NOTICE; do
    grep -q " ./usr/share/doc/sensor-gateway/$f\$" <<< "$contents" || fail "no /usr/share/doc/sensor-gateway/$f"
done
maintainer=$(dpkg-deb -f "$gateway" Maintainer)
case "$maintainer" in *localhost*) fail "Maintainer is $maintainer" ;; esac
extract=$(mktemp -d)
trap 'rm -rf "$extract"' EXIT
dpkg-deb -x "$gateway" "$extract/gateway"
dpkg-deb -x "$dbgsym" "$extract/dbgsym"
file_info=$(file -L "$extract/gateway/usr/bin/sensor-gateway")
case "$file_info" in *", stripped"*) ;; *) fail "the binary is not stripped: $file_info" ;; esac
build_id=$(readelf -n "$extract/gateway/usr/bin/sensor-gateway" | sed -n 's/^ *Build ID: *//p')
debug_file=$extract/dbgsym/usr/lib/debug/.build-id/${build_id:0:2}/${build_id:2}.debug
[ -f "$debug_file" ] || fail "the -dbgsym package has no $debug_file"
sections=$(readelf -S "$debug_file" 2> /dev/null)
grep -q '\.debug_info' <<< "$sections" || fail "the debug file has no .debug_info"
grep -q '\.symtab' <<< "$sections" || fail "the debug file has no symbol table"
echo "binary $(du -h "$extract/gateway/usr/bin/sensor-gateway" | cut -f1), debug symbols $(du -h "$debug_file" | cut -f1), packages:"
ls -l "$gateway" "$dbgsym" "$sim"

step "install (systemd not running)"
dpkg -i "$gateway" "$dbgsym"
getent passwd sensor-gateway > /dev/null || fail "no sensor-gateway user"
getent group sensor-gateway > /dev/null || fail "no sensor-gateway group"
[ "$(getent passwd sensor-gateway | cut -d: -f7)" = /usr/sbin/nologin ] || fail "the user has a login shell"
[ "$(stat -c '%U:%G %a' /var/lib/sensor-gateway)" = "sensor-gateway:sensor-gateway 750" ] ||
    fail "/var/lib/sensor-gateway is $(stat -c '%U:%G %a' /var/lib/sensor-gateway 2>&1)"
[ -L /etc/systemd/system/multi-user.target.wants/sensor-gateway.service ] || fail "the unit is not enabled"
# deb-systemd-helper's record of what it enabled (it cleans those links up on purge).
grep -q 'multi-user.target.wants/sensor-gateway.service' /var/lib/systemd/deb-systemd-helper-enabled/sensor-gateway.service.dsh-also ||
    fail "deb-systemd-helper has no record of enabling the unit"
# (Read from the package: a minimal image may exclude /usr/share/man from what dpkg installs.)
page=$extract/gateway/usr/share/man/man1/sensor-gateway.1.gz
man --warnings -l "$page" 2>&1 > /dev/null | grep . && fail "man reports problems in the man page"
man -P cat -l "$page" 2> /dev/null | grep -q 'journal' || fail "the man page does not describe the subcommands"
sensor-gateway --version | grep -qF "${version%-*}" || fail "sensor-gateway --version is not ${version%-*}"
# The shipped configuration is valid as the service user reads it.
setpriv --reuid=sensor-gateway --regid=sensor-gateway --init-groups \
    sensor-gateway config check --config /etc/sensor-gateway/gateway.conf > /dev/null || fail "config check of the shipped gateway.conf"
# What the gateway would leave in its state folder: purge must remove it.
setpriv --reuid=sensor-gateway --regid=sensor-gateway --init-groups touch /var/lib/sensor-gateway/journal-test ||
    fail "the service user cannot write its state folder"

step "reinstall (an upgrade to the same version keeps the state)"
dpkg -i "$gateway"
[ -f /var/lib/sensor-gateway/journal-test ] || fail "reinstalling lost the state"

step "remove"
dpkg -r sensor-gateway-dbgsym sensor-gateway
[ ! -e /usr/bin/sensor-gateway ] || fail "remove left the binary"
[ -f /var/lib/sensor-gateway/journal-test ] || fail "remove deleted the state"
[ -f /etc/sensor-gateway/gateway.conf ] || fail "remove deleted the configuration"

step "purge"
dpkg -P sensor-gateway
[ ! -e /var/lib/sensor-gateway ] || fail "purge left /var/lib/sensor-gateway"
[ ! -e /etc/sensor-gateway ] || fail "purge left /etc/sensor-gateway"
[ ! -e /etc/systemd/system/multi-user.target.wants/sensor-gateway.service ] || fail "purge left the unit enabled"
! dpkg-query -W -f='${Status}' sensor-gateway 2>/dev/null | grep -q "installed" || fail "still installed"
# The system user stays (see deploy/debian/postrm); remove it here so the next run starts clean.
deluser --quiet --system sensor-gateway > /dev/null 2>&1 || true
delgroup --quiet --system sensor-gateway > /dev/null 2>&1 || true

step "sensor-gateway-sim"
dpkg -i "$sim"
sensor-sim --help > /dev/null || fail "sensor-sim --help"
dpkg -P sensor-gateway-sim

echo "OK: the packages build, lint, install, remove and purge as they should"
