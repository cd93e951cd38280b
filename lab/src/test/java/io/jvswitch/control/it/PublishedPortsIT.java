package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Published ports reached from beyond the host go through the switch: the host's port rules send
 * them down the host link, the switch translates them, and the container sees the client's own
 * address and port. The host's own clients still go through the relay. Everything jvs adds to the
 * host's routing goes again on detach, on stop and after a kill -9, and a second daemon with other
 * ports does not disturb the first.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PublishedPortsIT {
    static final String HOST_IP = "10.61.0.1";
    static final String OUTSIDE_IP = "10.61.0.2";
    static DaemonFixture f;
    static BeyondTheHost beyond;
    static OutsideClient outside;
    static PublishedWeb web;

    @BeforeAll
    static void setUp() throws Exception {
        f = new DaemonFixture("jvsit-pub", false);
        beyond = new BeyondTheHost(f, HOST_IP, OUTSIDE_IP, null, null);
        outside = beyond.ipv4;
        web = new PublishedWeb(
                f, new HostRouting(f, "-4"), "front", "-p", "8080:80", "-p", "5353:53/udp", "-p", "127.0.0.1:9000:80");
        f.startDaemon();
        f.ok("network", "create", "front", "--subnet", "10.62.0.0/24");
        web.noteTheRoutingBeforeAttach();
        web.attach();
        beyond.startServer(web.netns, f.dir.resolve("web.log"), "80", "53", "4");
    }

    @AfterAll
    static void tearDown() throws Exception {
        BeyondTheHost.close(beyond, f);
    }

    /** The host's own client reached the container through the relay, so it is seen as the gateway. */
    static void assertRelayedFromTheGateway(String url) {
        final String body = beyond.curl(f.host, url);
        assertTrue(body.startsWith("client=10.62.0.1 "), body);
    }

    @Test
    @Order(1)
    void aClientBeyondTheHostIsSeenWithItsOwnAddressAndPort() {
        final String body = outside.assertSeenAsItself(8080);
        // The client's own port reaches the server: the one curl chose is the tracked connection's source.
        outside.assertTrackedAsDnat(OutsideClient.peerPort(body), 8080);
    }

    @Test
    @Order(2)
    void udpFromBeyondTheHostToo() {
        outside.assertUdpSeenAsItself(5353);
    }

    @Test
    @Order(3)
    void theHostsOwnClientsStillGoThroughTheRelay() {
        assertRelayedFromTheGateway("http://127.0.0.1:8080/");
        assertRelayedFromTheGateway("http://" + HOST_IP + ":8080/");
        assertRelayedFromTheGateway("http://127.0.0.1:9000/");
        outside.assertCannotReach(9000, "127.0.0.1:9000:80 is for this host's clients only");
    }

    @Test
    @Order(4)
    void portsSayWhichPathAndListTheHostRules() {
        final String ports = f.ok("ports").out();
        assertTrue(ports.contains("PATH"), ports);
        for (String line : ports.lines().skip(1).toList()) {
            if (line.contains("127.0.0.1:9000")) {
                assertTrue(line.strip().endsWith("host:relay"), line);
            } else {
                assertTrue(line.strip().endsWith("outside:dataplane host:relay"), line);
            }
        }
        final String hostRules = f.ok("ports", "--host-rules").out();
        assertTrue(hostRules.contains("ipproto tcp dport 8080 lookup"), hostRules);
        assertTrue(hostRules.contains("ipproto udp dport 5353 lookup"), hostRules);
        assertFalse(hostRules.contains("9000"), hostRules);
        assertTrue(hostRules.contains("iif lo goto 100") && hostRules.contains("100:"), hostRules);
        assertTrue(hostRules.contains("route " + HOST_IP + " via "), hostRules);
    }

    @Test
    @Order(5)
    void detachStopAndKillLeaveTheHostsRoutingAsItWas() throws Exception {
        web.assertDetachLeavesTheRoutingAsItWas();
        outside.assertSeenAsItself(8080);
        // A clean stop: the rules go, and come back with the restored endpoint.
        web.assertStopLeavesTheRoutingAsItWas();
        outside.assertSeenAsItself(8080);
        web.routing.assertKillLeavesRulesTheNextStartReplaces(8080);
        outside.assertSeenAsItself(8080);
        web.assertDetachLeavesTheRoutingAsItWas();
    }

    @Test
    @Order(6)
    void aSecondDaemonWithOtherPortsDoesNotDisturbTheFirst() throws Exception {
        final String other = f.container("other");
        try (SecondDaemon second = new SecondDaemon(f)) {
            second.ok("network", "create", "side", "--subnet", "10.63.0.0/24");
            second.ok("attach", "--netns", other, "--network", "side", "--name", "other", "-p", "8081:80");
            beyond.startServer(other, f.dir.resolve("other.log"), "80", "", "4");
            outside.assertSeenAsItself(8081);
            outside.assertSeenAsItself(8080);
            second.close();
            // the first daemon's port still works once the second stopped, and the second's rule went
            outside.assertSeenAsItself(8080);
            assertFalse(web.routing.rules().contains("dport 8081"), web.routing.rules());
        }
        web.assertLastDetachPutsTheRulesBack();
    }
}
