package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.control.netns.CommandRunner;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the published-port tests share: a client namespace beyond the host, on a veth from the
 * daemon's namespace (which forwards between them), with IPv4 addresses, IPv6 ones, or both; the
 * test server that tells each client the address it saw ({@code nat/report_server.py}); and curl
 * with retries. What the client checks of a published port is {@link OutsideClient}'s.
 */
final class BeyondTheHost {
    final DaemonFixture f;
    /** The client's namespace. */
    final String outside;
    /** The client over IPv4, or null when it has no IPv4 address. */
    final OutsideClient ipv4;
    /** The client over IPv6, or null when it has no IPv6 address. */
    final OutsideClient ipv6;

    private final Path script;
    private final List<Process> servers = new ArrayList<>();

    /**
     * @param hostIp the host's IPv4 address on the veth (a /24), or null for IPv6 only
     * @param host6 the host's IPv6 address on the veth (a /64), or null for IPv4 only
     */
    BeyondTheHost(DaemonFixture f, String hostIp, String outsideIp, String host6, String outside6) throws IOException {
        this.f = f;
        script = f.dir.resolve("report_server.py");
        try (InputStream in = BeyondTheHost.class.getResourceAsStream("/nat/report_server.py")) {
            Files.copy(in, script);
        }
        outside = f.container("outside");
        ipv4 = hostIp == null ? null : new OutsideClient(this, hostIp, outsideIp);
        ipv6 = host6 == null ? null : new OutsideClient(this, host6, outside6);
        final String hostEnd = "vb" + Long.toString(System.nanoTime() % 100000, 36);
        f.lab.check(f.host, "ip", "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", outside);
        if (hostIp != null) {
            f.lab.check(f.host, "ip", "addr", "add", hostIp + "/24", "dev", hostEnd);
            f.lab.check(f.host, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
            f.lab.check(outside, "ip", "addr", "add", outsideIp + "/24", "dev", "eth0");
        }
        if (host6 != null) {
            f.lab.check(f.host, "ip", "-6", "addr", "add", host6 + "/64", "dev", hostEnd, "nodad");
            f.lab.check(f.host, "sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1");
            f.lab.check(outside, "ip", "-6", "addr", "add", outside6 + "/64", "dev", "eth0", "nodad");
        }
        f.lab.check(f.host, "ip", "link", "set", hostEnd, "up");
        f.lab.check(outside, "ip", "link", "set", "eth0", "up");
        if (hostIp != null) {
            f.lab.check(outside, "ip", "route", "add", "default", "via", hostIp);
        }
        if (host6 != null) {
            f.lab.check(outside, "ip", "-6", "route", "add", "default", "via", host6);
            new HostRouting(f, "-6").settled();
        }
    }

    /**
     * Starts the report server in {@code namespace} and waits for it to be ready.
     *
     * @param family "6" for an IPv6 socket (which takes IPv4 clients as mapped addresses), else "4"
     */
    void startServer(String namespace, Path log, String tcpPorts, String udpPorts, String family) throws Exception {
        servers.add(f.lab.start(namespace, log, "python3", "-u", script.toString(), tcpPorts, udpPorts, family));
        Readiness.printed(log, "ready");
    }

    /** Stops the servers {@code beyond} started, then closes the fixture; either may be null (a failed set-up). */
    static void close(BeyondTheHost beyond, DaemonFixture f) throws Exception {
        try {
            if (beyond != null) {
                for (Process p : beyond.servers) {
                    p.destroy();
                    p.waitFor();
                }
            }
        } finally {
            if (f != null) {
                f.close();
            }
        }
    }

    /** curl from {@code namespace}, retried while the path settles; fails the test with the host's rules. */
    String curl(String namespace, String... args) {
        final List<String> command = new ArrayList<>(List.of("curl", "-sS", "-g", "--max-time", "3"));
        command.addAll(List.of(args));
        final CommandRunner.Result result =
                GatewayIT.retry(() -> f.lab.exec(namespace, command.toArray(String[]::new)));
        assertTrue(
                result.ok(),
                command + " from " + namespace + ": " + result.stderr() + "\n" + new HostRouting(f, "-4").rules()
                        + new HostRouting(f, "-6").rules());
        return result.stdout().trim();
    }
}
