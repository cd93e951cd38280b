package io.jvswitch.control.lab;

import java.util.Map;

/**
 * Builds the pieces of two-host VXLAN topologies out of namespaces, for the overlay tests, the
 * demo and the benchmark harness: an underlay link between two host namespaces, and a host whose
 * overlay is the Linux kernel's own (bridge + vxlan device + a veth to a container namespace), the
 * reference jvs is compared against and interoperates with.
 */
public final class OverlayLab {
    private final NetnsLab lab;

    public OverlayLab(NetnsLab lab) {
        this.lab = lab;
    }

    /**
     * Joins two host namespaces with a veth pair named {@code ifA}/{@code ifB}, addressed
     * {@code addressA}/{@code addressB} (with prefix, e.g. "10.200.0.1/24"), both up.
     */
    public void underlay(String hostA, String ifA, String addressA, String hostB, String ifB, String addressB) {
        lab.check(hostA, "ip", "link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", hostB);
        lab.check(hostA, "ip", "addr", "add", addressA, "dev", ifA);
        lab.check(hostA, "ip", "link", "set", ifA, "up");
        lab.check(hostB, "ip", "addr", "add", addressB, "dev", ifB);
        lab.check(hostB, "ip", "link", "set", ifB, "up");
    }

    /**
     * A shared L2 underlay: a Linux bridge {@code br0} in namespace {@code switchNamespace} (the
     * underlay network, not the data path) and one veth from it into each host namespace, named
     * {@code ifname} there, with the host's address (with prefix, e.g. "10.210.0.1/24").
     */
    public void bridgedUnderlay(String switchNamespace, String ifname, Map<String, String> addressByHost) {
        lab.check(switchNamespace, "ip", "link", "add", "br0", "type", "bridge");
        lab.check(switchNamespace, "ip", "link", "set", "br0", "up");
        int port = 0;
        for (Map.Entry<String, String> host : addressByHost.entrySet()) {
            final String side = "p" + port++;
            lab.check(
                    switchNamespace,
                    "ip",
                    "link",
                    "add",
                    side,
                    "type",
                    "veth",
                    "peer",
                    "name",
                    ifname,
                    "netns",
                    host.getKey());
            lab.check(switchNamespace, "ip", "link", "set", side, "master", "br0");
            lab.check(switchNamespace, "ip", "link", "set", side, "up");
            lab.check(host.getKey(), "ip", "addr", "add", host.getValue(), "dev", ifname);
            lab.check(host.getKey(), "ip", "link", "set", ifname, "up");
        }
    }

    /**
     * Makes {@code host} a kernel VXLAN host: vxlan device {@code vx0} (VNI, port 4789, static
     * remote) enslaved to bridge {@code br0} with a veth to {@code container}, which gets
     * {@code containerAddress} (with prefix) and MTU 1450.
     */
    public void kernelVxlanHost(
            String host,
            String underlayIf,
            int vni,
            String local,
            String remote,
            String container,
            String containerAddress) {
        kernelVxlanHost(host, underlayIf, vni, local, remote, container, 1450, containerAddress);
    }

    /**
     * As above, over an underlay of either family ({@code local}/{@code remote} IPv6 make the
     * vxlan device's underlay IPv6), with the container's MTU and addresses of either family
     * (IPv6 ones usable at once: {@code nodad}).
     */
    public void kernelVxlanHost(
            String host,
            String underlayIf,
            int vni,
            String local,
            String remote,
            String container,
            int mtu,
            String... containerAddresses) {
        lab.check(
                host,
                "ip",
                "link",
                "add",
                "vx0",
                "type",
                "vxlan",
                "id",
                Integer.toString(vni),
                "dstport",
                "4789",
                "remote",
                remote,
                "local",
                local,
                "dev",
                underlayIf);
        lab.check(host, "ip", "link", "add", "br0", "type", "bridge");
        lab.check(host, "ip", "link", "set", "vx0", "master", "br0");
        lab.check(host, "ip", "link", "add", "kv0", "type", "veth", "peer", "name", "eth0", "netns", container);
        lab.check(host, "ip", "link", "set", "kv0", "master", "br0");
        lab.check(host, "ip", "link", "set", "kv0", "mtu", Integer.toString(mtu));
        for (String link : new String[] {"vx0", "br0", "kv0"}) {
            lab.check(host, "ip", "link", "set", link, "up");
        }
        lab.check(container, "ip", "link", "set", "eth0", "mtu", Integer.toString(mtu));
        for (String address : containerAddresses) {
            if (address.indexOf(':') >= 0) {
                lab.check(container, "ip", "addr", "add", address, "dev", "eth0", "nodad");
            } else {
                lab.check(container, "ip", "addr", "add", address, "dev", "eth0");
            }
        }
        lab.check(container, "ip", "link", "set", "eth0", "up");
    }
}
