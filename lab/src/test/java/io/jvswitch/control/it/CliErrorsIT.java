package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvswitch.control.cli.JvsCommand;
import io.jvswitch.control.lab.DaemonProcess;
import io.jvswitch.control.netns.CommandRunner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Bad input at the CLI and API: a clear message, a non-zero exit, and no change at all. */
class CliErrorsIT {
    static DaemonFixture f;
    static String rose;
    static String tulip;
    private static final List<Path> cleanup = new ArrayList<>();
    private static String readableClassPath;

    @BeforeAll
    static void setUp() throws Exception {
        f = new DaemonFixture("jvsit-err");
        rose = f.container("rose");
        tulip = f.container("tulip");
        f.ok("network", "create", "frontend", "--subnet", "10.95.0.0/24");
        f.ok("attach", "--netns", rose, "--network", "frontend", "--name", "rose");
        // an overlay network: its underlay address lives in the daemon's host namespace
        f.lab.check(f.host, "ip", "addr", "add", "10.203.0.1/32", "dev", "lo");
        f.ok(
                "network",
                "create",
                "ov",
                "--driver",
                "overlay",
                "--vni",
                "7000",
                "--subnet",
                "10.94.0.0/24",
                "--local",
                "10.203.0.1",
                "--peer",
                "10.203.0.2");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    /** Runs a command that must fail with {@code message}, leaving the state file and the API view as they were. */
    void refused(String message, String... args) throws Exception {
        final String stateBefore = f.stateFile();
        final String viewBefore = f.ok("network", "inspect", "frontend").out();
        final List<String> tulipLinksBefore = f.lab.links(tulip);
        final DaemonFixture.Cli cli = f.jvs(args);
        assertEquals(1, cli.exit(), "exit code of jvs " + String.join(" ", args));
        assertTrue(
                cli.err().startsWith("jvs: ") && cli.err().contains(message),
                "jvs " + String.join(" ", args) + " said: " + cli.err());
        assertEquals(1, cli.err().strip().lines().count(), "one line, no stack trace: " + cli.err());
        assertEquals(stateBefore, f.stateFile(), "state unchanged");
        assertEquals(viewBefore, f.ok("network", "inspect", "frontend").out(), "network unchanged");
        assertEquals(tulipLinksBefore, f.lab.links(tulip), "no interface left behind in the container");
    }

    @Test
    void unknownNetwork() throws Exception {
        refused("no network named nosuch", "attach", "--netns", tulip, "--network", "nosuch");
        refused("no network named nosuch", "network", "inspect", "nosuch");
        refused("no network named nosuch", "network", "rm", "nosuch");
    }

    @Test
    void duplicates() throws Exception {
        refused("network frontend already exists", "network", "create", "frontend", "--subnet", "10.96.0.0/24");
        refused(
                "an endpoint named rose is already on network frontend",
                "attach",
                "--netns",
                tulip,
                "--network",
                "frontend",
                "--name",
                "rose");
        refused(
                "is already attached to network frontend",
                "attach",
                "--netns",
                rose,
                "--network",
                "frontend",
                "--name",
                "rose2");
    }

    @Test
    void overlayNetworks() throws Exception {
        final String overlayBefore = f.ok("network", "inspect", "ov").out();
        refused(
                "invalid VNI 16777216: must be within 1..16777215",
                "network",
                "create",
                "o2",
                "--driver",
                "overlay",
                "--vni",
                "16777216",
                "--subnet",
                "10.93.0.0/24",
                "--local",
                "10.203.0.1");
        refused(
                "invalid VNI 0",
                "network",
                "create",
                "o2",
                "--driver",
                "overlay",
                "--vni",
                "0",
                "--subnet",
                "10.93.0.0/24",
                "--local",
                "10.203.0.1");
        refused(
                "VNI 7000 is already used by network ov",
                "network",
                "create",
                "o2",
                "--driver",
                "overlay",
                "--vni",
                "7000",
                "--subnet",
                "10.93.0.0/24",
                "--local",
                "10.203.0.1");
        refused(
                "--local (this host's underlay address) is required for --driver overlay",
                "network",
                "create",
                "o2",
                "--driver",
                "overlay",
                "--subnet",
                "10.93.0.0/24");
        refused(
                "peer fd00::2 is IPv6 but the underlay (--local 10.203.0.1) is IPv4",
                "network",
                "create",
                "o2",
                "--driver",
                "overlay",
                "--subnet",
                "10.93.0.0/24",
                "--local",
                "10.203.0.1",
                "--peer",
                "fd00::2");
        refused(
                "peer fd00::2 is IPv6 but the underlay (--local 10.203.0.1) is IPv4",
                "network",
                "peer",
                "add",
                "ov",
                "fd00::2");
        refused(
                "10.203.0.9 is not a peer of network ov (peers: 10.203.0.2)",
                "network",
                "peer",
                "rm",
                "ov",
                "10.203.0.9");
        refused(
                "--vni, --local, --peer, --vxlan-port and --ttl apply to --driver overlay only",
                "network",
                "create",
                "o2",
                "--subnet",
                "10.93.0.0/24",
                "--vni",
                "7001");
        // an address this host does not have: the tunnel cannot bind, and the network is not created
        refused(
                "cannot bind the VXLAN underlay socket to 10.204.0.9:4789",
                "network",
                "create",
                "o2",
                "--driver",
                "overlay",
                "--subnet",
                "10.93.0.0/24",
                "--local",
                "10.204.0.9");
        assertEquals(overlayBefore, f.ok("network", "inspect", "ov").out(), "the overlay network unchanged");
        f.ok(
                "network",
                "create",
                "o2",
                "--driver",
                "overlay",
                "--subnet",
                "10.93.0.0/24",
                "--local",
                "10.203.0.1",
                "--vxlan-port",
                "4790");
        f.ok("network", "rm", "o2"); // the refused attempts left nothing behind that blocks the real one
    }

    @Test
    void subnets() throws Exception {
        refused(
                "subnet 10.95.0.0/16 overlaps network frontend (10.95.0.0/24)",
                "network",
                "create",
                "wide",
                "--subnet",
                "10.95.0.0/16");
        refused("invalid subnet '10.97.0.0/33'", "network", "create", "bad", "--subnet", "10.97.0.0/33");
        refused("invalid subnet '10.97.0.1/24'", "network", "create", "bad", "--subnet", "10.97.0.1/24");
        refused("invalid subnet '10.97.0/24'", "network", "create", "bad", "--subnet", "10.97.0/24");
        refused("gateway", "network", "create", "bad", "--subnet", "10.97.0.0/24", "--gateway", "10.98.0.1");
        refused("invalid network name 'bad name'", "network", "create", "bad name");
    }

    @Test
    void addresses() throws Exception {
        refused(
                "outside subnet 10.95.0.0/24",
                "attach",
                "--netns",
                tulip,
                "--network",
                "frontend",
                "--ip",
                "10.99.0.5");
        refused("already in use", "attach", "--netns", tulip, "--network", "frontend", "--ip", "10.95.0.2");
        refused("is the gateway", "attach", "--netns", tulip, "--network", "frontend", "--ip", "10.95.0.1");
        refused(
                "'300' is not an IPv4 octet",
                "attach",
                "--netns",
                tulip,
                "--network",
                "frontend",
                "--ip",
                "10.95.0.300");
        refused(
                "invalid MAC address",
                "attach",
                "--netns",
                tulip,
                "--network",
                "frontend",
                "--mac",
                "02:zz:00:00:00:01");
        refused(
                "not a unicast address",
                "attach",
                "--netns",
                tulip,
                "--network",
                "frontend",
                "--mac",
                "01:00:5e:00:00:01");
    }

    @Test
    void dnsOptions() throws Exception {
        refused(
                "invalid --dns server 'dns.example'",
                "network",
                "create",
                "named",
                "--subnet",
                "10.97.0.0/24",
                "--dns",
                "dns.example");
        refused(
                "invalid alias name 'bad alias'",
                "attach",
                "--netns",
                tulip,
                "--network",
                "frontend",
                "--alias",
                "bad alias");
    }

    @Test
    void containersThatDoNotExist() throws Exception {
        refused("no network namespace named 'nosuch-ns'", "attach", "--netns", "nosuch-ns", "--network", "frontend");
        refused("no process with id 999999999", "attach", "--pid", "999999999", "--network", "frontend");
        refused("no endpoint named nobody-here", "detach", "nobody-here");
    }

    /** --pid names the same namespace as --netns: the duplicate check sees through the naming. */
    @Test
    void attachByPidRunsTheSameChecksAsByNetns() throws Exception {
        final Process inRose = f.lab.start(rose, f.dir.resolve("rose-sleep.log"), "sleep", "120");
        try {
            final String pid = Long.toString(inRose.pid());
            final List<String> roseLinksBefore = f.lab.links(rose);
            refused(
                    "pid " + pid + " is already attached to network frontend as rose",
                    "attach",
                    "--pid",
                    pid,
                    "--network",
                    "frontend",
                    "--name",
                    "rose2");
            assertEquals(roseLinksBefore, f.lab.links(rose), "no second interface in rose");
        } finally {
            inRose.destroy();
            inRose.waitFor();
        }
    }

    /** An endpoint name is unique per network only: on two networks it may name two containers. */
    @Test
    void anAmbiguousEndpointNameIsRefusedNamingTheNetworks() throws Exception {
        f.ok("network", "create", "garden", "--subnet", "10.92.0.0/24");
        try {
            f.ok("attach", "--netns", tulip, "--network", "garden", "--name", "rose");
            final List<String> tulipLinks = f.lab.links(tulip);
            final List<String> roseLinks = f.lab.links(rose);
            final String gardenBefore = f.ok("network", "inspect", "garden").out();
            final String message =
                    "endpoint name rose is ambiguous: it names different containers on networks frontend, garden:"
                            + " say which with --network";
            refused(message, "detach", "rose");
            refused(
                    message,
                    "capture",
                    "rose",
                    "-w",
                    f.dir.resolve("never.pcap").toString());
            refused(
                    "rose is on 2 networks (frontend, garden): say which with --network",
                    "trace",
                    "--from",
                    "rose",
                    "icmp",
                    "dst",
                    "10.95.0.1");
            assertTrue(Files.notExists(f.dir.resolve("never.pcap")));
            assertEquals(gardenBefore, f.ok("network", "inspect", "garden").out());
            assertEquals(tulipLinks, f.lab.links(tulip));
            assertEquals(roseLinks, f.lab.links(rose));
            assertEquals(
                    "rose detached from garden\n",
                    f.ok("detach", "rose", "--network", "garden").out(),
                    "--network says which");
            assertEquals(roseLinks, f.lab.links(rose), "the other rose keeps its interface");
        } finally {
            f.jvs("detach", "rose", "--network", "garden");
            f.ok("network", "rm", "garden");
        }
    }

    @Test
    void networkWithEndpointsCannotBeRemoved() throws Exception {
        refused("has 1 attached endpoint (rose): detach them first", "network", "rm", "frontend");
    }

    @Test
    void noDaemon() {
        final var out = new StringWriter();
        final var err = new StringWriter();
        final int exit = JvsCommand.run(
                new String[] {"network", "ls", "--socket", "/nonexistent/jvs.sock"},
                new PrintWriter(out, true),
                new PrintWriter(err, true));
        assertEquals(1, exit);
        assertTrue(err.toString().contains("no jvs daemon is listening at /nonexistent/jvs.sock"), err.toString());
    }

    @Test
    void notRoot() throws Exception {
        assumeTrue(Files.exists(Path.of("/usr/bin/setpriv")), "needs setpriv");
        final CommandRunner.Result client = asNobody("network", "ls", "--socket", f.socket.toString());
        assertEquals(1, client.exitCode());
        assertTrue(
                client.stderr().contains("permission denied") && client.stderr().contains("use sudo"), client.stderr());

        final Path dir = Files.createTempDirectory("jvs-nobody-");
        try {
            final CommandRunner.Result daemon = asNobody(
                    "daemon",
                    "--socket",
                    dir.resolve("s").toString(),
                    "--state-dir",
                    dir.resolve("state").toString());
            assertEquals(1, daemon.exitCode());
            assertTrue(
                    daemon.stderr().contains("the jvs daemon needs root")
                            && daemon.stderr().contains("CAP_NET_ADMIN"),
                    daemon.stderr());
            assertTrue(Files.notExists(dir.resolve("state")), "nothing was created");
        } finally {
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void jdkOlderThan25() {
        final Path jdk17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64/bin/java");
        assumeTrue(Files.isExecutable(jdk17), "needs a JDK 17 to test with");
        final Path launcher = Path.of(System.getProperty("jvs.projectRoot", ".."), "jvs");
        final ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "--version");
        pb.environment().put("JVS_JAVA", jdk17.toString());
        final CommandRunner.Result result = runWith(pb);
        assertEquals(1, result.exitCode());
        assertTrue(
                result.stderr().contains("jvs needs JDK 25 or newer")
                        && result.stderr().contains("JDK 17"),
                result.stderr());
    }

    /** An ordinary command runs what was built and never starts Maven: on an unbuilt tree it says so. */
    @Test
    void ordinaryCommandNeverBuilds() throws Exception {
        final Path root = Path.of(System.getProperty("jvs.projectRoot", ".."));
        final Path tree = Files.createTempDirectory("jvs-unbuilt");
        try {
            Files.copy(root.resolve("jvs"), tree.resolve("jvs"), StandardCopyOption.COPY_ATTRIBUTES);
            Files.copy(root.resolve("pom.xml"), tree.resolve("pom.xml"));
            final ProcessBuilder pb = new ProcessBuilder(tree.resolve("jvs").toString(), "network", "ls");
            pb.environment()
                    .put("JVS_JAVA", ProcessHandle.current().info().command().orElseThrow());
            final CommandRunner.Result result = runWith(pb);
            assertEquals(1, result.exitCode(), result.stderr());
            assertTrue(result.stderr().contains("jvs is not built yet: run ./jvs build"), result.stderr());
            try (var files = Files.list(tree)) {
                assertEquals(
                        List.of("jvs", "pom.xml"),
                        files.map(f -> f.getFileName().toString()).sorted().toList(),
                        "nothing was built or written");
            }
        } finally {
            try (var files = Files.walk(tree)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static CommandRunner.Result asNobody(String... jvsArgs) {
        final List<String> command = new ArrayList<>(List.of(
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
                ProcessHandle.current().info().command().orElseThrow()));
        command.addAll(DaemonProcess.JVM_FLAGS);
        command.addAll(List.of("-cp", readableClassPath(), "io.jvswitch.control.Main"));
        command.addAll(List.of(jvsArgs));
        return runWith(new ProcessBuilder(command));
    }

    /** This JVM's class path copied where an unprivileged user can read it (the Maven cache may not be). */
    private static synchronized String readableClassPath() {
        if (readableClassPath == null) {
            try {
                final Path dir = Files.createTempDirectory("jvs-cp-");
                cleanup.add(dir);
                final List<String> entries = new ArrayList<>();
                int n = 0;
                for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                    final Path source = Path.of(entry);
                    final Path target = dir.resolve(n++ + "-" + source.getFileName());
                    if (Files.isDirectory(source)) {
                        try (var tree = Files.walk(source)) {
                            for (Path p : (Iterable<Path>) tree::iterator) {
                                final Path t =
                                        target.resolve(source.relativize(p).toString());
                                if (Files.isDirectory(p)) {
                                    Files.createDirectories(t);
                                } else {
                                    Files.copy(p, t);
                                }
                            }
                        }
                    } else if (Files.exists(source)) {
                        Files.copy(source, target);
                    }
                    entries.add(target.toString());
                }
                new CommandRunner().check("chmod", List.of("chmod", "-R", "a+rX", dir.toString()));
                readableClassPath = String.join(File.pathSeparator, entries);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        return readableClassPath;
    }

    @AfterAll
    static void removeCopies() {
        for (Path dir : cleanup) {
            new CommandRunner().run(List.of("rm", "-rf", dir.toString()));
        }
    }

    private static CommandRunner.Result runWith(ProcessBuilder pb) {
        try {
            final Process p = pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            final byte[] out = p.getInputStream().readAllBytes();
            final byte[] err = p.getErrorStream().readAllBytes();
            p.waitFor();
            return new CommandRunner.Result(p.exitValue(), new String(out), new String(err));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
