package io.jvswitch.bench.e2e;

import io.jvswitch.control.lab.NetnsLab;

/** The kernel's reference: a Linux bridge in a host namespace, a veth pair to each container. */
final class KernelBridgePath implements DataplanePath {
    private Endpoints endpoints;

    @Override
    public String key() {
        return "bridge";
    }

    @Override
    public String title() {
        return "kernel bridge+veth";
    }

    @Override
    public void setUp(NetnsLab lab, BenchWorkspace workspace) {
        final String host = lab.add("brhost");
        final String client = lab.add("brc");
        final String server = lab.add("brs");
        lab.check(host, "ip", "link", "add", "br0", "type", "bridge");
        lab.check(host, "ip", "link", "set", "br0", "up");
        plug(lab, host, client, "vc", "10.201.0.1/24");
        plug(lab, host, server, "vs", "10.201.0.2/24");
        endpoints = new Endpoints(client, server, "10.201.0.2");
    }

    private static void plug(NetnsLab lab, String host, String container, String hostEnd, String address) {
        lab.check(host, "ip", "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", container);
        lab.check(host, "ip", "link", "set", hostEnd, "master", "br0", "up");
        lab.check(container, "ip", "addr", "add", address, "dev", "eth0");
        lab.check(container, "ip", "link", "set", "eth0", "up");
    }

    @Override
    public Endpoints endpoints() {
        return endpoints;
    }
}
