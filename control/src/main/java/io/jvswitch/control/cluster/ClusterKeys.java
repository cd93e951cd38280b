package io.jvswitch.control.cluster;

/**
 * The key layout under the cluster prefix ({@code /jvs/v1/} by default):
 * <pre>
 * hosts/&lt;host&gt;                  HostAdvert      under the host's lease
 * networks/&lt;network&gt;            ClusterNetwork  durable
 * vnis/&lt;vni&gt;                    network name    durable (the VNI's claim)
 * blocks/&lt;network&gt;/&lt;a.b.c.d-len&gt; OwnerClaim   durable (a host's address block)
 * addresses/&lt;network&gt;/&lt;ip&gt;    OwnerClaim      durable (an address and its endpoint)
 * endpoints/&lt;network&gt;/&lt;name&gt;  EndpointAdvert  under the owner's lease (also the name's claim)
 * blocks6/&lt;network&gt;/&lt;fd00:30::-112&gt; OwnerClaim  durable (a host's IPv6 address block)
 * addresses6/&lt;network&gt;/&lt;fd00:30::5&gt; OwnerClaim  durable (an IPv6 address and its endpoint)
 * subnets6/&lt;fd00:32::-64&gt;        network name    durable (an IPv6 subnet's claim, as vnis/ a VNI's)
 * </pre>
 * IPv6 blocks and addresses have keys of their own, so that a jvs from before IPv6 counts them as
 * records it cannot read instead of misreading them.
 * Each host's saved state ({@link HostStateRecord}, durable) sits beside the prefix, not under it
 * ({@code /jvs/v1-state/<host>} for {@code /jvs/v1/}): the daemons' read and watch of the prefix
 * never carry the other hosts' states.
 * Names are checked by the service before they reach a key ({@code [A-Za-z0-9_.-]}), so no part
 * holds a '/'.
 */
public record ClusterKeys(String prefix) {
    public static final String DEFAULT_PREFIX = "/jvs/v1/";

    public ClusterKeys {
        if (!prefix.endsWith("/")) {
            prefix = prefix + "/";
        }
    }

    public String hosts() {
        return prefix + "hosts/";
    }

    public String host(String name) {
        return hosts() + name;
    }

    public String networks() {
        return prefix + "networks/";
    }

    public String network(String name) {
        return networks() + name;
    }

    public String vni(int vni) {
        return prefix + "vnis/" + vni;
    }

    /** {@code cidr} as fd00:32::/64, stored as fd00:32::-64: claimed with the network, so two hosts picking one default cannot both win. */
    public String subnet6(String cidr) {
        return prefix + "subnets6/" + cidr.replace('/', '-');
    }

    public String blocks(String network) {
        return prefix + "blocks/" + network + "/";
    }

    /** {@code cidr} as 10.10.0.64/26, stored as 10.10.0.64-26. */
    public String block(String network, String cidr) {
        return blocks(network) + cidr.replace('/', '-');
    }

    public String addresses(String network) {
        return prefix + "addresses/" + network + "/";
    }

    public String address(String network, String ip) {
        return addresses(network) + ip;
    }

    public String blocks6(String network) {
        return prefix + "blocks6/" + network + "/";
    }

    /** {@code cidr} as fd00:30::1:0/112, stored as fd00:30::1:0-112. */
    public String block6(String network, String cidr) {
        return blocks6(network) + cidr.replace('/', '-');
    }

    public String addresses6(String network) {
        return prefix + "addresses6/" + network + "/";
    }

    public String address6(String network, String ip) {
        return addresses6(network) + ip;
    }

    public String endpoints(String network) {
        return prefix + "endpoints/" + network + "/";
    }

    public String endpoint(String network, String name) {
        return endpoints(network) + name;
    }

    /** Where the hosts' saved states are: beside the prefix, so that its read and watch leave them out. */
    public String hostStates() {
        return prefix.substring(0, prefix.length() - 1) + "-state/";
    }

    public String hostState(String host) {
        return hostStates() + host;
    }
}
