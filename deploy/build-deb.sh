#!/usr/bin/env bash
# Builds dist/sensor-gateway_<version>_<arch>.deb: the gateway and simulator (Swift runtime
# linked statically), the systemd unit and the example config. Install with
#   sudo apt install ./dist/sensor-gateway_*.deb
# then edit /etc/sensor-gateway/gateway.conf and `sudo systemctl restart sensor-gateway`.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${VERSION:-0.1.0}
arch=$(dpkg --print-architecture)
scripts/setup.sh
swift build -c release --static-swift-stdlib --scratch-path .build-static
bin=$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
install -Dm755 "$bin/sensor-gateway" "$root/usr/bin/sensor-gateway"
install -Dm755 "$bin/sensor-sim" "$root/usr/bin/sensor-sim"
install -Dm644 deploy/sensor-gateway.service "$root/lib/systemd/system/sensor-gateway.service"
install -Dm644 deploy/gateway.conf "$root/etc/sensor-gateway/gateway.conf"
install -Dm644 README.md "$root/usr/share/doc/sensor-gateway/README.md"
for doc in docs/*.md; do install -Dm644 "$doc" "$root/usr/share/doc/sensor-gateway/$(basename "$doc")"; done
install -Dm755 deploy/debian/postinst "$root/DEBIAN/postinst"
install -Dm755 deploy/debian/prerm "$root/DEBIAN/prerm"
echo "/etc/sensor-gateway/gateway.conf" > "$root/DEBIAN/conffiles"
cat > "$root/DEBIAN/control" <<CONTROL
Package: sensor-gateway
Version: $version
Architecture: $arch
Maintainer: sensor-gateway maintainers <root@localhost>
Depends: libmosquitto1, adduser
Recommends: mosquitto
Section: net
Priority: optional
Description: MQTT temperature gateway with a crash-safe journal and gap recovery
 Subscribes to sensor readings, journals them on local disk, reorders, asks sensors to
 resend what is missing, fills what cannot be recovered with flagged synthetic readings,
 and republishes a complete, ordered, quality-flagged stream on cleaned/ topics.
CONTROL
mkdir -p dist
dpkg-deb --root-owner-group --build "$root" "dist/sensor-gateway_${version}_${arch}.deb"
