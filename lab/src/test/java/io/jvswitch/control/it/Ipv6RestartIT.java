package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A dual-stack network survives a daemon restart: the state file keeps both families. */
class Ipv6RestartIT {
    DaemonFixture f;

    @AfterEach
    void tearDown() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void aRestartedDaemonKeepsIpv6AddressesAndIpam() throws Exception {
        f = new DaemonFixture("jvsit-v6r");
        final String a = f.container("a");
        final String b = f.container("b");
        f.ok("network", "create", "web", "--ipv6", "--subnet", "10.91.0.0/24", "--subnet", "fd00:91::/64");
        f.ok("attach", "--netns", a, "--network", "web", "--name", "a");
        f.ok("attach", "--netns", b, "--network", "web", "--name", "b", "--ip6", "fd00:91::50");
        assertTrue(ping6(a, "fd00:91::50"));
        final String inspectBefore = f.ok("network", "inspect", "web").out();
        assertTrue(f.stateFile().contains("\"ipv6\""), f.stateFile());

        f.daemon.close(); // SIGTERM
        assertTrue(
                f.lab.check(a, "ip", "-o", "-6", "addr").contains("fd00:91::2/64"),
                "the container keeps its IPv6 address while jvs is down");
        f.startDaemon();

        assertEquals(inspectBefore, f.ok("network", "inspect", "web").out(), "same network and endpoints");
        assertTrue(ping6(a, "fd00:91::50"), "IPv6 flows again: proxy-NDP and port security know the addresses");
        assertTrue(ping6(b, "fd00:91::1"), "the gateway answers again");
        assertTrue(ping6(f.host, "fd00:91::2"), "the host link routes the IPv6 subnet again");
        final String c = f.container("c");
        f.ok("attach", "--netns", c, "--network", "web", "--name", "c");
        assertEquals(
                "fd00:91::3/64",
                f.ok("network", "inspect", "web").json().path(0).path("Containers").findValues("IPv6Address").stream()
                        .map(n -> n.asText())
                        .filter(s -> s.startsWith("fd00:91::3"))
                        .findFirst()
                        .orElse("none"),
                "IPAM remembers what is taken");
    }

    boolean ping6(String from, String address) {
        return f.lab.exec(from, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", address)
                .ok();
    }
}
