/// The release this build is: in the CLI's `--version`, the retained `online` status, the
/// `sensor_gateway_build_info` metric and the Debian package's version (deploy/build-deb.sh asks
/// the built binary), so they can never disagree.
public enum GatewayVersion {
    public static let current = "0.2.0"
}
