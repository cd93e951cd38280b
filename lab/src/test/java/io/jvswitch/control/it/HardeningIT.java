package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Port security, floods, containers vanishing under traffic, and kill -9 of the daemon under traffic. */
class HardeningIT {
    DaemonFixture f;

    @AfterEach
    void tearDown() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    String script() throws Exception {
        return Path.of(Objects.requireNonNull(getClass().getResource("/send-frames.py"))
                        .toURI())
                .toString();
    }

    @Test
    void aContainerCannotSpeakAsAnother() throws Exception {
        f = new DaemonFixture("jvsit-sec");
        final String rose = f.container("rose");
        final String tulip = f.container("tulip");
        final String mallory = f.container("mallory");
        f.ok("network", "create", "frontend", "--subnet", "10.86.0.0/24");
        f.ok("attach", "--netns", rose, "--network", "frontend", "--name", "rose");
        f.ok("attach", "--netns", tulip, "--network", "frontend", "--name", "tulip");
        f.ok("attach", "--netns", mallory, "--network", "frontend", "--name", "mallory");
        assertTrue(f.ping(rose, "10.86.0.3", 1));
        assertTrue(f.ping(mallory, "10.86.0.2", 1), "mallory is an ordinary container until it misbehaves");

        // 1. Mallory takes over tulip's address and announces it (as `ip addr add` + arping would).
        f.lab.check(mallory, "ip", "addr", "add", "10.86.0.3/24", "dev", "eth0");
        final String malloryMac = "024a0a560004";
        final String poisonTulip = "ffffffffffff" + malloryMac + "0806" + "000108000604" + "0001" + malloryMac
                + "0a560003" + "000000000000" + "0a560003";
        // 2. ... and poisons the gateway: a gratuitous ARP and an unsolicited reply to rose claiming 10.86.0.1.
        final String poisonGateway = "ffffffffffff" + malloryMac + "0806" + "000108000604" + "0001" + malloryMac
                + "0a560001" + "000000000000" + "0a560001";
        final String replyToRose = "024a0a560002" + malloryMac + "0806" + "000108000604" + "0002" + malloryMac
                + "0a560001" + "024a0a560002" + "0a560002";
        // 3. ... and sends with a forged source MAC (tulip's) and a forged source address.
        final String forgedMac = "024a0a560002" + "024a0a560003" + "0800" + "4500001c000000004011" + "0000" + "0a560003"
                + "0a560002" + "0000".repeat(4);
        f.lab.check(mallory, "python3", script(), "eth0", poisonTulip, poisonGateway, replyToRose, forgedMac);
        assertFalse(
                f.lab.exec(mallory, "ping", "-c", "2", "-i", "0.2", "-I", "10.86.0.3", "-W", "1", "10.86.0.2")
                        .ok(),
                "pings from a stolen address go nowhere");

        final JsonNode drops = f.port("mallory").path("drops");
        // The three forged ARPs, plus mallory's own kernel asking from the stolen address.
        assertTrue(drops.path("spoofed-arp").asLong() >= 3, drops.toString());
        assertEquals(1, drops.path("spoofed-source-mac").asLong(), drops.toString());
        assertTrue(drops.path("spoofed-source-ip").asLong() >= 2, "pings from the stolen address: " + drops);
        final String roseNeighbours = f.lab.check(rose, "ip", "neigh", "show");
        for (String line : roseNeighbours.split("\n")) {
            if (line.startsWith("10.86.0.1 ") || line.startsWith("10.86.0.3 ")) {
                assertFalse(line.contains("02:4a:0a:56:00:04"), "rose's ARP cache was poisoned: " + line);
            }
        }
        assertTrue(f.ping(rose, "10.86.0.3", 2), "rose still reaches the real tulip");

        // An appliance that must speak for others can be allowed to, per endpoint.
        final String router = f.container("router");
        f.ok("attach", "--netns", router, "--network", "frontend", "--name", "router", "--allow-spoofing");
        f.lab.check(router, "ip", "addr", "add", "10.86.0.200/24", "dev", "eth0");
        assertTrue(
                f.lab.exec(router, "ping", "-c", "1", "-W", "2", "-I", "10.86.0.200", "10.86.0.2")
                        .ok(),
                "an --allow-spoofing endpoint may use another address");
        assertEquals(0, f.port("router").path("drops").size(), f.port("router").toString());
    }

    @Test
    void aMacFloodIsBoundedAndOthersKeepForwarding() throws Exception {
        final int quota = 1024;
        f = new DaemonFixture("jvsit-fl", "--fdb-port-limit", Integer.toString(quota));
        final String rose = f.container("rose");
        final String tulip = f.container("tulip");
        final String flooder = f.container("flooder");
        f.ok("network", "create", "frontend", "--subnet", "10.85.0.0/24");
        f.ok("attach", "--netns", rose, "--network", "frontend", "--name", "rose");
        f.ok("attach", "--netns", tulip, "--network", "frontend", "--name", "tulip");
        f.ok("attach", "--netns", flooder, "--network", "frontend", "--name", "flooder", "--allow-spoofing");
        final Path generator = f.dir.resolve("flood.py");
        Files.writeString(generator, """
            import socket, struct
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            s.bind(('eth0', 0))
            payload = b'\\x45' * 46
            for i in range(100000):
                s.send(b'\\xff' * 6 + b'\\x02\\xcc' + struct.pack('>I', i) + b'\\x08\\x00' + payload)
            """);
        final Process pinger = f.lab.start(
                rose, f.dir.resolve("ping-during-flood.txt"), "ping", "-c", "50", "-i", "0.1", "-W", "1", "10.85.0.3");
        f.lab.check(flooder, "python3", generator.toString());
        assertTrue(pinger.waitFor(30, TimeUnit.SECONDS));
        final String during = Files.readString(f.dir.resolve("ping-during-flood.txt"));
        final Matcher loss = Pattern.compile("(\\d+)% packet loss").matcher(during);
        assertTrue(
                loss.find() && Integer.parseInt(loss.group(1)) <= 10,
                "rose kept reaching tulip during the flood: " + during);
        final JsonNode stats = f.ok("stats", "--json").json().path("networks").path("frontend");
        // The container's kernel outruns the switch: frames beyond the TAP's queue are dropped there,
        // so count what reached the switch rather than what was sent. How many get through depends on
        // the machine (6,592 to 17,018 of the 100,000 in five runs on one); what the test needs is a
        // flood at least twice the port's quota, so that at least as many MACs are refused as learned.
        final long reached = f.port("flooder").path("rxFrames").asLong();
        assertTrue(reached > 2 * quota, "a real flood, at least twice the quota, reached the switch: " + reached);
        assertTrue(stats.path("macEntries").asInt() <= quota + 2, "FDB bounded by the port limit: " + stats);
        // Refused: every flooded MAC beyond the quota (the port's own frames, IPv6 solicitations, refresh its own MAC).
        final long refused = stats.path("macRefusedPortLimit").asLong();
        assertTrue(
                refused <= reached - (quota - 1) && refused >= reached - (quota + 76),
                "every other MAC refused and counted: " + refused + " of " + reached);
        assertEquals(quota, f.port("flooder").path("macsLearned").asLong());
        System.out.printf(
                "100k source MACs sent from one port, %d reached the switch: FDB %d entries, %d refused; "
                        + "ping during the flood: %s%n",
                reached,
                stats.path("macEntries").asInt(),
                stats.path("macRefusedPortLimit").asLong(),
                loss.group(0));
        assertTrue(f.ping(rose, "10.85.0.3", 2));
    }

    @Test
    void aContainerDeletedUnderTrafficIsRemovedCleanly() throws Exception {
        f = new DaemonFixture("jvsit-del");
        final String rose = f.container("rose");
        final String tulip = f.container("tulip");
        final String daisy = f.container("daisy");
        f.ok("network", "create", "frontend", "--subnet", "10.84.0.0/24");
        f.ok("attach", "--netns", rose, "--network", "frontend", "--name", "rose");
        f.ok("attach", "--netns", tulip, "--network", "frontend", "--name", "tulip");
        f.ok("attach", "--netns", daisy, "--network", "frontend", "--name", "daisy");
        final Process toDaisy =
                f.lab.start(rose, f.dir.resolve("to-daisy.txt"), "ping", "-i", "0.01", "-w", "4", "10.84.0.4");
        final Process toTulip =
                f.lab.start(rose, f.dir.resolve("to-tulip.txt"), "ping", "-i", "0.05", "-w", "4", "10.84.0.3");
        Await.until(
                "both pings are answered before daisy goes (ping -w 4 ends them after 4 s)",
                Duration.ofSeconds(3),
                () -> replies(f.dir.resolve("to-daisy.txt")) >= 10 && replies(f.dir.resolve("to-tulip.txt")) >= 2);
        f.lab.delete(daisy);
        assertTrue(toDaisy.waitFor(10, TimeUnit.SECONDS) && toTulip.waitFor(10, TimeUnit.SECONDS));
        assertNull(f.port("daisy"), "daisy's port is gone");
        assertFalse(f.ok("network", "inspect", "frontend").out().contains("\"daisy\""));
        final String tulipPings = Files.readString(f.dir.resolve("to-tulip.txt"));
        assertTrue(tulipPings.contains(" 0% packet loss"), "rose -> tulip unaffected: " + tulipPings);
        assertTrue(f.daemon.isAlive());
    }

    /** Echo replies a ping has written to its output so far. */
    private static int replies(Path pingOutput) throws IOException {
        return Files.exists(pingOutput)
                ? (int) Files.readString(pingOutput)
                        .lines()
                        .filter(l -> l.contains("icmp_seq="))
                        .count()
                : 0;
    }

    @Test
    void killMinus9UnderTrafficThenRestartRecoversWithinFiveSeconds() throws Exception {
        f = new DaemonFixture("jvsit-k9");
        final String rose = f.container("rose");
        final String tulip = f.container("tulip");
        f.ok("network", "create", "frontend", "--subnet", "10.83.0.0/24");
        f.ok("attach", "--netns", rose, "--network", "frontend", "--name", "rose");
        f.ok("attach", "--netns", tulip, "--network", "frontend", "--name", "tulip");
        final int ifindex = Integer.parseInt(
                f.lab.check(rose, "cat", "/sys/class/net/eth0/ifindex").strip());
        final Path pings = f.dir.resolve("k9.txt");
        // -D stamps every reply with the time it came: the gap is measured in time, not in sequence
        // numbers, which a ping slowed by a full device queue (ENOBUFS while the daemon is down) skews.
        final Process ping = f.lab.start(rose, pings, "ping", "-D", "-i", "0.01", "-W", "1", "-w", "60", "10.83.0.3");
        Await.until("pings are answered before the kill", Duration.ofSeconds(20), () -> replies(pings) >= 100);
        final double killedAt = System.currentTimeMillis() / 1000.0;
        f.daemon.kill(); // SIGKILL: no shutdown hook, no cleanup
        f.startDaemon();
        final int beforeRestart = replies(pings);
        // Pings keep flowing a while after the restart: a hundred more replies (about a second).
        Await.until(
                "pings are answered after the restart",
                Duration.ofSeconds(30),
                () -> replies(pings) >= beforeRestart + 100);
        ping.destroy();
        assertTrue(ping.waitFor(30, TimeUnit.SECONDS));
        final List<Double> replies = new ArrayList<>();
        final Matcher stamp = Pattern.compile("^\\[(\\d+\\.\\d+)\\] .*icmp_seq=", Pattern.MULTILINE)
                .matcher(Files.readString(pings));
        while (stamp.find()) {
            replies.add(Double.parseDouble(stamp.group(1)));
        }
        double longestGap = 0;
        for (int i = 1; i < replies.size(); i++) {
            longestGap = Math.max(longestGap, replies.get(i) - replies.get(i - 1));
        }
        final double gapMillis = longestGap * 1000;
        System.out.printf("kill -9 and restart under a 10 ms ping: longest gap between replies %.0f ms%n", gapMillis);
        assertTrue(
                !replies.isEmpty() && replies.getFirst() < killedAt && replies.getLast() > killedAt + 1,
                "pings were answered before the kill and after the restart");
        // The gap is a new JVM's start and the restore: about 1.5 s on an idle 2-core machine, 4 s under load.
        assertTrue(gapMillis < 5000, "connectivity back within 5 s; the gap was " + gapMillis + " ms");
        assertEquals(List.of("eth0"), f.lab.links(rose), "no duplicate or orphan interface");
        assertEquals(
                ifindex,
                Integer.parseInt(
                        f.lab.check(rose, "cat", "/sys/class/net/eth0/ifindex").strip()),
                "the same TAP, taken back");
        final String fdb = f.ok("fdb", "frontend").out();
        assertTrue(fdb.contains("rose") && fdb.contains("tulip"), "FDB rebuilt: " + fdb);
        final List<String> ports = new ArrayList<>();
        f.ok("ports", "--switch")
                .out()
                .lines()
                .skip(1)
                .filter(l -> !l.startsWith("host:"))
                .forEach(l -> ports.add(l.split("\\s+")[0]));
        assertEquals(List.of("rose", "tulip"), ports.stream().sorted().toList());
    }
}
