package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.netns.CommandRunner;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * Stateful NAT and published ports with real clients (curl, nc) and a real daemon. The daemon's
 * namespace is the host; "outside" is a namespace behind it on a veth, standing for the world.
 * The test servers answer with the client address they saw, which is what NAT is about.
 */
class NatIT {
    static DaemonFixture f;
    static final List<Process> servers = new ArrayList<>();
    static String web;
    static String api;
    static String client;
    static String other;
    static String routed;
    static String outside;
    static String webIp;
    static Path script;
    static final String HOST_IP = "10.251.0.1";
    static final String OUTSIDE_IP = "10.251.0.2";
    static final String MASQ = "169.254.43.1";

    @BeforeAll
    static void setUp() throws Exception {
        f = new DaemonFixture("jvsit-nat");
        script = f.dir.resolve("report_server.py");
        try (InputStream in = NatIT.class.getResourceAsStream("/nat/report_server.py")) {
            Files.copy(in, script);
        }
        web = f.container("web");
        api = f.container("api");
        client = f.container("client");
        other = f.container("other");
        routed = f.container("routed");
        outside = f.container("outside");
        // The world beyond the host first, so the host's address on it counts as a host address.
        final String hostEnd = "vn" + Long.toString(System.nanoTime() % 100000, 36);
        f.lab.check(f.host, "ip", "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", outside);
        f.lab.check(f.host, "ip", "addr", "add", HOST_IP + "/24", "dev", hostEnd);
        f.lab.check(f.host, "ip", "link", "set", hostEnd, "up");
        f.lab.check(f.host, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        f.lab.check(outside, "ip", "addr", "add", OUTSIDE_IP + "/24", "dev", "eth0");
        f.lab.check(outside, "ip", "link", "set", "eth0", "up");
        f.lab.check(outside, "ip", "route", "add", "default", "via", HOST_IP);

        f.ok("network", "create", "front", "--subnet", "10.83.0.0/24");
        f.ok("network", "create", "back", "--subnet", "10.85.0.0/24");
        f.ok("network", "create", "flat", "--subnet", "10.84.0.0/24", "--masquerade=false");
        f.ok(
                "attach",
                "--netns",
                web,
                "--network",
                "front",
                "--name",
                "web",
                "-p",
                "8080:80",
                "-p",
                "5353:53/udp",
                "-p",
                "127.0.0.1:9000:80",
                "-p",
                "80");
        f.ok("attach", "--netns", api, "--network", "front", "--name", "api", "-p", "7000-7002:7000-7002");
        f.ok("attach", "--netns", client, "--network", "front", "--name", "client");
        f.ok("attach", "--netns", other, "--network", "back", "--name", "other");
        f.ok("attach", "--netns", routed, "--network", "flat", "--name", "routed");
        webIp = f.ipOf("front", "web");
        server(web, "80", "53");
        server(api, "7000,7001,7002", "");
        server(outside, "8000", "");
    }

    static void server(String namespace, String tcpPorts, String udpPorts) throws Exception {
        servers.add(startServer(f, namespace, f.dir.resolve("server-" + servers.size() + ".log"), tcpPorts, udpPorts));
    }

    /** Starts the report server and waits until it listens (it prints "ready" once its sockets are bound). */
    static Process startServer(DaemonFixture fixture, String namespace, Path log, String tcpPorts, String udpPorts)
            throws Exception {
        final Process p = fixture.lab.start(namespace, log, "python3", "-u", script.toString(), tcpPorts, udpPorts);
        Readiness.printed(log, "ready");
        return p;
    }

    @AfterAll
    static void tearDown() throws Exception {
        for (Process p : servers) {
            p.destroy();
            p.waitFor();
        }
        if (f != null) {
            f.close();
        }
    }

    /** GETs a URL from a namespace, a few tries (routes and listeners settle asynchronously); returns the body. */
    static String curl(String namespace, String url) throws InterruptedException {
        final CommandRunner.Result result =
                GatewayIT.retry(() -> f.lab.exec(namespace, "curl", "-sS", "--max-time", "3", url));
        assertTrue(
                result.ok(),
                "curl " + url + " from " + namespace + ": " + result.stderr() + "\ndaemon log:\n" + f.daemon.logText());
        return result.stdout().trim();
    }

    static String clientSeenBy(String body) {
        assertTrue(body.startsWith("client="), body);
        return body.substring("client=".length()).split(" ")[0];
    }

    @Test
    void publishedTcpPortsAnswerTheHostInEveryForm() throws Exception {
        final String gateway = "10.83.0.1";
        // Terminated on the host's stack: relayed from the host, so the container sees its gateway.
        assertEquals(gateway, clientSeenBy(curl(f.host, "http://127.0.0.1:8080/")));
        assertEquals(gateway, clientSeenBy(curl(f.host, "http://" + HOST_IP + ":8080/")));
        assertEquals(gateway, clientSeenBy(curl(f.host, "http://127.0.0.1:9000/")));
        assertFalse(
                f.lab.exec(f.host, "curl", "-sS", "--max-time", "2", "http://" + HOST_IP + ":9000/")
                        .ok(),
                "127.0.0.1:9000:80 listens on loopback only");
        for (int port = 7000; port <= 7002; port++) {
            assertTrue(curl(f.host, "http://127.0.0.1:" + port + "/").contains("port=" + port));
        }
        // -p 80: a free host port was picked; jvs ports tells which.
        int picked = -1;
        for (String line : f.ok("ports").out().lines().skip(1).toList()) {
            final String[] cols = line.trim().split("\\s+");
            if (cols[0].equals("web")
                    && cols[3].startsWith("0.0.0.0:")
                    && cols[4].equals(webIp + ":80")
                    && !cols[3].equals("0.0.0.0:8080")) {
                picked = Integer.parseInt(cols[3].substring("0.0.0.0:".length()));
            }
        }
        assertTrue(picked > 0, f.ok("ports").out());
        assertTrue(curl(f.host, "http://127.0.0.1:" + picked + "/").contains("port=80"));
    }

    @Test
    void publishedUdpPortAnswersNc() {
        final CommandRunner.Result nc = f.lab.exec(f.host, "sh", "-c", "echo hello | nc -u -w 2 127.0.0.1 5353");
        assertTrue(nc.stdout().contains("hello"), nc.stdout() + nc.stderr());
        assertTrue(nc.stdout().startsWith("client=10.83.0.1"), nc.stdout());
    }

    /**
     * pre-nat and post-nat at the client's port: its SYN before masquerade (its own address) and
     * after (the masquerade address); the host link shows what the host got, and the answers before
     * and after they are translated back.
     */
    @Test
    void natCapturePointsShowTheRealAndTheTranslatedAddresses() throws Exception {
        final String clientIp = f.ipOf("front", "client");
        final Path pre = f.dir.resolve("pre-nat.pcap");
        final Path post = f.dir.resolve("post-nat.pcap");
        final Path link = f.dir.resolve("host-link.pcap");
        final Path linkPost = f.dir.resolve("host-link-post.pcap");
        final List<Process> captures = List.of(
                CaptureProcess.start(
                        f,
                        f.dir.resolve("pre.err"),
                        "client",
                        "--point",
                        "pre-nat",
                        "tcp port 8000",
                        "-c",
                        "1", // the SYN
                        "-w",
                        pre.toString()),
                CaptureProcess.start(
                        f,
                        f.dir.resolve("post.err"),
                        "client",
                        "--point",
                        "post-nat",
                        "tcp port 8000",
                        "-c",
                        "1",
                        "-w",
                        post.toString()),
                CaptureProcess.start(
                        f,
                        f.dir.resolve("link.err"),
                        "host:jvs0",
                        "tcp port 8000",
                        "-c",
                        "2", // the SYN out, the SYN-ACK in
                        "-w",
                        link.toString()),
                CaptureProcess.start(
                        f,
                        f.dir.resolve("link-post.err"),
                        "host:jvs0",
                        "--point",
                        "post-nat",
                        "tcp port 8000",
                        "-c",
                        "1", // the SYN-ACK, translated back
                        "-w",
                        linkPost.toString()));
        curl(client, "http://" + OUTSIDE_IP + ":8000/");
        final List<String> errs = List.of("pre.err", "post.err", "link.err", "link-post.err");
        for (int i = 0; i < captures.size(); i++) {
            CaptureProcess.awaitCount(captures.get(i), f.dir.resolve(errs.get(i)));
        }
        final String syn = "tcp.flags.syn == 1 && tcp.flags.ack == 0";
        final String synAck = "tcp.flags.syn == 1 && tcp.flags.ack == 1";
        assertEquals(clientIp + "\t" + OUTSIDE_IP + "\t8000", fields(pre, syn, "ip.src", "ip.dst", "tcp.dstport"));
        assertEquals(MASQ + "\t" + OUTSIDE_IP + "\t8000", fields(post, syn, "ip.src", "ip.dst", "tcp.dstport"));
        assertEquals(MASQ + "\t" + OUTSIDE_IP, fields(link, syn, "ip.src", "ip.dst"), "what left for the host");
        assertEquals(OUTSIDE_IP + "\t" + MASQ, fields(link, synAck, "ip.src", "ip.dst"), "the answer as it came");
        assertEquals(OUTSIDE_IP + "\t" + clientIp, fields(linkPost, synAck, "ip.src", "ip.dst"), "translated back");
    }

    /** One tshark line per matching packet, of the named fields; the first line only. */
    private static String fields(Path pcap, String filter, String... names) {
        final List<String> command =
                new ArrayList<>(List.of("tshark", "-r", pcap.toString(), "-Y", filter, "-T", "fields"));
        for (String name : names) {
            command.addAll(List.of("-e", name));
        }
        final String out = CaptureProcess.tool(command.toArray(String[]::new)).strip();
        assertFalse(out.isEmpty(), "no packet matching " + filter + " in " + pcap);
        return out.lines().findFirst().orElseThrow();
    }

    @Test
    void dnsCapturePointShowsTheQueriesAndTheAnswers() throws Exception {
        final Path file = f.dir.resolve("dns.pcap");
        final Process p = CaptureProcess.start(
                f, f.dir.resolve("dns.err"), "client", "--point", "dns", "-c", "2", "-w", file.toString());
        final CommandRunner.Result dig =
                f.lab.exec(client, "dig", "@10.83.0.1", "+time=2", "+tries=1", "+short", "web");
        CaptureProcess.awaitCount(p, f.dir.resolve("dns.err")); // the query and its answer
        assertEquals(webIp, dig.stdout().strip(), dig.stderr());
        final String decoded = CaptureProcess.tool(
                        "tshark",
                        "-r",
                        file.toString(),
                        "-T",
                        "fields",
                        "-e",
                        "dns.flags.response",
                        "-e",
                        "dns.qry.name",
                        "-e",
                        "dns.a")
                .strip();
        assertEquals("0\tweb\t\n1\tweb\t" + webIp, decoded.replace("\r", ""), "a query and its answer, nothing else");
    }

    /** A synthetic packet: the connection NAT would open; a real one: the translation it got. */
    @Test
    void traceOfANatedPacketNamesTheConnectionAndTheTranslation() throws Exception {
        final String clientIp = f.ipOf("front", "client");
        final String synthetic = f.ok("trace", "--from", "client", "tcp", "dst", OUTSIDE_IP, "port", "8000")
                .out();
        assertTrue(
                synthetic.contains("no tracked connection: would open tcp " + clientIp + ":")
                        && synthetic.contains(" -> " + OUTSIDE_IP + ":8000, source masqueraded as " + MASQ),
                synthetic);
        assertTrue(synthetic.contains("verdict: routed to the host link"), synthetic);

        final String real = traceWhileCurling("tcp dst port 8000 and tcp[tcpflags] & tcp-syn != 0");
        assertTrue(real.contains("nat (post-route)") && real.contains(" translated to " + MASQ + ":"), real);
        assertTrue(real.contains("verdict: routed to the host link (host:jvs0)"), real);
        final String tracked = traceWhileCurling("tcp dst port 8000 and tcp[tcpflags] & tcp-fin != 0");
        assertTrue(
                tracked.contains("(a tracked connection)") && tracked.contains(" translated to " + MASQ + ":"),
                tracked);
    }

    /** Traces the next real frame from client matching {@code filter}, curling until the trace answers. */
    private static String traceWhileCurling(String filter) throws Exception {
        final AtomicBoolean done = new AtomicBoolean();
        final Thread traffic = Thread.ofPlatform().start(() -> {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(25);
            while (!done.get() && System.nanoTime() < deadline) {
                f.lab.exec(client, "curl", "-sS", "--max-time", "2", "http://" + OUTSIDE_IP + ":8000/");
            }
        });
        try {
            return f.ok("trace", "--from", "client", "--match", filter, "--timeout", "20")
                    .out();
        } finally {
            done.set(true);
            traffic.join();
        }
    }

    @Test
    void hairpinFromContainers() throws Exception {
        // Same network: translated in the dataplane, and sourced from the masquerade address (off the subnet)
        // so the answer comes back through the router.
        assertEquals(MASQ, clientSeenBy(curl(client, "http://" + HOST_IP + ":8080/")));
        // Another network: translated in the dataplane, and the container sees the real client.
        final String otherIp = f.ipOf("back", "other");
        assertEquals(otherIp, clientSeenBy(curl(other, "http://" + HOST_IP + ":8080/")));
        assertEquals(otherIp, clientSeenBy(curl(other, "http://169.254.42.1:8080/")));
        final JsonNode tracked =
                f.ok("conntrack", "--json", "--network", "back").json();
        boolean dnat = false;
        for (JsonNode c : tracked.path("connections")) {
            dnat |= c.path("destination").asText().equals(HOST_IP + ":8080")
                    && c.path("nat").asText().contains("dnat");
        }
        assertTrue(dnat, tracked.toPrettyString());
    }

    @Test
    void containersReachTheOutsideThroughMasquerade() throws Exception {
        assertEquals(MASQ, clientSeenBy(curl(client, "http://" + OUTSIDE_IP + ":8000/")));
        assertTrue(f.ping(client, OUTSIDE_IP, 2), "ping through masquerade");
    }

    @Test
    void withMasqueradeOffTheOutsideSeesTheContainer() throws Exception {
        f.lab.exec(outside, "ip", "route", "replace", "10.84.0.0/24", "via", HOST_IP);
        assertEquals(f.ipOf("flat", "routed"), clientSeenBy(curl(routed, "http://" + OUTSIDE_IP + ":8000/")));
    }

    @Test
    void statsShowTheTranslatorsCounters() throws Exception {
        final long before =
                f.ok("stats", "--json").json().path("nat").path("created").asLong();
        assertEquals(MASQ, clientSeenBy(curl(client, "http://" + OUTSIDE_IP + ":8000/")));
        final JsonNode nat = f.ok("stats", "--json").json().path("nat");
        assertTrue(nat.path("created").asLong() > before, nat.toString());
        assertTrue(nat.path("translated").asLong() >= 1, nat.toString());
        assertTrue(nat.path("drops").has("fragment"), nat.toString());
        final String table = f.ok("stats").out();
        assertTrue(table.contains("NAT") && table.contains("created"), table);
    }

    @Test
    void aTcpConnectionMovesThroughItsStates() throws Exception {
        // A connection held open (the server waits up to 5 s for a request that does not come): established.
        final Process listener = startServer(f, outside, f.dir.resolve("hold.log"), "8002", "");
        final Process held = f.lab.start(
                client, f.dir.resolve("nc-client.log"), "sh", "-c", "sleep 30 | timeout 20 nc " + OUTSIDE_IP + " 8002");
        try {
            assertTrue(
                    waitFor(c -> c.path("destination").asText().equals(OUTSIDE_IP + ":8002")
                            && c.path("state").asText().equals("established")),
                    "established:\n" + conntrack());
        } finally {
            held.destroy();
            listener.destroy();
            held.waitFor();
            listener.waitFor();
        }
        // An HTTP/1.0 exchange: the server closes, the client closes, the last ACK: time-wait.
        final String body = curl(client, "http://" + OUTSIDE_IP + ":8000/");
        assertEquals(MASQ, clientSeenBy(body));
        assertTrue(
                waitFor(c -> c.path("destination").asText().equals(OUTSIDE_IP + ":8000")
                        && c.path("state").asText().equals("time-wait")
                        && c.path("secondsLeft").asLong() <= 120),
                "time-wait:\n" + conntrack());
        final String text = f.ok("conntrack", "--network", "front").out();
        assertTrue(text.contains("time-wait") && text.contains("snat"), text);
    }

    static String conntrack() {
        return f.ok("conntrack", "--json").json().toPrettyString();
    }

    static boolean waitFor(Predicate<JsonNode> wanted) {
        return Await.holdsWithin(Duration.ofSeconds(10), () -> {
            for (JsonNode c : f.ok("conntrack", "--json").json().path("connections")) {
                if (wanted.test(c)) {
                    return true;
                }
            }
            return false;
        });
    }

    @Test
    void cliErrorsLeaveTheStateUnchanged() throws Exception {
        final String ports = f.ok("ports").out();
        final String state = f.stateFile();
        final String spare = f.container("spare");
        assertError(f.jvs("attach", "--netns", spare, "--network", "front", "-p", "80:abc"), "is not a number");
        assertError(
                f.jvs("attach", "--netns", spare, "--network", "front", "-p", "7000-7002:80-81"), "host range has 3");
        assertError(
                f.jvs("attach", "--netns", spare, "--network", "front", "-p", "8090:80", "-p", "8090:81"), "overlap");
        assertError(
                f.jvs("attach", "--netns", spare, "--network", "front", "-p", "8080:80"), "already published by web");
        final Process taken = startServer(f, f.host, f.dir.resolve("taken.log"), "8091", "");
        try {
            assertError(
                    f.jvs("attach", "--netns", spare, "--network", "front", "-p", "8092:80", "-p", "8091:80"),
                    "already in use");
        } finally {
            taken.destroy();
            taken.waitFor();
        }
        assertError(f.jvs("network", "create", "bad", "--masquerade=maybe"), "masquerade");
        assertEquals(ports, f.ok("ports").out(), "no port published or left open");
        assertEquals(state, f.stateFile(), "state unchanged");
        assertTrue(f.lab.links(spare).isEmpty(), "no interface left in the container");
        assertFalse(
                f.lab.exec(f.host, "curl", "-sS", "--max-time", "1", "http://127.0.0.1:8092/")
                        .ok(),
                "the first mapping of the refused attach was closed again");
    }

    static void assertError(DaemonFixture.Cli cli, String text) {
        assertNotEquals(0, cli.exit(), cli.out());
        assertTrue(cli.err().contains(text), cli.err());
    }

    @Test
    void aFullTableRefusesNewConnectionsCountsThemAndRecovers() throws Exception {
        try (DaemonFixture small = new DaemonFixture(
                "jvsit-natfull",
                "--conntrack-max",
                "3",
                "--conntrack-timeout",
                "udp=10",
                "--conntrack-timeout",
                "udp-stream=10")) {
            final String web = small.container("w");
            final String c = small.container("c");
            final String far = small.container("far");
            final String hostEnd = "vf" + Long.toString(System.nanoTime() % 100000, 36);
            small.lab.check(
                    small.host, "ip", "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", far);
            small.lab.check(small.host, "ip", "addr", "add", "10.252.0.1/24", "dev", hostEnd);
            small.lab.check(small.host, "ip", "link", "set", hostEnd, "up");
            small.lab.check(small.host, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
            small.lab.check(far, "ip", "addr", "add", "10.252.0.2/24", "dev", "eth0");
            small.lab.check(far, "ip", "link", "set", "eth0", "up");
            small.lab.check(far, "ip", "route", "add", "default", "via", "10.252.0.1");
            small.ok("network", "create", "n", "--subnet", "10.86.0.0/24");
            small.ok("attach", "--netns", web, "--network", "n", "--name", "w", "-p", "8080:80");
            small.ok("attach", "--netns", c, "--network", "n", "--name", "c");
            final List<Process> mine = new ArrayList<>();
            try {
                final Path log = small.dir.resolve("echo.log");
                mine.add(startServer(small, far, log, "", "9999"));
                mine.add(startServer(small, web, small.dir.resolve("web.log"), "80", ""));
                // Three UDP flows from the container to a server beyond the host, masqueraded: the table is full.
                for (int port = 40001; port <= 40003; port++) {
                    final CommandRunner.Result nc =
                            small.lab.exec(c, "sh", "-c", "echo x | nc -u -w 1 -p " + port + " 10.252.0.2 9999");
                    assertTrue(nc.stdout().startsWith("client=" + MASQ), nc.stdout() + nc.stderr());
                }
                final CommandRunner.Result fourth =
                        small.lab.exec(c, "sh", "-c", "echo x | nc -u -w 1 -p 40004 10.252.0.2 9999");
                assertFalse(fourth.stdout().contains("client="), "refused: " + fourth.stdout());
                // The published port, reached from a container while the table is full, is refused too.
                assertFalse(small.lab
                        .exec(c, "curl", "-sS", "--max-time", "2", "http://169.254.42.1:8080/")
                        .ok());
                final JsonNode counters = small.ok("conntrack", "--json").json();
                assertTrue(counters.path("drops").path("table-full").asLong() >= 2, counters.toPrettyString());
                assertEquals(3, counters.path("count").asInt());
                // An existing flow still works while full.
                final CommandRunner.Result again =
                        small.lab.exec(c, "sh", "-c", "echo y | nc -u -w 1 -p 40001 10.252.0.2 9999");
                assertTrue(again.stdout().startsWith("client=" + MASQ), again.stdout());
                // After the UDP timeout (10 s here) the table makes room again.
                Await.until(
                        "the UDP connections time out",
                        Duration.ofSeconds(30),
                        () -> small.ok("conntrack", "--json")
                                        .json()
                                        .path("count")
                                        .asInt()
                                < 3);
                final CommandRunner.Result curl = GatewayIT.retry(
                        () -> small.lab.exec(c, "curl", "-sS", "--max-time", "3", "http://169.254.42.1:8080/"));
                assertTrue(curl.ok() && curl.stdout().startsWith("client="), curl.stdout() + curl.stderr());
            } finally {
                for (Process p : mine) {
                    p.destroy();
                    p.waitFor();
                }
            }
        }
    }

    @Test
    void publishedPortsComeBackAfterARestart() throws Exception {
        // Runs last in its own fixture, so a restart does not disturb the other tests.
        try (DaemonFixture r = new DaemonFixture("jvsit-natrs")) {
            final String c = r.container("c");
            r.ok("network", "create", "n", "--subnet", "10.87.0.0/24");
            r.ok("attach", "--netns", c, "--network", "n", "--name", "c", "-p", "8080:80", "-p", "80");
            final Process web = startServer(r, c, r.dir.resolve("web.log"), "80", "");
            try {
                final String before = r.ok("ports").out();
                assertTrue(GatewayIT.retry(
                                () -> r.lab.exec(r.host, "curl", "-sS", "--max-time", "3", "http://127.0.0.1:8080/"))
                        .ok());
                r.daemon.close();
                r.startDaemon();
                assertEquals(before, r.ok("ports").out(), "the same host ports, the picked one included");
                assertTrue(GatewayIT.retry(
                                () -> r.lab.exec(r.host, "curl", "-sS", "--max-time", "3", "http://127.0.0.1:8080/"))
                        .ok());
            } finally {
                web.destroy();
                web.waitFor();
            }
        }
    }
}
