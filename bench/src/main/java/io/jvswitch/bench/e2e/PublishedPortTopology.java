package io.jvswitch.bench.e2e;

import io.jvswitch.control.lab.NetnsLab;

import java.util.List;

/**
 * The topology of the published-port paths, the same for jvs and for the kernel: a host
 * namespace, a container namespace behind it on {@link #CONTAINER_SUBNET}, and an "outside"
 * namespace, a client beyond the host, joined to the host by a veth. The client reaches the
 * container at the host's address, {@link #HOST_ADDRESS}, on the published ports.
 *
 * @param host the host namespace (the jvs daemon, or the kernel's bridge and iptables rules)
 * @param server the container namespace
 * @param outside the client's namespace
 */
record PublishedPortTopology(String host, String server, String outside) {
    static final String HOST_ADDRESS = "10.79.0.1";
    static final String OUTSIDE_ADDRESS = "10.79.0.2";
    static final String CONTAINER_SUBNET = "10.76.0.0/24";
    /** iperf3's port (TCP and UDP) and the connection-rate accepter's. */
    static final List<Integer> PORTS = List.of(5201, ConnectionRateProbe.PORT);

    private static final String PING_NOTE =
            "a published port is a TCP/UDP port: ping reaches the host's own stack, not the translation";

    /** Creates the three namespaces, named {@code tag-host}, {@code tag-srv}, {@code tag-out}. */
    static PublishedPortTopology create(NetnsLab lab, String tag) {
        return new PublishedPortTopology(lab.add(tag + "-host"), lab.add(tag + "-srv"), lab.add(tag + "-out"));
    }

    /**
     * Joins the outside namespace to the host with veth {@code vo}, turns on forwarding in the
     * host namespace (only there: the sysctl is per namespace) and routes the client through it.
     * The client closes its connections first and so holds their TIME_WAIT: let it reuse those
     * ports, or a connection-rate test would run out of them.
     */
    void linkOutside(NetnsLab lab) {
        lab.check(host, "ip", "link", "add", "vo", "type", "veth", "peer", "name", "eth0", "netns", outside);
        lab.check(host, "ip", "addr", "add", HOST_ADDRESS + "/24", "dev", "vo");
        lab.check(host, "ip", "link", "set", "vo", "up");
        lab.check(host, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        lab.check(outside, "ip", "addr", "add", OUTSIDE_ADDRESS + "/24", "dev", "eth0");
        lab.check(outside, "ip", "link", "set", "eth0", "up");
        lab.check(outside, "ip", "route", "add", "default", "via", HOST_ADDRESS);
        lab.check(outside, "sysctl", "-q", "-w", "net.ipv4.tcp_tw_reuse=1");
    }

    /**
     * What is not measured on a published-port path: ping means nothing there, and the connection
     * rate is theirs; any other figure as for every path ({@code otherwise}).
     */
    static String notMeasured(Figure figure, String otherwise) {
        return switch (figure) {
            case PING_RTT -> PING_NOTE;
            case CONNECTIONS -> null;
            default -> otherwise;
        };
    }

    DataplanePath.Endpoints endpoints() {
        return new DataplanePath.Endpoints(outside, server, HOST_ADDRESS);
    }
}
