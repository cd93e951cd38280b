package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.netns.CommandRunner;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The embedded DNS responder with real clients: dig (UDP and TCP), getent and ping in container
 * namespaces, a stub upstream server in its own namespace behind a veth from the daemon's host
 * namespace, and malformed queries from a raw socket.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DnsIT {
    static DaemonFixture f;
    static String rose;
    static String tulip;
    static String iris;
    static String lily;
    static String upstream;
    static Process stub;
    static final String GATEWAY = "10.93.0.1";
    static final String UPSTREAM_IP = "10.99.0.2";

    @BeforeAll
    static void setUp() throws Exception {
        f = new DaemonFixture("jvsit-dns");
        rose = f.container("rose");
        tulip = f.container("tulip");
        iris = f.container("iris");
        lily = f.container("lily");
        upstream = f.container("up");
        // the upstream's namespace hangs off the daemon's host namespace by a veth
        new CommandRunner()
                .check(
                        "veth",
                        List.of(
                                "ip", "-n", f.host, "link", "add", "upl0", "type", "veth", "peer", "name", "upl1",
                                "netns", upstream));
        new CommandRunner().check("addr", List.of("ip", "-n", f.host, "addr", "add", "10.99.0.1/30", "dev", "upl0"));
        new CommandRunner().check("up", List.of("ip", "-n", f.host, "link", "set", "upl0", "up"));
        new CommandRunner()
                .check("addr", List.of("ip", "-n", upstream, "addr", "add", UPSTREAM_IP + "/30", "dev", "upl1"));
        new CommandRunner().check("up", List.of("ip", "-n", upstream, "link", "set", "upl1", "up"));
        stub = f.lab.start(upstream, f.dir.resolve("stub.log"), "python3", resource("stub-upstream.py"), UPSTREAM_IP);
        Readiness.printed(f.dir.resolve("stub.log"), "ready");

        f.ok("network", "create", "frontend", "--subnet", "10.93.0.0/24", "--dns", UPSTREAM_IP);
        f.ok("network", "create", "backend", "--subnet", "10.94.0.0/24", "--dns", UPSTREAM_IP);
        f.ok("attach", "--netns", rose, "--network", "frontend", "--name", "rose");
        f.ok(
                "attach",
                "--netns",
                tulip,
                "--network",
                "frontend",
                "--name",
                "tulip",
                "--alias",
                "web",
                "--alias",
                "www");
        f.ok("attach", "--netns", iris, "--network", "frontend", "--name", "iris", "--alias", "web");
        f.ok("attach", "--netns", lily, "--network", "backend", "--name", "lily");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (stub != null) {
            stub.destroy();
            stub.waitFor();
        }
        if (f != null) {
            f.close();
        }
    }

    /**
     * A script from the classpath as a file python can run. The stub upstream lives in the lab
     * module's own resources (the demo uses it too), which failsafe may put on the classpath as a jar.
     */
    static String resource(String name) throws Exception {
        final URL url = DnsIT.class.getResource("/dns/" + name);
        if ("file".equals(url.getProtocol())) {
            return Path.of(url.toURI()).toString();
        }
        final Path copy = Files.createTempFile("jvs-" + name.replace(".py", "-"), ".py");
        copy.toFile().deleteOnExit();
        try (var in = url.openStream()) {
            Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
        }
        return copy.toString();
    }

    static String stubLog() throws Exception {
        final Path log = f.dir.resolve("stub.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** dig from a container at its gateway; the whole output. */
    static String dig(String from, String... args) {
        return digAt(from, GATEWAY, args);
    }

    static String digAt(String from, String server, String... args) {
        final String[] command = new String[args.length + 4];
        command[0] = "dig";
        command[1] = "@" + server;
        command[2] = "+time=2";
        command[3] = "+tries=1";
        System.arraycopy(args, 0, command, 4, args.length);
        return f.lab.exec(from, command).stdout();
    }

    static String status(String digOutput) {
        final int at = digOutput.indexOf("status: ");
        return at < 0 ? "no answer: " + digOutput : digOutput.substring(at + 8, digOutput.indexOf(',', at));
    }

    static Set<String> lines(String text) {
        return new HashSet<>(Arrays.asList(text.strip().split("\n")));
    }

    @Test
    void aRecordsOverUdpForNamesAndNameDotNetworkCaseInsensitive() {
        final String tulipIp = f.ipOf("frontend", "tulip");
        assertEquals(tulipIp, dig(rose, "+short", "tulip").strip());
        assertEquals(tulipIp, dig(rose, "+short", "TuLiP.frontend").strip());
        final String full = dig(rose, "tulip");
        assertTrue(full.contains("flags: qr aa rd ra"), full);
        assertTrue(full.contains("600\tIN\tA\t" + tulipIp), full);
    }

    @Test
    void aRecordsOverTcp() {
        final String out = dig(rose, "+tcp", "+short", "iris");
        assertEquals(f.ipOf("frontend", "iris"), out.strip(), out);
    }

    @Test
    void largeUpstreamAnswerTruncatedOverUdpThenWholeOverTcp() {
        final String udp = dig(rose, "+ignore", "+noedns", "many.example");
        assertTrue(udp.contains(" tc"), udp);
        final String tcp = dig(rose, "+tcp", "+short", "many.example");
        assertEquals(80, tcp.strip().split("\n").length, tcp);
    }

    @Test
    void aaaaForAnIpv4OnlyEndpointIsNodata() {
        final String out = dig(rose, "tulip", "AAAA");
        assertEquals("NOERROR", status(out), out);
        assertTrue(out.contains("ANSWER: 0"), out);
    }

    @Test
    void ptrAnswersNameDotNetwork() {
        assertEquals(
                "tulip.frontend.",
                dig(rose, "+short", "-x", f.ipOf("frontend", "tulip")).strip());
    }

    @Test
    void aSharedAliasAnswersBothEndpointsInRotatingOrder() {
        final Set<String> both = Set.of(f.ipOf("frontend", "tulip"), f.ipOf("frontend", "iris"));
        final Set<String> firsts = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            final String out = dig(rose, "+short", "web");
            assertEquals(both, lines(out), out);
            firsts.add(out.strip().split("\n")[0]);
        }
        assertEquals(2, firsts.size(), "the order rotates");
        assertEquals(f.ipOf("frontend", "tulip"), dig(rose, "+short", "www").strip());
    }

    @Test
    void aNameOnANetworkTheAskerIsNotOnIsNxdomain() {
        final String out = dig(rose, "lily");
        assertEquals("NXDOMAIN", status(out), out);
        assertEquals(
                f.ipOf("backend", "lily"),
                digAt(lily, "10.94.0.1", "+short", "lily").strip());
    }

    @Test
    void unknownNamesGoUpstreamAndNxdomainPassesThrough() throws Exception {
        assertEquals("198.51.100.7", dig(rose, "+short", "ext.example").strip());
        final String missing = dig(rose, "nothing-here.example");
        assertEquals("NXDOMAIN", status(missing), missing);
        // asked again: answered from the cache, the stub sees no second query
        final long before = stubLog()
                .lines()
                .filter(l -> l.contains("nothing-here.example"))
                .count();
        assertEquals("NXDOMAIN", status(dig(rose, "nothing-here.example")));
        assertEquals(
                before,
                stubLog()
                        .lines()
                        .filter(l -> l.contains("nothing-here.example"))
                        .count());
    }

    @Test
    void getentAndPingByNameThroughTheWrittenResolvConf() throws Exception {
        final Path conf = Path.of("/etc/netns", rose, "resolv.conf");
        assertTrue(Files.readString(conf).contains("nameserver " + GATEWAY), Files.readString(conf));
        final String hosts = f.lab.check(rose, "getent", "hosts", "tulip");
        assertTrue(hosts.startsWith(f.ipOf("frontend", "tulip")), hosts);
        assertTrue(f.lab.exec(rose, "ping", "-c", "1", "-W", "2", "iris").ok(), "ping iris by name");
    }

    @Test
    void malformedQueriesAreAnsweredOrDroppedAndGoodOnesStillAnswered() throws Exception {
        final String out = f.lab.check(rose, "python3", resource("malformed-queries.py"), GATEWAY, "tulip");
        assertTrue(out.contains("good-answer 0 1"), out);
        assertTrue(out.contains("short-header dropped"), out);
        assertTrue(out.contains("response dropped"), out);
        assertTrue(out.contains("pointer-loop answered rcode 1"), out);
        assertTrue(out.contains("long-name answered rcode 1"), out);
        assertTrue(out.contains("opcode-status answered rcode 4"), out);
        assertTrue(out.contains("class-chaos answered rcode 4"), out);
        final JsonNode dns = f.ok("stats", "--json").json().path("dns");
        assertTrue(dns.path("formerr-bad-pointer").asLong() >= 2, dns.toString());
        assertTrue(dns.path("drop-truncated-header").asLong() >= 1, dns.toString());
        assertTrue(dns.path("notimp-class").asLong() >= 1, dns.toString());
        assertTrue(f.ok("stats").out().contains("formerr-name-too-long"));
        assertEquals(f.ipOf("frontend", "tulip"), dig(rose, "+short", "tulip").strip(), "still answering");
    }

    @Test
    void detachRemovesTheResolvConfJvsWrote() throws Exception {
        final String temp = f.container("temp");
        f.ok("attach", "--netns", temp, "--network", "frontend", "--name", "temp");
        final Path conf = Path.of("/etc/netns", temp, "resolv.conf");
        assertTrue(Files.exists(conf));
        f.ok("detach", "temp");
        assertFalse(Files.exists(conf));
    }

    @Test
    @Order(Integer.MAX_VALUE) // last: it restarts the daemon
    void namesComeBackWithARestartedDaemon() throws Exception {
        f.daemon.close();
        f.startDaemon();
        final String out = Await.until(
                "the restarted daemon answers web's two addresses",
                Duration.ofSeconds(20),
                () -> dig(rose, "+short", "web"),
                answer -> lines(answer).size() == 2);
        assertEquals(Set.of(f.ipOf("frontend", "tulip"), f.ipOf("frontend", "iris")), lines(out), out);
        assertTrue(Files.readString(Path.of("/etc/netns", rose, "resolv.conf")).contains("nameserver " + GATEWAY));
    }
}
