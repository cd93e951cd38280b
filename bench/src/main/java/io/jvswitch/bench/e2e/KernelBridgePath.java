package io.jvswitch.bench.e2e;

import io.jvswitch.control.lab.NetnsLab;

/**
 * The kernel's reference: a Linux bridge in a host namespace, a veth pair to each container. The
 * IPv6 variant ({@code bridge6}) gives the containers IPv6 addresses only, for the jvs switch's
 * IPv6 path to be measured against.
 */
final class KernelBridgePath implements DataplanePath {
    private final boolean ipv6;
    private Endpoints endpoints;
    private String host;

    /** The IPv4 reference, {@code bridge}. */
    KernelBridgePath() {
        this(false);
    }

    KernelBridgePath(boolean ipv6) {
        this.ipv6 = ipv6;
    }

    @Override
    public String key() {
        return ipv6 ? "bridge6" : "bridge";
    }

    @Override
    public String title() {
        return ipv6 ? "kernel bridge+veth, IPv6" : "kernel bridge+veth";
    }

    @Override
    public String referenceKey() {
        return key();
    }

    @Override
    public String notMeasured(Figure figure) {
        final String ipv6Note = ipv6 ? Ipv6Paths.notMeasured(figure) : null;
        return ipv6Note != null ? ipv6Note : DataplanePath.super.notMeasured(figure);
    }

    @Override
    public void setUp(NetnsLab lab, BenchWorkspace workspace) {
        final String prefix = ipv6 ? "br6" : "br";
        host = lab.add(prefix + "host");
        final String client = lab.add(prefix + "c");
        final String server = lab.add(prefix + "s");
        lab.check(host, "ip", "link", "add", "br0", "type", "bridge");
        lab.check(host, "ip", "link", "set", "br0", "up");
        plug(lab, host, client, "vc", ipv6 ? "fd00:201::1/64" : "10.201.0.1/24");
        plug(lab, host, server, "vs", ipv6 ? "fd00:201::2/64" : "10.201.0.2/24");
        endpoints = new Endpoints(client, server, ipv6 ? "fd00:201::2" : "10.201.0.2");
    }

    @Override
    public boolean hasPairs() {
        return !ipv6;
    }

    @Override
    public Endpoints addPair(NetnsLab lab, int index) {
        final String client = lab.add("brc" + index);
        final String server = lab.add("brs" + index);
        plug(lab, host, client, "vc" + index, "10.201.0." + (10 + index) + "/24");
        plug(lab, host, server, "vs" + index, "10.201.0." + (20 + index) + "/24");
        return new Endpoints(client, server, "10.201.0." + (20 + index));
    }

    private void plug(NetnsLab lab, String host, String container, String hostEnd, String address) {
        lab.check(host, "ip", "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", container);
        lab.check(host, "ip", "link", "set", hostEnd, "master", "br0", "up");
        if (ipv6) {
            // usable at once, as jvs attach's nodad address is
            lab.check(container, "ip", "addr", "add", address, "dev", "eth0", "nodad");
        } else {
            lab.check(container, "ip", "addr", "add", address, "dev", "eth0");
        }
        lab.check(container, "ip", "link", "set", "eth0", "up");
    }

    @Override
    public Endpoints endpoints() {
        return endpoints;
    }
}
