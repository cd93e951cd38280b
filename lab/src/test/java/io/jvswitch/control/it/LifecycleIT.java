package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Daemon restarts, attach/detach churn, and the cost of idle endpoints. */
class LifecycleIT {
    DaemonFixture f;

    @AfterEach
    void tearDown() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void aRestartedDaemonKeepsNetworksAndEndpoints() throws Exception {
        f = new DaemonFixture("jvsit-rs");
        final String a = f.container("a");
        final String b = f.container("b");
        f.ok("network", "create", "web", "--subnet", "10.93.0.0/24", "--ip-range", "10.93.0.128/25");
        f.ok("network", "create", "db");
        f.ok("attach", "--netns", a, "--network", "web", "--name", "a");
        f.ok("attach", "--netns", b, "--network", "web", "--name", "b", "--ip", "10.93.0.50");
        assertTrue(f.ping(a, "10.93.0.50", 1));
        final String inspectBefore = f.ok("network", "inspect", "web", "db").out();
        final int ifindexBefore = ifindex(a);

        f.daemon.close(); // SIGTERM
        assertTrue(
                f.lab.check(a, "ip", "-o", "-4", "addr").contains("10.93.0.128/24"),
                "the container keeps its interface and address while jvs is down");
        f.startDaemon();

        assertEquals(inspectBefore, f.ok("network", "inspect", "web", "db").out(), "same networks and endpoints");
        assertEquals(ifindexBefore, ifindex(a), "the same TAP was taken back, not a new one");
        assertEquals(List.of("eth0"), f.lab.links(a), "no duplicate or orphan interface");
        assertTrue(f.ping(a, "10.93.0.50", 3), "traffic flows again");
        assertTrue(f.ping(b, "10.93.0.128", 1));
        final String c = f.container("c");
        f.ok("attach", "--netns", c, "--network", "web", "--name", "c");
        assertEquals("10.93.0.129", f.ipOf("web", "c"), "IPAM remembers what is taken");
    }

    /**
     * The default route goes with the interface that carried it; a container still on another
     * network gets that network's, and one container on two networks is detached from both by name.
     */
    @Test
    void detachingTheDefaultRouteNetworkLeavesTheRouteOfTheOther() throws Exception {
        f = new DaemonFixture("jvsit-dr");
        final String a = f.container("a");
        final String b = f.container("b");
        f.ok("network", "create", "web", "--subnet", "10.91.0.0/24");
        f.ok("network", "create", "db", "--subnet", "10.90.0.0/24");
        f.ok("network", "create", "quiet", "--subnet", "10.89.0.0/24", "--internal");
        f.ok("attach", "--netns", a, "--network", "web", "--name", "a");
        f.ok("attach", "--netns", a, "--network", "quiet", "--name", "a");
        f.ok("attach", "--netns", a, "--network", "db", "--name", "a");
        f.ok("attach", "--netns", b, "--network", "db", "--name", "b");
        assertEquals("default via 10.91.0.1 dev eth0", defaultRoute(a));

        f.ok("detach", "a", "--network", "web");
        assertEquals(
                "default via 10.90.0.1 dev eth2",
                defaultRoute(a),
                "the route of db, the network a is still on with a way out (quiet is internal)");
        assertTrue(f.ping(a, "10.90.0.1", 1), "the new gateway answers");

        assertEquals(
                "a detached from quiet\na detached from db\n",
                f.ok("detach", "a").out());
        assertEquals(List.of(), f.lab.links(a));
        assertEquals(List.of("eth0"), f.lab.links(b), "b untouched");
    }

    private String defaultRoute(String namespace) {
        return f.lab.check(namespace, "ip", "-4", "route", "show", "default")
                .strip()
                .replaceAll("\\s+", " ");
    }

    @Test
    void churnAndIdleEndpointsLeaveNothingBehindAndCostLittle() throws Exception {
        f = new DaemonFixture("jvsit-ch");
        final List<String> containers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            containers.add(f.container("c" + i));
        }
        final List<String> networks = List.of("n1", "n2", "n3", "n4", "n5");
        for (int n = 0; n < networks.size(); n++) {
            f.ok("network", "create", networks.get(n), "--subnet", "10.94." + n + ".0/24");
        }
        // Warm up lazily created resources before taking the baseline.
        f.ok("attach", "--netns", containers.getFirst(), "--network", "n1", "--name", "warm");
        f.ok("detach", "warm");
        final long fdsBefore = count("/proc/" + f.daemon.pid() + "/fd");
        final List<String> threadsBefore = threadNames(f.daemon.pid());

        for (int round = 0; round < 2; round++) {
            for (String network : networks) {
                for (String container : containers) {
                    f.ok(
                            "attach",
                            "--netns",
                            container,
                            "--network",
                            network,
                            "--name",
                            container.replaceAll(".*-", ""));
                }
            }
            assertEquals(
                    100,
                    f.ok("ports", "--switch")
                                    .out()
                                    .lines()
                                    .filter(l -> !l.startsWith("host:"))
                                    .count()
                            - 1,
                    "100 endpoints attached (and the host link)");
            if (round == 0) {
                assertTrue(f.ping(containers.get(3), "10.94.2.2", 1), "they work");
                final double cpu = cpuShareWhileIdle(f.daemon.pid(), 3000);
                System.out.printf("daemon CPU with 100 idle endpoints: %.1f %% of one core%n", cpu * 100);
                assertTrue(cpu < 0.10, "100 idle endpoints cost " + cpu * 100 + " % of a core");
            }
            for (String container : containers) {
                f.ok("detach", container.replaceAll(".*-", ""));
            }
        }
        assertEquals(
                1,
                f.ok("ports", "--switch")
                        .out()
                        .lines()
                        .filter(l -> !l.startsWith("host:"))
                        .count(),
                "no endpoint port left (the host link stays)");
        for (String container : containers) {
            assertTrue(f.lab.links(container).isEmpty(), "no TAP left in " + container + ": " + f.lab.links(container));
        }
        // The baseline may still hold the last CLI call's connection: fewer afterwards is fine, more is a leak.
        final long fdsAfter = count("/proc/" + f.daemon.pid() + "/fd");
        assertTrue(
                fdsAfter <= fdsBefore, "no file descriptor leaked: " + fdsBefore + " before, " + fdsAfter + " after");
        assertEquals(threadsBefore, threadNames(f.daemon.pid()), "no thread leaked");
    }

    /**
     * Names of the daemon's threads, less those the JVM starts and stops on its own: JIT compiler
     * threads (their number follows the compile load) and the process reaper pool that ProcessBuilder
     * keeps for a minute after each command.
     */
    private static List<String> threadNames(long pid) throws IOException {
        final List<String> names = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                final String name = Files.readString(task.resolve("comm")).strip();
                if (!name.startsWith("C1 CompilerThre")
                        && !name.startsWith("C2 CompilerThre")
                        && !name.startsWith("process reaper")) {
                    names.add(name);
                }
            }
        }
        names.sort(null);
        return names;
    }

    private int ifindex(String namespace) {
        return Integer.parseInt(
                f.lab.check(namespace, "cat", "/sys/class/net/eth0/ifindex").strip());
    }

    private static long count(String dir) throws IOException {
        try (var files = Files.list(Path.of(dir))) {
            return files.count();
        }
    }

    /** Share of one core the process used over a quiet interval, from /proc/PID/stat. */
    /**
     * The daemon's CPU share over a quiet window. Right after 100 attaches the containers' kernels are
     * still announcing themselves (IPv6 DAD, router solicitations, MLD, flooded to every port) and the
     * JIT is still compiling: the lowest of a few consecutive windows is the idle cost.
     */
    private static double cpuShareWhileIdle(long pid, long millis) throws Exception {
        double lowest = Double.MAX_VALUE;
        for (int window = 0; window < 4; window++) {
            final long before = cpuTicks(pid);
            Thread.sleep(millis); // a measurement window, not a wait for something to happen
            final long after = cpuTicks(pid);
            lowest = Math.min(lowest, (after - before) / 100.0 / (millis / 1000.0));
        }
        return lowest;
    }

    private static long cpuTicks(long pid) throws IOException {
        final String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime + stime
    }
}
