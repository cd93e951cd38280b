package io.jvswitch.control.model;

import io.jvswitch.nat.PortMapping;

import java.util.List;

/**
 * A container's interface on one network. {@code target} says how to find the container's network
 * namespace again after a daemon restart; {@code ifname} is the interface name inside it, which is
 * also the persistent TAP's name there. {@code allowSpoofing} turns port security off for it.
 * {@code aliases} are more DNS names for it ({@code --alias}); absent in older state files.
 * {@code ports} are its published ports ({@code -p}), each with the host port it got.
 * {@code ipv6} is its IPv6 address on a dual-stack network, else null (and in older state files).
 * {@code ipv4} is null on an IPv6-only network.
 */
public record EndpointRecord(
        String id,
        String name,
        String network,
        ContainerRef target,
        String ifname,
        String mac,
        String ipv4,
        String created,
        boolean allowSpoofing,
        List<String> aliases,
        List<PortMapping> ports,
        String ipv6) {

    public EndpointRecord {
        aliases = aliases == null ? List.of() : List.copyOf(aliases);
        ports = ports == null ? List.of() : List.copyOf(ports);
    }

    /** An endpoint without an IPv6 address. */
    public EndpointRecord(
            String id,
            String name,
            String network,
            ContainerRef target,
            String ifname,
            String mac,
            String ipv4,
            String created,
            boolean allowSpoofing,
            List<String> aliases,
            List<PortMapping> ports) {
        this(id, name, network, target, ifname, mac, ipv4, created, allowSpoofing, aliases, ports, null);
    }

    public EndpointRecord(
            String id,
            String name,
            String network,
            ContainerRef target,
            String ifname,
            String mac,
            String ipv4,
            String created,
            boolean allowSpoofing) {
        this(id, name, network, target, ifname, mac, ipv4, created, allowSpoofing, List.of(), List.of());
    }

    /** Whether it has an IPv4 address: not on an IPv6-only network. */
    public boolean hasIpv4() {
        return ipv4 != null;
    }

    /** Its addresses for messages and logs: IPv4, IPv6 or both, space-separated. */
    public String addresses() {
        return ipv4 == null ? String.valueOf(ipv6) : ipv6 == null ? ipv4 : ipv4 + " " + ipv6;
    }

    /** The same endpoint with other published ports (a Docker plugin publishes after the join). */
    public EndpointRecord withPorts(List<PortMapping> newPorts) {
        return new EndpointRecord(
                id, name, network, target, ifname, mac, ipv4, created, allowSpoofing, aliases, newPorts, ipv6);
    }
}
