package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.lab.EtcdLab;
import io.jvswitch.control.lab.OverlayLab;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A host's state mirrored into real etcd and taken back from it: two hosts (namespaces with jvs
 * daemons) and one etcd member on a bridged underlay. Host h1's daemon is stopped, its state file
 * deleted (a replaced disk) and started again: its networks and endpoints come back from the store
 * with the same addresses and names, and traffic flows; a record of garbage is ignored and counted;
 * with etcd down a local change is saved and its copy reaches the store when etcd is back;
 * {@code cluster host rm} removes the record. The tests share the hosts and run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterStateIT {
    static final int TTL = 3;
    static final String GATEWAY = "10.10.0.1";
    static final String ETCD_ADDRESS = "10.211.0.11";
    static final String H1_RECORD = "/jvs/v1-state/h1";
    static final String H2_RECORD = "/jvs/v1-state/h2";

    static DaemonFixture a;
    static DaemonFixture b;
    static EtcdLab etcd;
    static String etcdNamespace;
    static String c1;
    static String c1b;
    static String c2;

    static String[] daemonArgs(int n) {
        return new String[] {
            "--cluster-store",
            etcd.storeUrl(),
            "--cluster-advertise",
            "10.211.0." + n,
            "--cluster-host-name",
            "h" + n,
            "--cluster-ttl",
            Integer.toString(TTL)
        };
    }

    @BeforeAll
    static void setUp() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/etcd")), "needs etcd (Debian's etcd-server)");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/etcdctl")), "needs etcdctl (Debian's etcd-client)");
        a = new DaemonFixture("jvsit-csa", false);
        b = new DaemonFixture("jvsit-csb", false);
        final String underlaySwitch = a.lab.add("sw");
        etcdNamespace = a.lab.add("e1");
        final Map<String, String> addresses = new LinkedHashMap<>();
        addresses.put(a.host, "10.211.0.1/24");
        addresses.put(b.host, "10.211.0.2/24");
        addresses.put(etcdNamespace, ETCD_ADDRESS + "/24");
        new OverlayLab(a.lab).bridgedUnderlay(underlaySwitch, "u0", addresses);
        etcd = new EtcdLab();
        etcd.member("e1", etcdNamespace, ETCD_ADDRESS);
        etcd.startAll();
        a.startDaemon(daemonArgs(1));
        b.startDaemon(daemonArgs(2));
        c1 = a.container("c1");
        c1b = a.container("c1b");
        c2 = b.container("c2");
    }

    @AfterAll
    static void tearDown() throws Exception {
        DaemonFixture.closeKeepingLogs("ClusterStateIT", b, a);
        if (etcd != null) {
            etcd.close();
        }
    }

    /** etcdctl inside the etcd member's namespace (the store is not reachable from outside the lab). */
    static String etcdctl(String... args) {
        final String[] command = new String[args.length + 2];
        command[0] = "etcdctl";
        command[1] = "--endpoints=" + etcd.clientUrl("e1");
        System.arraycopy(args, 0, command, 2, args.length);
        final var result = a.lab.exec(etcdNamespace, command);
        assertTrue(result.ok(), "etcdctl " + String.join(" ", args) + ": " + result.stderr());
        return result.stdout().strip();
    }

    static JsonNode stateRecord(DaemonFixture f) {
        return f.ok("cluster", "status").json().path("stateRecord");
    }

    /** What dig at the gateway answers for {@code name} from {@code container}, or "". */
    static String dig(DaemonFixture f, String container, String name) {
        for (String line : f.lab.exec(container, "dig", "+short", "+time=1", "+tries=1", "@" + GATEWAY, name)
                .stdout()
                .split("\n")) {
            if (line.strip().matches("\\d+\\.\\d+\\.\\d+\\.\\d+")) {
                return line.strip();
            }
        }
        return "";
    }

    /** Stops h1's daemon (SIGTERM, so its last state reaches the store) and deletes its state file. */
    static void stopAndLoseTheDisk() throws Exception {
        a.daemon.close();
        Files.delete(a.stateDir.resolve("state.json"));
    }

    @Test
    @Order(1)
    void aHostWithoutItsStateFileComesBackFromTheStoreWithTheSameAddressesAndNames() throws Exception {
        a.ok("network", "create", "multi", "--driver", "overlay", "--subnet", "10.10.0.0/16");
        a.ok("network", "create", "loc", "--subnet", "10.77.0.0/24");
        Await.until(
                "multi on h2",
                Duration.ofSeconds(5),
                () -> b.jvs("network", "inspect", "multi").exit() == 0);
        a.ok("attach", "--netns", c1, "--network", "multi", "--name", "c1");
        a.ok("attach", "--netns", c1b, "--network", "multi", "--name", "c1b", "--alias", "web");
        a.ok("attach", "--netns", c1, "--network", "loc", "--name", "c1");
        b.ok("attach", "--netns", c2, "--network", "multi", "--name", "c2");
        final String ip1 = a.ipOf("multi", "c1");
        final String ip1b = a.ipOf("multi", "c1b");
        final String ipLocal = a.ipOf("loc", "c1");
        final String ip2 = b.ipOf("multi", "c2");
        Await.until(
                "h1's last state in the store",
                Duration.ofSeconds(10),
                () -> etcdctl("get", "--print-value-only", H1_RECORD).contains(ipLocal));
        final JsonNode mirrored = stateRecord(a);
        // a first start: no state file, no record
        assertEquals("none", mirrored.path("loadedFrom").asText(), mirrored.toString());
        assertEquals(0, mirrored.path("failures").asLong(), mirrored.toString());

        stopAndLoseTheDisk();
        a.startDaemon(daemonArgs(1));
        assertTrue(
                a.daemon.logText().contains("state restored from the cluster store record " + H1_RECORD),
                a.daemon.logText());
        assertEquals("cluster store", stateRecord(a).path("loadedFrom").asText());
        assertTrue(Files.exists(a.stateDir.resolve("state.json")), "the local file is written again");
        assertEquals(ip1, a.ipOf("multi", "c1"));
        assertEquals(ip1b, a.ipOf("multi", "c1b"));
        assertEquals(ipLocal, a.ipOf("loc", "c1"));
        assertTrue(a.ping(c1, ip2, 2), "c1 on h1 reaches c2 on h2");
        assertTrue(a.ping(c1, ip1b, 2), "c1 reaches c1b on the same host");
        assertTrue(b.ping(c2, ip1, 2), "c2 on h2 reaches c1 on h1");
        Await.until(
                "c1b and its alias resolve on h2 again",
                Duration.ofSeconds(10),
                () -> dig(b, c2, "c1b").equals(ip1b) && dig(b, c2, "web").equals(ip1b));
        assertEquals(ip2, dig(a, c1, "c2"));
    }

    @Test
    @Order(2)
    void aRecordOfGarbageIsIgnoredAndCountedAndTheDaemonStartsEmpty() throws Exception {
        stopAndLoseTheDisk();
        etcdctl("put", H1_RECORD, "{\"host\": \"h1\", \"state\": [not json");
        a.startDaemon(daemonArgs(1));
        final JsonNode record = stateRecord(a);
        assertEquals("none", record.path("loadedFrom").asText(), record.toString());
        assertEquals(1, record.path("ignoredRecords").asLong(), record.toString());
        assertTrue(a.daemon.logText().contains("cannot be read"), a.daemon.logText());
        assertNotEquals(0, a.jvs("network", "inspect", "loc").exit(), "the local network is not made up");
        // the global network comes from the store's view, with none of the forgotten endpoints
        assertFalse(a.ok("network", "inspect", "multi").out().contains("\"c1b\""));
        // the next save replaces the garbage with this host's state
        a.ok("network", "create", "loc2", "--subnet", "10.78.0.0/24");
        Await.until(
                "the record replaced",
                Duration.ofSeconds(10),
                () -> etcdctl("get", "--print-value-only", H1_RECORD).contains("10.78.0.0/24"));
    }

    @Test
    @Order(3)
    void withTheStoreDownALocalChangeIsSavedAndItsCopyCatchesUpWhenTheStoreIsBack() throws Exception {
        etcd.kill("e1");
        try {
            Await.until(
                    "h1 sees the store gone",
                    Duration.ofSeconds(TTL + 5L),
                    () -> "unreachable"
                            .equals(a.ok("cluster", "status")
                                    .json()
                                    .path("state")
                                    .asText()));
            a.ok("network", "create", "loc3", "--subnet", "10.79.0.0/24"); // a local network: no store needed
            assertTrue(a.stateFile().contains("10.79.0.0/24"), "the state file has the change");
            Await.until("the copy failed and waits", Duration.ofSeconds(10), () -> {
                final JsonNode record = stateRecord(a);
                return record.path("pending").asBoolean()
                        && record.path("failures").asLong() > 0;
            });
        } finally {
            etcd.restart("e1");
            etcd.awaitHealthy("e1", Duration.ofSeconds(30));
        }
        Await.until(
                "the copy in the store once it is back",
                Duration.ofSeconds(20),
                () -> etcdctl("get", "--print-value-only", H1_RECORD).contains("10.79.0.0/24"));
        assertFalse(stateRecord(a).path("pending").asBoolean());
    }

    @Test
    @Order(4)
    void removingADeadHostRemovesItsStateRecord() throws Exception {
        assertFalse(etcdctl("get", "--print-value-only", H2_RECORD).isEmpty(), "h2's state is in the store");
        b.ok("detach", "c2", "--network", "multi");
        b.daemon.close();
        Await.until("h2's lease expired", Duration.ofSeconds(TTL + 5L), () -> {
            for (JsonNode h : a.ok("cluster", "hosts", "--json").json()) {
                if (h.path("name").asText().equals("h2")) {
                    return !h.path("alive").asBoolean();
                }
            }
            return true;
        });
        final String removed = a.ok("cluster", "host", "rm", "h2").out();
        assertTrue(removed.contains("its saved state among them"), removed);
        assertEquals("", etcdctl("get", "--print-value-only", H2_RECORD));
    }
}
