package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.lab.OverlayLab;
import io.jvswitch.control.netns.CommandRunner;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * IPv6-only overlays with static peers ({@code --ipv4=false --ipv6 --driver overlay --local
 * --peer}): two jvs hosts (namespaces) joined by a veth that has both families, one overlay over
 * the IPv4 underlay and one over the IPv6 underlay, each host handing out addresses from its own
 * IPv6 {@code --ip-range}. The containers have no IPv4 address at all: ping6 and curl -6 both ways.
 */
class Ipv6OnlyOverlayIT {
    static DaemonFixture a;
    static DaemonFixture b;
    static String c1;
    static String c2;
    static String c3;
    static String c4;

    @BeforeAll
    static void setUp() throws Exception {
        a = new DaemonFixture("jvsit-o6a");
        b = new DaemonFixture("jvsit-o6b");
        new OverlayLab(a.lab).underlay(a.host, "ua", "10.214.0.1/24", b.host, "ub", "10.214.0.2/24");
        a.lab.check(a.host, "ip", "addr", "add", "fd00:214::1/64", "dev", "ua", "nodad");
        b.lab.check(b.host, "ip", "addr", "add", "fd00:214::2/64", "dev", "ub", "nodad");
        a.ok(overlay("ov6", "31", "fd00:31::a:0/112", "10.214.0.1", "10.214.0.2"));
        b.ok(overlay("ov6", "31", "fd00:31::b:0/112", "10.214.0.2", "10.214.0.1"));
        a.ok(overlay("ov6u", "33", "fd00:33::a:0/112", "fd00:214::1", "fd00:214::2"));
        b.ok(overlay("ov6u", "33", "fd00:33::b:0/112", "fd00:214::2", "fd00:214::1"));
        c1 = a.container("c1");
        c2 = b.container("c2");
        c3 = a.container("c3");
        c4 = b.container("c4");
        // no address options: each host's own --ip-range keeps the two hosts' choices apart
        a.ok("attach", "--netns", c1, "--network", "ov6", "--name", "c1");
        b.ok("attach", "--netns", c2, "--network", "ov6", "--name", "c2");
        a.ok("attach", "--netns", c3, "--network", "ov6u", "--name", "c3");
        b.ok("attach", "--netns", c4, "--network", "ov6u", "--name", "c4", "--ip6", "fd00:33::b:44");
    }

    static String[] overlay(String name, String vni, String range, String local, String peer) {
        final String subnet = range.substring(0, range.indexOf("::")) + "::/64";
        return new String[] {
            "network",
            "create",
            name,
            "--driver",
            "overlay",
            "--ipv4=false",
            "--ipv6",
            "--subnet",
            subnet,
            "--ip-range",
            range,
            "--vni",
            vni,
            "--local",
            local,
            "--peer",
            peer
        };
    }

    @AfterAll
    static void tearDown() {
        DaemonFixture.closeKeepingLogs("Ipv6OnlyOverlayIT", a, b);
    }

    static long arpAnswered(DaemonFixture f, String network) {
        return f.ok("stats", "--json")
                .json()
                .path("networks")
                .path(network)
                .path("arpAnswered")
                .asLong();
    }

    static long networkCounter(DaemonFixture f, String network, String counter) {
        return f.ok("stats", "--json")
                .json()
                .path("networks")
                .path(network)
                .path(counter)
                .asLong();
    }

    /**
     * After a first exchange taught host A where {@code target} (an endpoint on host B) lives, from
     * the neighbor discovery that crossed the tunnel, {@code client}'s next solicitation for it is
     * answered by host A's switch: A's {@code remoteNdpAnswered} rises, and host B's underlay link
     * {@code underlayB} (tcpdump, the VXLAN inner frames decoded) carries no solicitation for it while
     * it carries the ping itself.
     */
    static void secondSolicitationIsAnsweredLocally(
            DaemonFixture a, String client, DaemonFixture b, String underlayB, String network, String target)
            throws Exception {
        final long answeredOnA = networkCounter(a, network, "remoteNdpAnswered");
        final Path out = b.dir.resolve("second-ns-" + network + ".txt");
        final Process tcpdump =
                b.lab.start(b.host, out, "timeout", "30", "tcpdump", "-i", underlayB, "-l", "-nn", "udp port 4789");
        try {
            Readiness.printed(out, "listening on");
            a.lab.check(client, "ip", "-6", "neigh", "flush", "all");
            assertTrue(
                    a.lab.exec(client, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", target)
                            .ok(),
                    "ping6 " + target + " again\n" + a.daemon.logText());
            Await.until(
                    "host A answered the second solicitation for " + target,
                    Duration.ofSeconds(5),
                    () -> networkCounter(a, network, "remoteNdpAnswered") > answeredOnA);
        } finally {
            tcpdump.destroy();
            tcpdump.waitFor();
        }
        final String underlay = Files.readString(out);
        assertTrue(underlay.contains("ICMP6, echo request"), "the capture saw the pings cross:\n" + underlay);
        assertFalse(
                underlay.contains("who has " + target),
                "no solicitation for " + target + " crossed the tunnel:\n" + underlay);
    }

    /** The neighbor solicitations a container's kernel received (its namespace's /proc/net/snmp6). */
    static long solicitationsReceived(DaemonFixture f, String container) {
        return f.lab.check(container, "cat", "/proc/net/snmp6")
                .lines()
                .filter(l -> l.startsWith("Icmp6InNeighborSolicits"))
                .mapToLong(l -> Long.parseLong(l.strip().split("\\s+")[1]))
                .sum();
    }

    @Test
    void containersOnTwoHostsReachEachOtherOverIpv6Only() throws Exception {
        final String ip61 = ClusterIpv6IT.ip6Of(a, "ov6", "c1");
        final String ip62 = ClusterIpv6IT.ip6Of(b, "ov6", "c2");
        assertTrue(ip61.startsWith("fd00:31::a:"), "host A's address from its own range: " + ip61);
        assertTrue(ip62.startsWith("fd00:31::b:"), "host B's address from its own range: " + ip62);
        final JsonNode inspect = a.ok("network", "inspect", "ov6").json().path(0);
        assertFalse(inspect.path("EnableIPv4").asBoolean(true), inspect.toString());
        assertTrue(inspect.path("EnableIPv6").asBoolean(), inspect.toString());
        assertEquals(
                "10.214.0.2",
                inspect.path("Overlay").path("Peers").path(0).path("Address").asText());
        assertEquals(
                "",
                Ipv6OnlyNetworkIT.container(inspect, "c1").path("IPv4Address").asText(),
                "no IPv4 address");
        assertEquals(
                "",
                a.lab.check(c1, "ip", "-4", "-o", "addr", "show", "dev", "eth0").strip(),
                "no IPv4 on eth0");

        // the solicitation for c2 crosses the tunnel and host B's switch answers it for its endpoint:
        // c2 itself never sees one
        final long answeredOnB = arpAnswered(b, "ov6");
        final long solicitedC2 = solicitationsReceived(b, c2);
        a.lab.check(c1, "ip", "-6", "neigh", "flush", "all");
        assertTrue(ClusterIpv6IT.ping6(a, c1, ip62), "c1 (host A) -> c2 (host B)\n" + a.daemon.logText());
        assertTrue(ClusterIpv6IT.ping6(b, c2, ip61), "c2 (host B) -> c1 (host A)\n" + b.daemon.logText());
        Await.until(
                "host B answered c1's solicitation for c2",
                Duration.ofSeconds(5),
                () -> arpAnswered(b, "ov6") > answeredOnB);
        assertEquals(solicitedC2, solicitationsReceived(b, c2), "solicitations that reached c2");
        // host A learned c2's address from that exchange: c1's next solicitation stays on host A
        secondSolicitationIsAnsweredLocally(a, c1, b, "ub", "ov6", ip62);
        assertEquals(solicitedC2, solicitationsReceived(b, c2), "solicitations that reached c2");
        curl6(a, c1, b, c2, ip62, 8061);
        curl6(b, c2, a, c1, ip61, 8062);
        final String fdb = a.ok("fdb", "ov6").out();
        assertTrue(fdb.contains("10.214.0.2"), "c2's MAC learned behind host B's VTEP:\n" + fdb);
    }

    @Test
    void anIpv6OnlyOverlayCrossesAnIpv6Underlay() throws Exception {
        final String ip63 = ClusterIpv6IT.ip6Of(a, "ov6u", "c3");
        assertTrue(ClusterIpv6IT.ping6(a, c3, "fd00:33::b:44"), "c3 -> c4 in VXLAN over IPv6\n" + a.daemon.logText());
        assertTrue(ClusterIpv6IT.ping6(b, c4, ip63), "c4 -> c3");
        curl6(b, c4, a, c3, ip63, 8063);
        assertEquals(
                "fd00:214::1",
                a.ok("network", "inspect", "ov6u")
                        .json()
                        .path(0)
                        .path("Overlay")
                        .path("Local")
                        .asText());
    }

    @Test
    void ipv4OptionsAndPeersOfTheOtherFamilyAreStillRefused() {
        final DaemonFixture.Cli v4 = a.jvs(
                "network",
                "create",
                "x6",
                "--driver",
                "overlay",
                "--ipv4=false",
                "--ipv6",
                "--subnet",
                "10.99.0.0/24",
                "--local",
                "10.214.0.1",
                "--peer",
                "10.214.0.2");
        assertNotEquals(0, v4.exit());
        assertTrue(v4.err().contains("takes no IPv4 options"), v4.err());
        final DaemonFixture.Cli mixed = a.jvs(
                "network",
                "create",
                "x6",
                "--driver",
                "overlay",
                "--ipv4=false",
                "--ipv6",
                "--local",
                "10.214.0.1",
                "--peer",
                "fd00:214::2");
        assertNotEquals(0, mixed.exit());
        assertTrue(mixed.err().contains("one family"), mixed.err());
        final DaemonFixture.Cli ip =
                a.jvs("attach", "--netns", a.container("y"), "--network", "ov6", "--ip", "10.1.0.5");
        assertNotEquals(0, ip.exit());
        assertTrue(ip.err().contains("IPv6-only"), ip.err());
        assertTrue(a.jvs("network", "inspect", "x6").exit() != 0, "no network was created");
    }

    /** A web server in {@code server} (on {@code serverHost}) bound to {@code address}, fetched from {@code client} with curl -6. */
    static void curl6(
            DaemonFixture clientHost, String client, DaemonFixture serverHost, String server, String address, int port)
            throws Exception {
        final Process web = serverHost.lab.start(
                server,
                serverHost.dir.resolve("web-" + port + ".log"),
                "python3",
                "-m",
                "http.server",
                Integer.toString(port),
                "--bind",
                address);
        try {
            final String url = "http://[" + address + "]:" + port + "/";
            final CommandRunner.Result curl =
                    Ipv6IT.retry(() -> clientHost.lab.exec(client, "curl", "-6", "-sS", "--max-time", "3", url));
            assertTrue(curl.ok(), url + ": " + curl.stderr());
            assertTrue(curl.stdout().contains("Directory listing"), curl.stdout());
        } finally {
            web.destroy();
            web.waitFor();
        }
    }
}
