package io.jvswitch.bench.e2e;

import io.jvswitch.control.lab.NetnsLab;

import java.util.List;

/**
 * The kernel's published port, the reference of {@link JvsPublishedPortPath}, as Docker sets it
 * up without docker-proxy: a Linux bridge with the host's address on the container subnet, a veth
 * to the container, and iptables DNAT from the host's address to the container plus MASQUERADE
 * for what leaves the bridge, all in the host namespace ({@link PublishedPortTopology}).
 */
final class KernelDnatPath implements DataplanePath {
    static final String KEY = "kernel-nat";
    private static final String CONTAINER_ADDRESS = "10.76.0.2";

    private Endpoints endpoints;

    @Override
    public String key() {
        return KEY;
    }

    @Override
    public String title() {
        return "kernel iptables DNAT";
    }

    @Override
    public String referenceKey() {
        return KEY;
    }

    @Override
    public String unavailableReason() {
        return InstalledTools.missing(List.of("iptables", "python3"), "apt-get install iptables python3");
    }

    @Override
    public void setUp(NetnsLab lab, BenchWorkspace workspace) {
        final PublishedPortTopology topology = PublishedPortTopology.create(lab, "knat");
        final String host = topology.host();
        final String server = topology.server();
        lab.check(host, "ip", "link", "add", "br0", "type", "bridge");
        lab.check(host, "ip", "addr", "add", "10.76.0.1/24", "dev", "br0");
        lab.check(host, "ip", "link", "set", "br0", "up");
        lab.check(host, "ip", "link", "add", "vs", "type", "veth", "peer", "name", "eth0", "netns", server);
        lab.check(host, "ip", "link", "set", "vs", "master", "br0", "up");
        lab.check(server, "ip", "addr", "add", CONTAINER_ADDRESS + "/24", "dev", "eth0");
        lab.check(server, "ip", "link", "set", "eth0", "up");
        lab.check(server, "ip", "route", "add", "default", "via", "10.76.0.1");
        topology.linkOutside(lab);
        for (int port : PublishedPortTopology.PORTS) {
            for (String protocol : List.of("tcp", "udp")) {
                lab.check(
                        host,
                        "iptables",
                        "-t",
                        "nat",
                        "-A",
                        "PREROUTING",
                        "-p",
                        protocol,
                        "-d",
                        PublishedPortTopology.HOST_ADDRESS,
                        "--dport",
                        Integer.toString(port),
                        "-j",
                        "DNAT",
                        "--to-destination",
                        CONTAINER_ADDRESS + ":" + port);
            }
        }
        lab.check(
                host,
                "iptables",
                "-t",
                "nat",
                "-A",
                "POSTROUTING",
                "-s",
                PublishedPortTopology.CONTAINER_SUBNET,
                "!",
                "-o",
                "br0",
                "-j",
                "MASQUERADE");
        endpoints = topology.endpoints();
    }

    @Override
    public Endpoints endpoints() {
        return endpoints;
    }

    @Override
    public String notMeasured(Figure figure) {
        return PublishedPortTopology.notMeasured(figure, DataplanePath.super.notMeasured(figure));
    }
}
