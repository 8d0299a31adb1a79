#!/usr/bin/env bash
# Builds two packages in dist/ (Swift runtime linked statically; shared-library dependencies
# computed by dpkg-shlibdeps):
#   sensor-gateway_<version>_<arch>.deb        the gateway, its systemd unit and example config
#   sensor-gateway-sim_<version>_<arch>.deb    sensor-sim, the fault-injecting simulator and
#                                              verifier: for test benches, not production boxes
# Install with `sudo apt install ./dist/sensor-gateway_*.deb`, then edit
# /etc/sensor-gateway/gateway.conf and `sudo systemctl restart sensor-gateway`.
# `apt purge sensor-gateway` also removes /var/lib/sensor-gateway and the service user.
set -euo pipefail
cd "$(dirname "$0")/.."
arch=$(dpkg --print-architecture)
scripts/setup.sh
swift build -c release --static-swift-stdlib --scratch-path .build-static
bin=$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)
# The package's version is the one the gateway reports (GatewayVersion.current), unless VERSION is set.
version=${VERSION:-$("$bin/sensor-gateway" --version)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p dist

# shlibs:Depends of BINARY, as dpkg-shlibdeps computes it (it wants a debian/control to read).
depends_of() {
    mkdir -p "$work/shlibs/debian"
    printf 'Source: sensor-gateway\n\nPackage: sensor-gateway\nArchitecture: any\n' > "$work/shlibs/debian/control"
    (cd "$work/shlibs" && dpkg-shlibdeps -O "$1" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
}

package() { # NAME ROOT DESCRIPTION-LINES [EXTRA CONTROL LINES]
    local name=$1 root=$2 description=$3 extra=${4:-}
    local depends; depends=$(depends_of "$root/usr/bin/"*)
    cat > "$root/DEBIAN/control" <<CONTROL
Package: $name
Version: $version
Architecture: $arch
Maintainer: sensor-gateway maintainers <root@localhost>
Depends: ${depends:-libmosquitto1}$extra
Section: net
Priority: optional
Description: $description
CONTROL
    dpkg-deb --root-owner-group --build "$root" "dist/${name}_${version}_${arch}.deb"
}

root=$work/gateway
mkdir -p "$root/DEBIAN"
install -Dm755 "$bin/sensor-gateway" "$root/usr/bin/sensor-gateway"
install -Dm644 deploy/sensor-gateway.service "$root/lib/systemd/system/sensor-gateway.service"
install -Dm644 deploy/gateway.conf "$root/etc/sensor-gateway/gateway.conf"
install -Dm644 README.md "$root/usr/share/doc/sensor-gateway/README.md"
for doc in docs/*.md; do install -Dm644 "$doc" "$root/usr/share/doc/sensor-gateway/$(basename "$doc")"; done
for example in mosquitto.conf mosquitto.acl mosquitto-bridge.conf prometheus/scrape.yml prometheus/sensor-gateway.rules.yml grafana/sensor-gateway.json; do
    install -Dm644 "deploy/$example" "$root/usr/share/doc/sensor-gateway/examples/$example"
done
for script in postinst prerm postrm; do install -Dm755 "deploy/debian/$script" "$root/DEBIAN/$script"; done
echo "/etc/sensor-gateway/gateway.conf" > "$root/DEBIAN/conffiles"
package sensor-gateway "$root" "MQTT temperature gateway with a crash-safe journal and gap recovery
 Subscribes to sensor readings, journals them on local disk, reorders, asks sensors to
 resend what is missing, fills what cannot be recovered with flagged synthetic readings,
 and republishes a complete, ordered, quality-flagged stream on cleaned/ topics." ", adduser
Recommends: mosquitto
Suggests: sensor-gateway-sim"

root=$work/sim
mkdir -p "$root/DEBIAN"
install -Dm755 "$bin/sensor-sim" "$root/usr/bin/sensor-sim"
install -Dm644 docs/SIMULATOR.md "$root/usr/share/doc/sensor-gateway-sim/SIMULATOR.md"
package sensor-gateway-sim "$root" "simulated sensor fleet and verifier for sensor-gateway (test benches only)
 Publishes readings with injected faults (lost, out of range, duplicated, reordered, corrupt)
 and scores a gateway's cleaned output. Not for production boxes: it publishes on sensor topics."
