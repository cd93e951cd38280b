package io.jvswitch.bench.e2e;

import io.jvswitch.control.lab.NetnsLab;
import io.jvswitch.control.netns.CommandRunner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Open vSwitch's userspace datapath ({@code datapath_type=netdev}) with TAP ports, the reference
 * closest to jvs in design. Its own {@code ovsdb-server} and {@code ovs-vswitchd} run inside a
 * host namespace made for them, with a database, sockets and logs in the bench's workspace, so an
 * OVS the machine may already run is never touched. Userspace TSO is a start-time setting of
 * ovs-vswitchd, so each variant gets its own instance.
 */
final class OvsUserspacePath implements DataplanePath {
    private static final List<String> TOOLS = List.of("ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl");

    private final boolean tso;
    private final CommandRunner runner = new CommandRunner();
    private Process dbServer;
    private Process vswitchd;
    private Endpoints endpoints;

    OvsUserspacePath(boolean tso) {
        this.tso = tso;
    }

    @Override
    public String key() {
        return tso ? "ovs-tso" : "ovs";
    }

    @Override
    public String title() {
        return tso ? "OVS userspace+TSO" : "OVS userspace";
    }

    @Override
    public String unavailableReason() {
        return InstalledTools.missing(TOOLS, "apt-get install openvswitch-switch");
    }

    @Override
    public void setUp(NetnsLab lab, BenchWorkspace workspace) throws Exception {
        final String tag = tso ? "ovst" : "ovs";
        final String host = lab.add(tag + "host");
        final String client = lab.add(tag + "c");
        final String server = lab.add(tag + "s");
        final Path dir = workspace.dir(key());
        final Path db = dir.resolve("conf.db");
        final Path dbSocket = dir.resolve("db.sock");
        runner.check("ovsdb-tool create failed", List.of("ovsdb-tool", "create", db.toString()));
        dbServer = lab.start(
                host,
                dir.resolve("ovsdb-server.out"),
                "ovsdb-server",
                db.toString(),
                "--remote=punix:" + dbSocket,
                "--unixctl=" + dir.resolve("ovsdb-server.ctl"),
                "--pidfile=" + dir.resolve("ovsdb-server.pid"),
                "--log-file=" + dir.resolve("ovsdb-server.log"),
                "--no-chdir");
        awaitSocket(dbSocket, dbServer, dir.resolve("ovsdb-server.out"));
        final String dbArg = "--db=unix:" + dbSocket;
        vsctl(dbArg, "--no-wait", "init");
        if (tso) {
            vsctl(dbArg, "--no-wait", "set", "Open_vSwitch", ".", "other_config:userspace-tso-enable=true");
        }
        vswitchd = lab.start(
                host,
                dir.resolve("ovs-vswitchd.out"),
                "ovs-vswitchd",
                "unix:" + dbSocket,
                "--unixctl=" + dir.resolve("ovs-vswitchd.ctl"),
                "--pidfile=" + dir.resolve("ovs-vswitchd.pid"),
                "--log-file=" + dir.resolve("ovs-vswitchd.log"),
                "--no-chdir");
        // Without --no-wait, ovs-vsctl waits until ovs-vswitchd has applied the change: the ports exist after it.
        vsctl(dbArg, "--timeout=20", "add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev");
        vsctl(dbArg, "--timeout=20", "add-port", "br0", "tapc", "--", "set", "interface", "tapc", "type=tap");
        vsctl(dbArg, "--timeout=20", "add-port", "br0", "taps", "--", "set", "interface", "taps", "type=tap");
        lab.check(host, "ip", "link", "set", "br0", "up");
        plug(lab, host, client, "tapc", "10.203.0.1/24");
        plug(lab, host, server, "taps", "10.203.0.2/24");
        endpoints = new Endpoints(client, server, "10.203.0.2");
    }

    private void vsctl(String... args) {
        runner.check(
                "ovs-vsctl " + String.join(" ", args) + " failed",
                Stream.concat(Stream.of("ovs-vsctl"), Stream.of(args)).toList());
    }

    private static void plug(NetnsLab lab, String host, String container, String tap, String address) {
        // ovs-vswitchd keeps the TAP's descriptor, which goes on working after the device moves.
        lab.check(host, "ip", "link", "set", tap, "netns", container);
        lab.check(container, "ip", "addr", "add", address, "dev", tap);
        lab.check(container, "ip", "link", "set", tap, "up");
    }

    private static void awaitSocket(Path socket, Process process, Path output)
            throws InterruptedException, IOException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.exists(socket)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("ovsdb-server did not come up: "
                        + Files.readString(output).strip());
            }
            Thread.sleep(50);
        }
    }

    @Override
    public Endpoints endpoints() {
        return endpoints;
    }

    @Override
    public List<Long> dataplanePids() {
        return vswitchd == null ? List.of() : List.of(vswitchd.pid());
    }

    @Override
    public void close() {
        stop(vswitchd);
        stop(dbServer);
    }

    private static void stop(Process process) {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
