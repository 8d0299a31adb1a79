#!/usr/bin/env bash
# Builds the Debian packages in dist/ (the Swift runtime linked statically; shared-library
# dependencies computed by dpkg-shlibdeps):
#   sensor-gateway_<version>_<arch>.deb          the gateway, its systemd unit, man page and
#                                                example configuration
#   sensor-gateway-dbgsym_<version>_<arch>.deb   its debug symbols (/usr/lib/debug/.build-id/),
#                                                for gdb and for symbolising a crash report
#   sensor-gateway-sim_<version>_<arch>.deb      sensor-sim, the fault-injecting simulator and
#                                                verifier: for test benches, not production boxes
# <version> is the gateway's own (`sensor-gateway --version`) with Debian revision 1, unless
# VERSION (the gateway's) or DEBIAN_REVISION say otherwise. MAINTAINER sets the Maintainer field.
# BUILD=debug packages the debug build in .build instead (the one the test suite has just made:
# a relink, not a second half-hour build), gzip-compressed: for testing the packaging in CI
# (.ci/run runs `BUILD=debug deploy/test-deb.sh`), never for a box, as it is unoptimised.
# Install with `sudo apt install ./dist/sensor-gateway_*.deb`, then edit
# /etc/sensor-gateway/gateway.conf and `sudo systemctl restart sensor-gateway`.
# `apt purge sensor-gateway` also removes /var/lib/sensor-gateway and /etc/sensor-gateway.
# deploy/test-deb.sh builds, lints, installs, removes and purges them.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 022
export LC_ALL=C.UTF-8
arch=$(dpkg --print-architecture)
maintainer=${MAINTAINER:-"sensor-gateway maintainers <maintainers@users.noreply.b-seed-7e536dbd.example>"}
scripts/setup.sh
for tool in dpkg-deb dpkg-shlibdeps objcopy strip gzip; do
    command -v "$tool" >/dev/null || { echo "error: $tool is needed (apt-get install dpkg-dev binutils)" >&2; exit 1; }
done

# The release build, statically linked with the Swift runtime (no Swift on the boxes). The linker
# flags are Debian's hardening defaults that Swift's driver does not set (full RELRO).
hardening=(-Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now)
case "${BUILD:-release}" in
release)
    scratch=.build-static
    compression=(-Zxz)
    swift_build=(swift build -c release --static-swift-stdlib --scratch-path "$scratch" "${hardening[@]}")
    ;;
debug)
    # A debug link keeps every member of Foundation's static libraries that the release build's
    # dead stripping drops, and those need Foundation's own C and collection libraries, which
    # the static link does not name: name them, as one group since they refer to each other.
    scratch=.build
    compression=(-Zgzip -z1)
    foundation=()
    for flag in --start-group -lFoundation -lFoundationInternationalization -lFoundationEssentials \
        -lCoreFoundation -l_FoundationICU -l_FoundationCollections -l_FoundationCShims \
        -lswiftSynchronization -lswiftCore --end-group; do
        foundation+=(-Xlinker "$flag")
    done
    swift_build=(swift build --static-swift-stdlib --scratch-path "$scratch" "${hardening[@]}" "${foundation[@]}")
    ;;
*) echo "error: BUILD is release or debug, not ${BUILD}" >&2; exit 1 ;;
esac
for product in sensor-gateway sensor-sim generate-manual; do "${swift_build[@]}" --product "$product"; done
bin=$("${swift_build[@]}" --show-bin-path)
if [ "${BUILD:-release}" = debug ]; then
    # The static link recompiled some of the debug build's objects for the static runtime (their
    # autolink entries name its libraries), and a plain `swift build` would not make them again
    # (its dynamic link would fail): remove them, so it does.
    find "$bin/" -name '*.o' -print0 | while IFS= read -r -d '' object; do
        if readelf -p .swift1_autolink_entries "$object" 2>/dev/null | grep -q 'CoreFoundation\|_FoundationCShims'; then rm -f "$object"; fi
    done
fi

upstream=${VERSION:-$("$bin/sensor-gateway" --version)}
version="$upstream-${DEBIAN_REVISION:-1}"
# Timestamps in the packages and their changelogs: the commit's, so a commit builds the same bytes.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
changelog_date=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p dist

# shlibs:Depends of BINARY, as dpkg-shlibdeps computes it (it wants a debian/control to read).
depends_of() {
    mkdir -p "$work/shlibs/debian"
    printf 'Source: sensor-gateway\n\nPackage: sensor-gateway\nArchitecture: any\n' > "$work/shlibs/debian/control"
    (cd "$work/shlibs" && dpkg-shlibdeps -O "$1" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
}

# Installs BINARY stripped as ROOT/usr/bin/NAME and, given DBGROOT, its debug information (and
# symbol table) in DBGROOT/usr/lib/debug/.build-id/, as dh_strip does; prints the build id.
install_stripped() { # BINARY ROOT [DBGROOT]
    local binary=$1 root=$2 dbgroot=${3:-} name id
    name=$(basename "$binary")
    id=$(readelf -n "$binary" | sed -n 's/^ *Build ID: *//p')
    [ -n "$id" ] || { echo "error: $binary has no build id" >&2; exit 1; }
    install -Dm755 "$binary" "$root/usr/bin/$name"
    if [ -z "$dbgroot" ]; then
        strip --remove-section=.comment --remove-section=.note "$root/usr/bin/$name"
        echo "$id"
        return
    fi
    mkdir -p "$dbgroot/usr/lib/debug/.build-id/${id:0:2}"
    local debug="$dbgroot/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug"
    objcopy --only-keep-debug --compress-debug-sections "$root/usr/bin/$name" "$debug"
    chmod 644 "$debug"
    strip --remove-section=.comment --remove-section=.note "$root/usr/bin/$name"
    objcopy --add-gnu-debuglink="$debug" "$root/usr/bin/$name"
    echo "$id"
}

# The Debian changelog of a package: one entry for this build.
debian_changelog() { # NAME DOCDIR
    {
        echo "$1 ($version) unstable; urgency=medium"
        echo
        echo "  * Built from sensor-gateway $upstream$(git rev-parse --short HEAD 2>/dev/null | sed 's/^/ (commit /; s/$/)/')."
        echo "    The upstream changes are in /usr/share/doc/sensor-gateway/changelog.gz."
        echo
        echo " -- $maintainer  $changelog_date"
    } | gzip -9n > "$2/changelog.Debian.gz"
}

# A man page from the command's own argument parser (swift-argument-parser's generate-manual,
# the tool behind `swift package plugin generate-manual`, run on the built binary).
man_page() { # BINARY ROOT
    local out="$work/man-$(basename "$1")"
    mkdir -p "$out" "$2/usr/share/man/man1"
    "$bin/generate-manual" "$1" --output-directory "$out" --section 1 \
        --date "$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)" --authors "$maintainer"
    gzip -9n < "$out/$(basename "$1").1" > "$2/usr/share/man/man1/$(basename "$1").1.gz"
}

control() { # NAME ROOT FIELDS...
    local name=$1 root=$2
    shift 2
    local size
    size=$(du -k -s --apparent-size --exclude=DEBIAN "$root" | cut -f1)
    {
        echo "Package: $name"
        [ "$name" = sensor-gateway ] || echo "Source: sensor-gateway"
        echo "Version: $version"
        echo "Architecture: $arch"
        echo "Maintainer: $maintainer"
        echo "Installed-Size: $size"
        printf '%s\n' "$@"
    } > "$root/DEBIAN/control"
    (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 -r md5sum) > "$root/DEBIAN/md5sums"
    dpkg-deb --root-owner-group "${compression[@]}" --build "$root" "dist/${name}_${version}_${arch}.deb"
}

doc() { install -Dm644 "$1" "$2"; }

# The Swift packages linked into PRODUCT: the checkout that each object file given to the linker
# was compiled from (the first source its dependency file names).
linked_packages() { # PRODUCT
    sed 's|/[^/]*$||' "$bin/$1.product/Objects.LinkFileList" | sort -u | while read -r dir; do
        cat "$dir"/*.d 2>/dev/null | grep -o -m1 'checkouts/[^/ ]*' || true
    done | sed 's|^checkouts/||' | sort -u
}

# deploy/debian/copyright must name every package linked in; their NOTICE files go with the
# binary (Apache-2.0 section 4(d)).
notices() { # PRODUCT OUTPUT
    local pkg
    : > "$2"
    for pkg in $(linked_packages "$1"); do
        grep -q "^Files: .*\.build-static/checkouts/$pkg/\*\|^ \.build-static/checkouts/$pkg/\*" deploy/debian/copyright ||
            { echo "error: $pkg is linked into $1 but deploy/debian/copyright does not name it" >&2; exit 1; }
        if [ -f "$scratch/checkouts/$pkg/NOTICE.txt" ]; then
            printf '=== %s (.build-static/checkouts/%s/NOTICE.txt)\n\n' "$pkg" "$pkg" >> "$2"
            cat "$scratch/checkouts/$pkg/NOTICE.txt" >> "$2"
            printf '\n' >> "$2"
        fi
    done
}

# --- sensor-gateway -------------------------------------------------------------------------
root=$work/gateway
dbg=$work/gateway-dbgsym
mkdir -p "$root/DEBIAN" "$dbg/DEBIAN"
gateway_id=$(install_stripped "$bin/sensor-gateway" "$root" "$dbg")
doc deploy/sensor-gateway.service "$root/lib/systemd/system/sensor-gateway.service"
doc deploy/gateway.conf "$root/etc/sensor-gateway/gateway.conf"
docs=$root/usr/share/doc/sensor-gateway
doc deploy/debian/copyright "$docs/copyright"
notices sensor-gateway "$work/NOTICE"
doc "$work/NOTICE" "$docs/NOTICE"
doc README.md "$docs/README.md"
for f in docs/*.md; do [ "$f" = docs/CHANGELOG.md ] || doc "$f" "$docs/$(basename "$f")"; done
gzip -9n < docs/CHANGELOG.md > "$docs/changelog.gz"
debian_changelog sensor-gateway "$docs"
for example in mosquitto.conf mosquitto.acl mosquitto-bridge.conf prometheus/scrape.yml prometheus/sensor-gateway.rules.yml \
    prometheus/sensor-gateway.rules.test.yml grafana/sensor-gateway.json; do
    doc "deploy/$example" "$docs/examples/$example"
done
man_page "$bin/sensor-gateway" "$root"
doc deploy/debian/sensor-gateway.lintian-overrides "$root/usr/share/lintian/overrides/sensor-gateway"
for script in postinst prerm postrm; do install -Dm755 "deploy/debian/$script" "$root/DEBIAN/$script"; done
echo "/etc/sensor-gateway/gateway.conf" > "$root/DEBIAN/conffiles"
depends=$(depends_of "$root/usr/bin/sensor-gateway")
control sensor-gateway "$root" \
    "Depends: ${depends:-libc6, libmosquitto1}, adduser" \
    "Recommends: mosquitto" \
    "Suggests: sensor-gateway-sim" \
    "Section: net" \
    "Priority: optional" \
    "Description: MQTT sensor gateway with a crash-safe journal and gap recovery" \
    " Subscribes to sensor readings on an MQTT broker, journals them on local disk," \
    " reorders them, asks sensors to resend what is missing, fills what cannot be" \
    " recovered with flagged synthetic readings, and republishes a complete, ordered," \
    " quality-flagged stream on cleaned/ topics. Runs as a sandboxed systemd service" \
    " with Prometheus metrics, a health check and a status page."

# Its debug symbols, as dh_strip's automatic -dbgsym packages are laid out.
mkdir -p "$dbg/usr/share/doc"
ln -s sensor-gateway "$dbg/usr/share/doc/sensor-gateway-dbgsym"
control sensor-gateway-dbgsym "$dbg" \
    "Depends: sensor-gateway (= $version)" \
    "Section: debug" \
    "Priority: optional" \
    "Auto-Built-Package: debug-symbols" \
    "Build-Ids: $gateway_id" \
    "Description: debug symbols for sensor-gateway"

# --- sensor-gateway-sim ---------------------------------------------------------------------
# Its debug symbols are left out: a test-bench tool.
root=$work/sim
mkdir -p "$root/DEBIAN"
install_stripped "$bin/sensor-sim" "$root" > /dev/null
docs=$root/usr/share/doc/sensor-gateway-sim
doc deploy/debian/copyright "$docs/copyright"
notices sensor-sim "$work/NOTICE-sim"
doc "$work/NOTICE-sim" "$docs/NOTICE"
doc docs/SIMULATOR.md "$docs/SIMULATOR.md"
debian_changelog sensor-gateway-sim "$docs"
doc deploy/debian/sensor-gateway-sim.lintian-overrides "$root/usr/share/lintian/overrides/sensor-gateway-sim"
man_page "$bin/sensor-sim" "$root"
depends=$(depends_of "$root/usr/bin/sensor-sim")
control sensor-gateway-sim "$root" \
    "Depends: ${depends:-libc6, libmosquitto1}" \
    "Section: net" \
    "Priority: optional" \
    "Description: simulated sensor fleet and verifier for sensor-gateway" \
    " Publishes readings with injected faults (lost, out of range, duplicated," \
    " reordered, corrupt) and scores a gateway's cleaned output. For test benches," \
    " not production boxes: it publishes on the sensors' topics."
ls -l dist/*_"$version"_"$arch".deb
