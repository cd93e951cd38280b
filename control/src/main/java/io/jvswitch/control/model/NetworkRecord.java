package io.jvswitch.control.model;

import java.util.List;
import java.util.Map;

/**
 * A network as the daemon keeps it in its state directory. Immutable; replaced on change.
 * {@code dns} are its own upstream DNS servers ({@code --dns}), empty for the daemon's defaults.
 * {@code masquerade} false turns source NAT off for a routed setup (null, as in older state files: on).
 * {@code overlay} is null for a network that lives on this host only (driver "bridge").
 * {@code ipv6} is its IPv6 side ({@code --ipv6}), null for an IPv4-only network and in older state files.
 * {@code subnet}, {@code gateway}, {@code ipRange} and {@code auxAddresses} are its IPv4 side: the
 * first three null on an IPv6-only network ({@code --ipv4=false}); see {@link #hasIpv4()}.
 */
public record NetworkRecord(
        String id,
        int dataplaneId,
        String name,
        String driver,
        String subnet,
        String gateway,
        String ipRange,
        Map<String, String> auxAddresses,
        boolean internal,
        int mtu,
        String created,
        List<String> dns,
        Boolean masquerade,
        OverlayRecord overlay,
        NetworkIpv6 ipv6) {

    public NetworkRecord {
        auxAddresses = auxAddresses == null ? Map.of() : Map.copyOf(auxAddresses);
        dns = dns == null ? List.of() : List.copyOf(dns);
    }

    /** An IPv4-only network. */
    public NetworkRecord(
            String id,
            int dataplaneId,
            String name,
            String driver,
            String subnet,
            String gateway,
            String ipRange,
            Map<String, String> auxAddresses,
            boolean internal,
            int mtu,
            String created,
            List<String> dns,
            Boolean masquerade,
            OverlayRecord overlay) {
        this(
                id,
                dataplaneId,
                name,
                driver,
                subnet,
                gateway,
                ipRange,
                auxAddresses,
                internal,
                mtu,
                created,
                dns,
                masquerade,
                overlay,
                null);
    }

    public NetworkRecord(
            String id,
            int dataplaneId,
            String name,
            String driver,
            String subnet,
            String gateway,
            String ipRange,
            Map<String, String> auxAddresses,
            boolean internal,
            int mtu,
            String created) {
        this(
                id,
                dataplaneId,
                name,
                driver,
                subnet,
                gateway,
                ipRange,
                auxAddresses,
                internal,
                mtu,
                created,
                List.of(),
                null,
                null);
    }

    /** Whether connections leaving by the host link are source-NATed (default, and state files from before it: yes). */
    public boolean masquerades() {
        return !Boolean.FALSE.equals(masquerade) && !internal;
    }

    public String shortId() {
        return id.substring(0, 12);
    }

    /** An overlay network (VXLAN across hosts); not a property of the state file. */
    public boolean spansHosts() {
        return overlay != null;
    }

    /** "global" for a network of the cluster store (one VNI, every host), else "local". */
    public String scope() {
        return overlay != null && overlay.clusterWide() ? "global" : "local";
    }

    public boolean clusterWide() {
        return overlay != null && overlay.clusterWide();
    }

    public NetworkRecord withOverlay(OverlayRecord next) {
        return new NetworkRecord(
                id,
                dataplaneId,
                name,
                driver,
                subnet,
                gateway,
                ipRange,
                auxAddresses,
                internal,
                mtu,
                created,
                dns,
                masquerade,
                next,
                ipv6);
    }

    /**
     * Whether the network has an IPv4 side: Docker's {@code EnableIPv4}. False only for an
     * IPv6-only network; state files from before those had IPv4 on every network.
     */
    public boolean hasIpv4() {
        return subnet != null;
    }

    /** Whether the network has an IPv6 side ({@code --ipv6}): Docker's {@code EnableIPv6}. */
    public boolean enableIpv6() {
        return ipv6 != null;
    }

    public NetworkRecord withIpv6(NetworkIpv6 next) {
        return new NetworkRecord(
                id,
                dataplaneId,
                name,
                driver,
                subnet,
                gateway,
                ipRange,
                auxAddresses,
                internal,
                mtu,
                created,
                dns,
                masquerade,
                overlay,
                next);
    }
}
