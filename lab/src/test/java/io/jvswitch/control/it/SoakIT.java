package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvswitch.control.netns.CommandRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A long run with churn: containers attached and detached, connections made, captures started and
 * stopped; the daemon's live heap (after a full GC) and RSS at the start and at the end. Not part
 * of CI: runs only when {@code -Djvs.soak.minutes=N} is given (see the README).
 */
class SoakIT {
    DaemonFixture f;

    @AfterEach
    void tearDown() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void memoryStaysFlatUnderChurn() throws Exception {
        final String minutes = System.getProperty("jvs.soak.minutes");
        assumeTrue(minutes != null, "a soak runs only with -Djvs.soak.minutes=N");
        final long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(Long.parseLong(minutes));
        f = new DaemonFixture("jvsit-soak");
        final List<String> containers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            containers.add(f.container("c" + i));
        }
        f.ok("network", "create", "soak", "--subnet", "10.82.0.0/24");
        f.ok("network", "create", "other", "--subnet", "10.81.0.0/24");
        // Warm up, then measure the baseline.
        churnRound(containers, 0);
        final long[] start = memory();
        System.out.printf("soak start: live heap %d KiB, RSS %d KiB%n", start[0], start[1]);
        int rounds = 1;
        while (System.nanoTime() < end) {
            churnRound(containers, rounds++);
        }
        final long[] last = memory();
        System.out.printf(
                "soak end after %s min, %d rounds (%d attaches): live heap %d KiB, RSS %d KiB%n",
                minutes, rounds, rounds * containers.size() * 2, last[0], last[1]);
        assertTrue(f.daemon.isAlive());
        assertTrue(last[0] < start[0] * 2 + 8192, "live heap stays flat: " + start[0] + " -> " + last[0] + " KiB");
    }

    private void churnRound(List<String> containers, int round) throws Exception {
        for (String c : containers) {
            final String name = c.replaceAll(".*-", "");
            f.ok("attach", "--netns", c, "--network", "soak", "--name", name);
            f.ok("attach", "--netns", c, "--network", "other", "--name", name);
        }
        f.ping(containers.get(0), "10.82.0.3", 2);
        final Process server = f.lab.start(containers.get(1), f.dir.resolve("soak-iperf.txt"), "iperf3", "-s", "-1");
        Readiness.tcpListener(f.lab, containers.get(1), 5201);
        f.lab.exec(containers.get(0), "iperf3", "-c", "10.82.0.3", "-n", "2M");
        server.waitFor(5, TimeUnit.SECONDS);
        server.destroy();
        if (round % 5 == 0) {
            f.ok("stats", "--json");
            f.ok("trace", "--from", "c0", "--network", "soak", "icmp", "dst", "10.82.0.3");
        }
        for (String c : containers) {
            f.ok("detach", c.replaceAll(".*-", ""));
        }
    }

    /** {live heap after a full GC, RSS}, in KiB. */
    private long[] memory() throws Exception {
        final String jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow())
                .resolveSibling("jcmd")
                .toString();
        final CommandRunner run = new CommandRunner();
        run.check("jcmd GC.run", List.of(jcmd, Long.toString(f.daemon.pid()), "GC.run"));
        final String heap =
                run.check("jcmd GC.heap_info", List.of(jcmd, Long.toString(f.daemon.pid()), "GC.heap_info"));
        final Matcher used = Pattern.compile("used (\\d+)K").matcher(heap);
        long usedKib = 0;
        while (used.find()) {
            usedKib = Math.max(usedKib, Long.parseLong(used.group(1)));
        }
        final Matcher rss = Pattern.compile("VmRSS:\\s+(\\d+) kB")
                .matcher(Files.readString(Path.of("/proc/" + f.daemon.pid() + "/status")));
        return new long[] {usedKib, rss.find() ? Long.parseLong(rss.group(1)) : -1};
    }
}
