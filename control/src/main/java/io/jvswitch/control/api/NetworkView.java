package io.jvswitch.control.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.model.NetworkIpv6;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.service.OverlayView;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A network shaped like {@code docker network inspect} output, so users' jq filters carry over. */
@JsonPropertyOrder({
    "Name",
    "Id",
    "Created",
    "Scope",
    "Driver",
    "EnableIPv4",
    "EnableIPv6",
    "IPAM",
    "Internal",
    "Attachable",
    "Containers",
    "Options",
    "Labels",
    "Overlay"
})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NetworkView(
        @JsonProperty("Name") String name,
        @JsonProperty("Id") String id,
        @JsonProperty("Created") String created,
        @JsonProperty("Scope") String scope,
        @JsonProperty("Driver") String driver,
        @JsonProperty("EnableIPv4") boolean enableIpv4,
        @JsonProperty("EnableIPv6") boolean enableIpv6,
        @JsonProperty("IPAM") Ipam ipam,
        @JsonProperty("Internal") boolean internal,
        @JsonProperty("Attachable") boolean attachable,
        @JsonProperty("Containers") Map<String, Container> containers,
        @JsonProperty("Options") Map<String, String> options,
        @JsonProperty("Labels") Map<String, String> labels,
        @JsonProperty("Overlay") OverlayView overlay) {

    public record Ipam(
            @JsonProperty("Driver") String driver,
            @JsonProperty("Options") Map<String, String> options,
            @JsonProperty("Config") List<IpamConfig> config) {}

    @JsonPropertyOrder({"Subnet", "IPRange", "Gateway", "AuxiliaryAddresses"})
    public record IpamConfig(
            @JsonProperty("Subnet") String subnet,
            @JsonProperty("IPRange") String ipRange,
            @JsonProperty("Gateway") String gateway,
            @JsonProperty("AuxiliaryAddresses") Map<String, String> auxiliaryAddresses) {}

    /** {@code state}: null when attached, else why it waits for its container (jvs's own field). */
    @JsonPropertyOrder({
        "Name",
        "EndpointID",
        "MacAddress",
        "IPv4Address",
        "IPv6Address",
        "Interface",
        "Container",
        "Waiting"
    })
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Container(
            @JsonProperty("Name") String name,
            @JsonProperty("EndpointID") String endpointId,
            @JsonProperty("MacAddress") String macAddress,
            @JsonProperty("IPv4Address") String ipv4Address,
            @JsonProperty("IPv6Address") String ipv6Address,
            @JsonProperty("Interface") String iface,
            @JsonProperty("Container") String container,
            @JsonProperty("Waiting") String waiting) {}

    /** One entry per address family the network has, IPv4 first, as Docker lists a dual-stack network. */
    private static List<IpamConfig> ipamConfig(NetworkRecord n) {
        final List<IpamConfig> config = new ArrayList<>(2);
        if (n.hasIpv4()) {
            config.add(new IpamConfig(
                    n.subnet(), n.ipRange(), n.gateway(), n.auxAddresses().isEmpty() ? null : n.auxAddresses()));
        }
        final NetworkIpv6 v6 = n.ipv6();
        if (v6 != null) {
            config.add(new IpamConfig(
                    v6.subnet(), v6.ipRange(), v6.gateway(), v6.auxAddresses().isEmpty() ? null : v6.auxAddresses()));
        }
        return config;
    }

    /** {@code 10.0.0.5/24}, or {@code ""} for no address of that family, as Docker shows it. */
    private static String withPrefix(String address, String subnet) {
        return address == null || subnet == null ? "" : address + subnet.substring(subnet.indexOf('/'));
    }

    public static NetworkView of(NetworkRecord n, List<EndpointRecord> endpoints) {
        return of(n, endpoints, null);
    }

    /** With the live VXLAN side of an overlay network ({@code overlay} null for other networks). */
    public static NetworkView of(NetworkRecord n, List<EndpointRecord> endpoints, OverlayView overlay) {
        return of(n, endpoints, overlay, Map.of());
    }

    /** With why endpoints wait for their containers ({@code waiting}: endpoint id to reason). */
    public static NetworkView of(
            NetworkRecord n, List<EndpointRecord> endpoints, OverlayView overlay, Map<String, String> waiting) {
        final String subnet6 = n.ipv6() == null ? null : n.ipv6().subnet();
        final Map<String, Container> containers = new LinkedHashMap<>();
        for (EndpointRecord e : endpoints) {
            containers.put(
                    e.id(),
                    new Container(
                            e.name(),
                            e.id(),
                            e.mac(),
                            withPrefix(e.ipv4(), n.subnet()),
                            withPrefix(e.ipv6(), subnet6),
                            e.ifname(),
                            e.target().toString(),
                            waiting.get(e.id())));
        }
        return new NetworkView(
                n.name(),
                n.id(),
                n.created(),
                n.scope(),
                n.driver(),
                n.hasIpv4(),
                n.enableIpv6(),
                new Ipam("default", Map.of(), ipamConfig(n)),
                n.internal(),
                true,
                containers,
                Map.of("com.jvswitch.network.mtu", Integer.toString(n.mtu())),
                Map.of(),
                overlay);
    }
}
