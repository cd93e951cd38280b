package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.netns.CommandRunner;

/**
 * The client beyond the host ({@link BeyondTheHost}) over one family: the host address it dials and
 * its own address. A published port reached from there must go through the switch's DNAT, so the
 * container's report server sees the client's own address (a relay would show the gateway's); the
 * checks each published-port IT makes of that, for TCP, UDP and conntrack, live here once.
 */
final class OutsideClient {
    /** The client's own address, as the report server prints it. */
    final String address;

    private final BeyondTheHost beyond;
    /** The host's address on the client's veth. */
    private final String host;

    private final boolean ipv6;

    OutsideClient(BeyondTheHost beyond, String host, String address) {
        this.beyond = beyond;
        this.host = host;
        this.address = address;
        this.ipv6 = host.contains(":");
    }

    /** The client's port as the server saw it, from an answer of the report server. */
    static String peerPort(String body) {
        return body.substring(body.lastIndexOf(':') + 1).strip();
    }

    String url(int port) {
        return "http://" + (ipv6 ? "[" + host + "]" : host) + ":" + port + "/";
    }

    /** What the report server answers this client on the host's {@code port} (curl retried while the path settles). */
    String get(int port) {
        return ipv6 ? beyond.curl(beyond.outside, "-6", url(port)) : beyond.curl(beyond.outside, url(port));
    }

    /** The server saw this client's own address: the connection went through the switch, not a relay. */
    String assertSeenAsItself(int port) {
        final String body = get(port);
        assertTrue(body.startsWith("client=" + address + " ") && body.contains("peer=" + address + ":"), body);
        return body;
    }

    /** A datagram to the host's {@code port} is echoed by the server, which saw this client's own address. */
    void assertUdpSeenAsItself(int port) {
        final CommandRunner.Result nc = beyond.f.lab.exec(
                beyond.outside, "sh", "-c", "echo hello | nc " + (ipv6 ? "-6 " : "") + "-u -w 2 " + host + " " + port);
        assertTrue(nc.stdout().startsWith("client=" + address + " peer=" + address + ":"), nc.stdout() + nc.stderr());
        assertTrue(nc.stdout().contains("hello"), nc.stdout());
    }

    /** A port published for the host's own clients only (on its loopback) is out of this client's reach. */
    void assertCannotReach(int port, String why) {
        assertFalse(
                beyond.f
                        .lab
                        .exec(beyond.outside, "curl", "-sS", "-g", "--max-time", "2", url(port))
                        .ok(),
                why);
    }

    /**
     * The switch tracked a connection of this client to the host's {@code port} as DNAT only (the
     * source kept as it was): from {@code sourcePort}, or from any port when it is null.
     */
    void assertTrackedAsDnat(String sourcePort, int port) {
        final JsonNode connections = beyond.f.ok("conntrack", "--json").json().path("connections");
        final String source = address + ":" + (sourcePort == null ? "" : sourcePort);
        boolean seen = false;
        for (JsonNode c : connections) {
            final String from = c.path("source").asText();
            seen |= (sourcePort == null ? from.startsWith(source) : from.equals(source))
                    && c.path("destination").asText().equals(host + ":" + port)
                    && c.path("nat").asText().equals("dnat");
        }
        assertTrue(seen, "the switch tracked the connection from " + source + " as DNAT only: " + connections);
    }
}
