package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.control.netns.CommandRunner;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The DNS responder at a network's IPv6 gateway address, with real namespaces and dig: local names
 * over UDP (answered on the dataplane) and TCP (the kernel's listener at the gateway), a name
 * forwarded to an upstream that is itself reachable over IPv6 only (the deferred answer framed in
 * IPv6), and resolv.conf listing the IPv6 gateway beside the IPv4 one.
 */
class Ipv6DnsIT {
    static final String GATEWAY6 = "fd00:53::1";
    static final String UPSTREAM6 = "fd99:53::2";
    static DaemonFixture f;
    static String asker;
    static String named;
    static Process stub;

    @BeforeAll
    static void setUp() throws Exception {
        f = new DaemonFixture("jvsit-v6dns");
        asker = f.container("asker");
        named = f.container("named");
        final String upstream = f.container("up6");
        final CommandRunner run = new CommandRunner();
        run.check(
                "veth",
                List.of(
                        "ip", "-n", f.host, "link", "add", "up6l0", "type", "veth", "peer", "name", "up6l1", "netns",
                        upstream));
        run.check("addr", List.of("ip", "-n", f.host, "addr", "add", "fd99:53::1/64", "dev", "up6l0", "nodad"));
        run.check("up", List.of("ip", "-n", f.host, "link", "set", "up6l0", "up"));
        run.check("addr", List.of("ip", "-n", upstream, "addr", "add", UPSTREAM6 + "/64", "dev", "up6l1", "nodad"));
        run.check("up", List.of("ip", "-n", upstream, "link", "set", "up6l1", "up"));
        stub = f.lab.start(
                upstream, f.dir.resolve("stub.log"), "python3", DnsIT.resource("stub-upstream.py"), UPSTREAM6);
        Readiness.printed(f.dir.resolve("stub.log"), "ready");
        f.ok(
                "network",
                "create",
                "dual",
                "--ipv6",
                "--subnet",
                "10.53.0.0/24",
                "--subnet",
                "fd00:53::/64",
                "--dns",
                UPSTREAM6);
        f.ok("attach", "--netns", asker, "--network", "dual", "--name", "asker");
        f.ok("attach", "--netns", named, "--network", "dual", "--name", "named", "--ip6", "fd00:53::99");
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

    static String dig(String from, String server, String... args) {
        final String[] command = new String[args.length + 4];
        command[0] = "dig";
        command[1] = "@" + server;
        command[2] = "+time=2";
        command[3] = "+tries=1";
        System.arraycopy(args, 0, command, 4, args.length);
        return f.lab.exec(from, command).stdout();
    }

    /** dig until it prints {@code expected} (the first query may race the attach's address). */
    static String digUntil(String expected, String from, String server, String... args) {
        final String[] last = {""};
        Await.holdsWithin(
                Duration.ofSeconds(15),
                () -> (last[0] = dig(from, server, args)).strip().equals(expected));
        return last[0].strip();
    }

    @Test
    void localNamesAnswerAtTheIpv6GatewayOverUdpAndTcp() {
        assertEquals("fd00:53::99", digUntil("fd00:53::99", asker, GATEWAY6, "+short", "named", "AAAA"));
        assertEquals("10.53.0.3", digUntil("10.53.0.3", asker, GATEWAY6, "+short", "named", "A"));
        assertEquals("fd00:53::99", digUntil("fd00:53::99", asker, GATEWAY6, "+short", "+tcp", "named", "AAAA"));
        assertEquals("named.dual.", digUntil("named.dual.", asker, GATEWAY6, "+short", "-x", "fd00:53::99"));
        final String full = dig(asker, GATEWAY6, "named", "AAAA");
        assertTrue(full.contains("SERVER: " + GATEWAY6 + "#53"), "answered from the IPv6 gateway:\n" + full);
    }

    @Test
    void otherNamesAreForwardedToAnIpv6UpstreamAndAnsweredOverIpv6() {
        assertEquals("198.51.100.7", digUntil("198.51.100.7", asker, GATEWAY6, "+short", "ext.example", "A"));
        assertEquals("198.51.100.7", digUntil("198.51.100.7", asker, GATEWAY6, "+short", "+tcp", "ext.example", "A"));
        final String missing = dig(asker, GATEWAY6, "nothing-v6.example");
        assertTrue(missing.contains("status: NXDOMAIN"), missing);
        assertTrue(
                f.lab.check(f.host, "cat", f.dir.resolve("stub.log").toString()).contains("nothing-v6.example"));
    }

    @Test
    void resolvConfListsTheIpv6GatewayAfterTheIpv4One() throws Exception {
        final String conf = Files.readString(Path.of("/etc/netns", asker, "resolv.conf"));
        assertTrue(conf.contains("nameserver 10.53.0.1\nnameserver " + GATEWAY6 + "\n"), conf);
        // the resolver uses it: with the IPv4 gateway unreachable, names still resolve over IPv6
        f.lab.check(asker, "ip", "route", "add", "blackhole", "10.53.0.1/32");
        try {
            final String[] out = {""};
            Await.holdsWithin(
                    Duration.ofSeconds(15),
                    () -> (out[0] = f.lab.exec(asker, "getent", "ahostsv6", "named")
                                    .stdout())
                            .contains("fd00:53::99"));
        } finally {
            f.lab.check(asker, "ip", "route", "del", "blackhole", "10.53.0.1/32");
        }
    }
}
