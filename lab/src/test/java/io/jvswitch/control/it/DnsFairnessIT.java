package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.netns.CommandRunner;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The embedded DNS shared fairly: a network whose upstream never answers, flooded with random
 * names, and a container holding slow TCP connections, beside containers whose answers must hold.
 */
class DnsFairnessIT {
    static final String UPSTREAM_IP = "10.98.0.2";
    /** On the upstream link's subnet, where nothing answers. */
    static final String DEAD_UPSTREAM_IP = "10.98.0.3";

    DaemonFixture f;
    Process stub;

    @AfterEach
    void tearDown() throws Exception {
        if (stub != null) {
            stub.destroy();
            stub.waitFor(10, TimeUnit.SECONDS);
        }
        if (f != null) {
            f.close();
        }
    }

    private void startUpstream() throws Exception {
        final String upstream = f.container("up");
        final CommandRunner run = new CommandRunner();
        run.check(
                "veth",
                List.of(
                        "ip", "-n", f.host, "link", "add", "upf0", "type", "veth", "peer", "name", "upf1", "netns",
                        upstream));
        run.check("addr", List.of("ip", "-n", f.host, "addr", "add", "10.98.0.1/29", "dev", "upf0"));
        run.check("up", List.of("ip", "-n", f.host, "link", "set", "upf0", "up"));
        run.check("addr", List.of("ip", "-n", upstream, "addr", "add", UPSTREAM_IP + "/29", "dev", "upf1"));
        run.check("up", List.of("ip", "-n", upstream, "link", "set", "upf1", "up"));
        final Path log = f.dir.resolve("stub.log");
        stub = f.lab.start(upstream, log, "python3", DnsIT.resource("stub-upstream.py"), UPSTREAM_IP);
        Readiness.printed(log, "ready");
    }

    private JsonNode dnsStats() {
        return f.ok("stats", "--json").json().path("dns");
    }

    @Test
    void aFloodFromANetworkWhoseUpstreamNeverAnswersLeavesOtherNetworksTheirAnswers() throws Exception {
        f = new DaemonFixture("jvsit-dnsf");
        startUpstream();
        f.ok("network", "create", "dark", "--subnet", "10.77.0.0/24", "--dns", DEAD_UPSTREAM_IP);
        f.ok("network", "create", "lit", "--subnet", "10.76.0.0/24", "--dns", UPSTREAM_IP);
        f.ok("network", "create", "lamp", "--subnet", "10.75.0.0/24", "--dns", UPSTREAM_IP);
        final String mallory = f.container("mallory");
        final String rose = f.container("rose");
        final String tulip = f.container("tulip");
        f.ok("attach", "--netns", mallory, "--network", "dark", "--name", "mallory");
        f.ok("attach", "--netns", rose, "--network", "lit", "--name", "rose");
        f.ok("attach", "--netns", tulip, "--network", "lamp", "--name", "tulip");
        final Path flood = f.dir.resolve("flood.py");
        // 2000 random names a second for 12 s at the dark network's gateway (bounded in time)
        Files.writeString(flood, """
            import random, socket, struct, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            end = time.time() + 12
            sent = 0
            while time.time() < end:
                for _ in range(20):
                    name = b''.join(bytes([8]) + ('%08x' % random.getrandbits(32)).encode() for _ in range(2))
                    q = struct.pack('!HHHHHH', random.getrandbits(16), 0x0100, 1, 0, 0, 0) + name + b'\\x07example\\x00' + struct.pack('!HH', 1, 1)
                    s.sendto(q, ('10.77.0.1', 53))
                    sent += 1
                time.sleep(0.01)
            print('sent', sent)
            """);
        final Process flooder = f.lab.start(mallory, f.dir.resolve("flood.txt"), "python3", flood.toString());
        try {
            // let the flood take what it can
            Await.holdsWithin(
                    Duration.ofSeconds(10), () -> dnsStats().path("in-flight").asLong() >= 60);
            int answered = 0;
            for (int i = 0; i < 15; i++) {
                final String from = i % 2 == 0 ? rose : tulip;
                final String out = f.lab.exec(
                                from,
                                "dig",
                                "@10." + (i % 2 == 0 ? "76" : "75") + ".0.1",
                                "+time=2",
                                "+tries=1",
                                "n" + i + ".example")
                        .stdout();
                answered += out.contains("status: NXDOMAIN") ? 1 : 0;
            }
            assertEquals(15, answered, "every upstream answer reached the other networks: " + dnsStats());
        } finally {
            flooder.waitFor(30, TimeUnit.SECONDS);
            flooder.destroy();
        }
        final JsonNode dns = dnsStats();
        System.out.println("DNS flood from a network with a dead upstream: "
                + Files.readString(f.dir.resolve("flood.txt")).strip() + " queries; 15 of 15 answered elsewhere; "
                + "drop-inflight-client-share "
                + dns.path("drop-inflight-client-share").asLong()
                + ", drop-inflight-network-share "
                + dns.path("drop-inflight-network-share").asLong()
                + ", drop-forward-queue-network-share "
                + dns.path("drop-forward-queue-network-share").asLong()
                + ", drop-inflight-full " + dns.path("drop-inflight-full").asLong());
        // One container: held to its own share before its network's
        assertTrue(
                dns.path("drop-inflight-client-share").asLong()
                                + dns.path("drop-inflight-network-share").asLong()
                        > 10_000,
                dns.toString());
        assertEquals(0, dns.path("drop-inflight-full").asLong(), "the global bound was not reached: " + dns);
    }

    @Test
    void slowTcpConnectionsFromOneContainerDoNotBlockDnsOverTcpForOthers() throws Exception {
        f = new DaemonFixture("jvsit-dnst");
        f.ok("network", "create", "frontend", "--subnet", "10.74.0.0/24");
        f.ok("network", "create", "backend", "--subnet", "10.73.0.0/24");
        final String mallory = f.container("mallory");
        final String iris = f.container("iris");
        final String rose = f.container("rose");
        f.ok("attach", "--netns", mallory, "--network", "frontend", "--name", "mallory");
        f.ok("attach", "--netns", iris, "--network", "frontend", "--name", "iris");
        f.ok("attach", "--netns", rose, "--network", "backend", "--name", "rose");
        final Path slow = f.dir.resolve("slow.py");
        // 256 connections, each announcing a 64-byte query and sending one byte of it every 4 s;
        // for at most 45 s
        Files.writeString(slow, """
            import socket, time
            conns, opened = [], time.time()
            for _ in range(256):
                c = socket.create_connection(('10.74.0.1', 53), timeout=5)
                c.setblocking(False)
                conns.append(c)
            print('opened', len(conns), flush=True)
            closed_at, sent = {}, [0] * len(conns)
            end = time.time() + 45
            while time.time() < end and len(closed_at) < len(conns):
                for i, c in enumerate(conns):
                    if i in closed_at:
                        continue
                    try:
                        if c.recv(1, socket.MSG_PEEK) == b'':
                            closed_at[i] = time.time() - opened
                            continue
                    except BlockingIOError:
                        pass
                    except OSError:
                        closed_at[i] = time.time() - opened
                        continue
                    try:
                        c.send(b'\\x00' if sent[i] != 1 else b'\\x40')
                        sent[i] += 1
                    except OSError:
                        closed_at[i] = time.time() - opened
                time.sleep(4)
            late = [t for t in closed_at.values() if t > 15]
            print('closed', len(closed_at), 'of', len(conns), 'latest %.1f' % max([0] + late), flush=True)
            """);
        final Path slowOut = f.dir.resolve("slow.txt");
        final Process slowloris = f.lab.start(mallory, slowOut, "python3", slow.toString());
        try {
            Await.holdsWithin(
                    Duration.ofSeconds(20),
                    () -> Files.exists(slowOut) && Files.readString(slowOut).contains("opened"));
            // Over TCP, from the attacker's own network and from another one
            for (int i = 0; i < 5; i++) {
                assertEquals(
                        f.ipOf("frontend", "mallory"),
                        f.lab.exec(iris, "dig", "@10.74.0.1", "+tcp", "+time=3", "+tries=1", "+short", "mallory")
                                .stdout()
                                .strip(),
                        "iris, on mallory's network, is answered over TCP: " + dnsStats());
                assertEquals(
                        f.ipOf("backend", "rose"),
                        f.lab.exec(rose, "dig", "@10.73.0.1", "+tcp", "+time=3", "+tries=1", "+short", "rose")
                                .stdout()
                                .strip(),
                        "rose, on another network, is answered over TCP");
            }
            assertTrue(slowloris.waitFor(90, TimeUnit.SECONDS), "the slow client ends");
        } finally {
            slowloris.destroy();
        }
        final String said = Files.readString(slowOut);
        final JsonNode dns = dnsStats();
        System.out.println("256 slow TCP DNS connections: " + said.strip().replace('\n', ';') + "; "
                + "tcp-refused-client-share "
                + dns.path("tcp-refused-client-share").asLong()
                + ", tcp-lifetime-closed " + dns.path("tcp-lifetime-closed").asLong());
        assertTrue(said.contains("closed 256 of 256"), "every connection was closed by the daemon: " + said);
        assertTrue(dns.path("tcp-refused-client-share").asLong() >= 200, dns.toString());
        assertTrue(dns.path("tcp-lifetime-closed").asLong() >= 16, "the 16 trickling ones at their deadline: " + dns);
    }
}
