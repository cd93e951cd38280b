package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.netns.CommandRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The conntrack table against one container's SYN flood: held to the container's share while
 * another container keeps connecting, and a detached container's connections removed with it.
 */
class ConntrackFairnessIT {
    static final String MASQ = "169.254.43.1";
    static final String FAR = "10.252.0.2";

    DaemonFixture f;
    final List<Process> processes = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : processes) {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        if (f != null) {
            f.close();
        }
    }

    private long connectionsFrom(JsonNode conntrack, String address) {
        long n = 0;
        for (JsonNode c : conntrack.path("connections")) {
            n += c.path("source").asText().startsWith(address + ":") ? 1 : 0;
        }
        return n;
    }

    @Test
    void aSynFloodFromOneContainerLeavesTheOthersTheirConnections() throws Exception {
        // A 4096-connection table: one endpoint's share is 256
        f = new DaemonFixture("jvsit-ctf", "--conntrack-max", "4096");
        final String mallory = f.container("mallory");
        final String rose = f.container("rose");
        final String far = f.container("far");
        final String hostEnd = "vc" + Long.toString(System.nanoTime() % 100000, 36);
        f.lab.check(f.host, "ip", "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", far);
        f.lab.check(f.host, "ip", "addr", "add", "10.252.0.1/24", "dev", hostEnd);
        f.lab.check(f.host, "ip", "link", "set", hostEnd, "up");
        f.lab.check(f.host, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        f.lab.check(far, "ip", "addr", "add", FAR + "/24", "dev", "eth0");
        f.lab.check(far, "ip", "link", "set", "eth0", "up");
        f.lab.check(far, "ip", "route", "add", "default", "via", "10.252.0.1");
        f.ok("network", "create", "n", "--subnet", "10.72.0.0/24");
        f.ok("network", "create", "m", "--subnet", "10.71.0.0/24");
        f.ok("attach", "--netns", mallory, "--network", "n", "--name", "mallory");
        f.ok("attach", "--netns", rose, "--network", "m", "--name", "rose");
        final Path server = f.dir.resolve("report_server.py");
        try (InputStream in = getClass().getResourceAsStream("/nat/report_server.py")) {
            Files.copy(in, server);
        }
        final Path serverLog = f.dir.resolve("server.log");
        processes.add(f.lab.start(far, serverLog, "python3", "-u", server.toString(), "8000", ""));
        Readiness.printed(serverLog, "ready");
        // An established connection of mallory's, open across the detach below
        processes.add(f.lab.start(
                mallory,
                f.dir.resolve("held.txt"),
                "python3",
                "-c",
                "import socket,time\ns=socket.create_connection(('" + FAR + "',8000))\nprint('open',flush=True)\n"
                        + "time.sleep(60)"));

        final Path flood = f.dir.resolve("synflood.py");
        // 20,000 SYNs from mallory's own address, each from another source port (a raw socket:
        // no socket of mallory's kernel per connection); at most 20 s. Sent in bursts of 32 with a
        // millisecond between them, so the flood measures the NAT's fairness and not the TAP's
        // queue: unpaced, the sender took a vCPU from the dataplane on a slow 2-vCPU machine and
        // most SYNs were lost in the queue before the switch saw them.
        Files.writeString(flood, """
            import socket, struct, sys, time
            src, dst = sys.argv[1], sys.argv[2]
            def csum(b):
                if len(b) % 2: b += b'\\0'
                s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
                while s >> 16: s = (s & 0xffff) + (s >> 16)
                return ~s & 0xffff
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
            pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, 20)
            end, sent = time.time() + 20, 0
            for port in range(20000, 40000):
                if time.time() > end: break
                tcp = struct.pack('!HHIIBBHHH', port, 9, 1, 0, 5 << 4, 0x02, 64240, 0, 0)
                tcp = tcp[:16] + struct.pack('!H', csum(pseudo + tcp)) + tcp[18:]
                s.sendto(tcp, (dst, 0))
                sent += 1
                if sent % 32 == 0: time.sleep(0.001)
            print('sent', sent)
            """);
        final String malloryIp = f.ipOf("n", "mallory");
        final CommandRunner.Result flooded = f.lab.exec(mallory, "python3", flood.toString(), malloryIp, FAR);
        assertTrue(flooded.ok(), flooded.stderr());

        // rose, on another network, still connects, several times
        for (int i = 0; i < 5; i++) {
            final CommandRunner.Result curl =
                    f.lab.exec(rose, "curl", "-sS", "--max-time", "5", "http://" + FAR + ":8000/");
            assertTrue(curl.ok() && curl.stdout().startsWith("client=" + MASQ), curl.stdout() + curl.stderr());
        }
        final JsonNode during = f.ok("conntrack", "--json").json();
        final long endpointLimit = during.path("drops").path("endpoint-limit").asLong();
        final long fromMallory = connectionsFrom(during, malloryIp);
        // Frames beyond the TAP's queue never reach the switch: count what did (as the MAC flood test)
        final long reached = f.port("mallory").path("rxFrames").asLong();
        assertTrue(reached > 2_000, "a real flood reached the switch: " + reached);
        assertTrue(
                endpointLimit >= reached - 600,
                "every SYN beyond mallory's share refused: " + endpointLimit + " of " + reached + " frames");
        assertEquals(0, during.path("drops").path("table-full").asLong(), "the table never filled");
        assertTrue(fromMallory <= 256, "mallory holds at most its share: " + fromMallory);
        assertTrue(
                during.path("count").asLong() <= 256 + 16, during.path("count").toString());

        // Detached: mallory's connections go with it, its established one too
        f.ok("detach", "mallory");
        final JsonNode after = f.ok("conntrack", "--json").json();
        assertEquals(0, connectionsFrom(after, malloryIp), "none of mallory's connections left");
        System.out.printf(
                "SYN flood %s from one container, %d frames reached the switch: endpoint-limit %d, its connections"
                        + " %d of a 4096 table,"
                        + " table-full 0; 5 of 5 curl from another network; after detach %d of its connections left%n",
                flooded.stdout().strip(), reached, endpointLimit, fromMallory, connectionsFrom(after, malloryIp));
    }
}
