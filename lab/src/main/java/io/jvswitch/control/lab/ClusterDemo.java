package io.jvswitch.control.lab;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.api.ApiClient;
import io.jvswitch.control.api.Json;
import io.jvswitch.control.netns.CommandRunner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The demo's cluster step: three hosts (namespaces, each with its own daemon) on one underlay join
 * one overlay through a real etcd the demo starts (a temporary data directory, in a namespace of
 * the demo) and stops; one {@code network create} on the first host, one container per host with
 * no address options, names resolving across hosts; then the third host's daemon is killed and
 * drops out of the others (peer, name) within its TTL.
 */
final class ClusterDemo implements AutoCloseable {
    /** Short, so that the demo shows the killed host go without a long wait. */
    private static final int TTL_SECONDS = 3;

    private static final String SUBNET = "10.252.0.";
    private static final String GATEWAY = "10.60.0.1";
    private static final String[] HOSTS = {"a", "b", "c"};
    private static final String[] CONTAINERS = {"ash", "birch", "cedar"};

    private final Demo demo;
    private final NetnsLab lab;
    private final Path workDir;
    private final List<DaemonProcess> daemons = new ArrayList<>();
    private EtcdLab etcd;

    ClusterDemo(Demo demo, NetnsLab lab, Path workDir) {
        this.demo = demo;
        this.lab = lab;
        this.workDir = workDir;
    }

    /** Runs the step; true when every check held. */
    boolean show() throws Exception {
        final Map<String, String> underlay = new LinkedHashMap<>();
        final List<String> hosts = new ArrayList<>();
        for (int i = 0; i < HOSTS.length; i++) {
            hosts.add(lab.add("cl-" + HOSTS[i]));
            underlay.put(hosts.get(i), SUBNET + (i + 1) + "/24");
        }
        final String store = lab.add("cl-etcd");
        underlay.put(store, SUBNET + "10/24");
        new OverlayLab(lab).bridgedUnderlay(lab.add("cl-sw"), "u0", underlay);
        etcd = new EtcdLab();
        etcd.member("etcd", store, SUBNET + "10");
        etcd.startAll();
        demo.step("cluster: an etcd member in " + store + " (pid " + etcd.pid("etcd") + "), three hosts "
                + String.join(", ", hosts) + " on one underlay, each with a daemon --cluster-store " + etcd.storeUrl()
                + " --cluster-ttl " + TTL_SECONDS);
        final List<Path> sockets = new ArrayList<>();
        for (int i = 0; i < HOSTS.length; i++) {
            final Path dir = Files.createDirectories(workDir.resolve("cluster-" + HOSTS[i]));
            daemons.add(DaemonProcess.start(
                    hosts.get(i),
                    dir.resolve("jvs.sock"),
                    dir.resolve("state"),
                    dir.resolve("daemon.log"),
                    "--cluster-store",
                    etcd.storeUrl(),
                    "--cluster-advertise",
                    SUBNET + (i + 1),
                    "--cluster-host-name",
                    HOSTS[i],
                    "--cluster-ttl",
                    Integer.toString(TTL_SECONDS)));
            sockets.add(dir.resolve("jvs.sock"));
        }
        demo.say("$ # on host a, once:");
        demo.cli(sockets.get(0), "network", "create", "forest", "--driver", "overlay", "--subnet", "10.60.0.0/16");
        final List<String> containers = new ArrayList<>();
        for (int i = 0; i < HOSTS.length; i++) {
            final Path socket = sockets.get(i);
            if (!until(10_000, () -> ok(socket, "/v1/networks/forest"))) {
                demo.say("  the network did not reach host " + HOSTS[i]);
                return false;
            }
            containers.add(lab.add(CONTAINERS[i]));
            demo.say("$ # on host " + HOSTS[i] + ":");
            demo.cli(socket, "attach", "--netns", containers.get(i), "--network", "forest", "--name", CONTAINERS[i]);
        }
        demo.say("$ # on host c:");
        demo.cli(sockets.get(2), "network", "ls");
        demo.say("$ # on host a:");
        demo.cli(sockets.get(0), "cluster", "hosts");

        // ash (host a) asks its own gateway for the containers on b and c, and pings them by name
        final boolean resolved = until(
                10_000,
                () -> !dig(containers.get(0), "cedar").isEmpty()
                        && !dig(containers.get(0), "birch").isEmpty());
        final CommandRunner.Result ping =
                lab.exec(containers.get(0), "ping", "-c", "3", "-i", "0.2", "-W", "1", "cedar");
        demo.say("");
        demo.say(String.format(
                "  %-46s %s",
                "ash (a) looks up birch (b), cedar (c):",
                resolved
                        ? "birch " + dig(containers.get(0), "birch") + ", cedar " + dig(containers.get(0), "cedar")
                                + ", answered by a's own DNS from the store"
                        : "NOT resolved"));
        demo.say(String.format(
                "  %-46s %s", "ash (a) -> ping cedar (c):", ping.ok() ? "reachable over VXLAN" : "NOT reachable"));

        final long killed = System.nanoTime();
        daemons.get(2).kill();
        final boolean gone = until((TTL_SECONDS + 2) * 1000L, () -> !alive(sockets.get(0), "c"));
        final long goneMs = (System.nanoTime() - killed) / 1_000_000;
        // the name went in the same reconcile as the host (a name nobody has waits for dig's timeout)
        final boolean unnamed =
                gone && until(3_000, () -> dig(containers.get(0), "cedar").isEmpty());
        demo.say(String.format(
                "  %-46s %s",
                "host c's daemon killed (kill -9):",
                gone && unnamed
                        ? "gone from a's hosts after " + goneMs + " ms (TTL " + TTL_SECONDS
                                + " s), and cedar no longer resolves on a"
                        : "STILL on a after " + goneMs + " ms"));
        demo.say("$ # on host a:");
        demo.cli(sockets.get(0), "cluster", "hosts");
        return resolved && ping.ok() && gone && unnamed;
    }

    private String dig(String container, String name) {
        final String answer = lab.exec(container, "dig", "+short", "+time=1", "+tries=1", "@" + GATEWAY, name)
                .stdout()
                .strip();
        return answer.matches("\\d+\\.\\d+\\.\\d+\\.\\d+") ? answer : "";
    }

    private static boolean ok(Path socket, String path) {
        try {
            return new ApiClient(socket).send("GET", path, null).status() == 200;
        } catch (RuntimeException e) {
            return false; // not up yet
        }
    }

    /** Whether {@code socket}'s daemon sees host {@code name} alive in the store. */
    private static boolean alive(Path socket, String name) {
        try {
            final JsonNode hosts = Json.mapper()
                    .readTree(new ApiClient(socket)
                            .send("GET", "/v1/cluster/hosts", null)
                            .body());
            for (JsonNode h : hosts) {
                if (h.path("name").asText().equals(name)) {
                    return h.path("alive").asBoolean();
                }
            }
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** Polls {@code condition} every 100 ms until it holds or {@code millis} pass. */
    private static boolean until(long millis, BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + millis * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    /** Stops the daemons and etcd (its data directory goes with it); the namespaces are the lab's. */
    @Override
    public void close() throws InterruptedException {
        for (DaemonProcess d : daemons) {
            d.close();
        }
        if (etcd != null) {
            etcd.close();
        }
    }
}
