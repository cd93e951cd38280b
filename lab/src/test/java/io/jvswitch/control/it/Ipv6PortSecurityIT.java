package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * IPv6 port security with real kernels on both sides: a container's router advertisement and a
 * forged neighbour advertisement change nothing in the other containers, while link-local IPv6
 * between honest containers keeps working; an appliance allowed to spoof shows the advertisement
 * would have been taken.
 */
class Ipv6PortSecurityIT {
    DaemonFixture f;

    @AfterEach
    void tearDown() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    private String script() throws Exception {
        return Path.of(Objects.requireNonNull(getClass().getResource("/ipv6-attacks.py"))
                        .toURI())
                .toString();
    }

    private String linkLocal(String namespace) {
        final String out = f.lab.check(namespace, "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link");
        final int at = out.indexOf("inet6 ");
        assertTrue(at >= 0, "a link-local address on eth0: " + out);
        return out.substring(at + 6, out.indexOf('/', at));
    }

    private String mac(String namespace) {
        return f.lab.check(namespace, "cat", "/sys/class/net/eth0/address").strip();
    }

    /** Waits (with a deadline) for the link-local address to finish duplicate address detection. */
    private String readyLinkLocal(String namespace) throws InterruptedException {
        Await.until("a usable link-local address in " + namespace, Duration.ofSeconds(20), () -> {
            final String out = f.lab.check(namespace, "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link");
            return out.contains("inet6 ") && !out.contains("tentative");
        });
        return linkLocal(namespace);
    }

    @Test
    void aContainersRouterAdvertisementAndForgedNeighbourAdvertisementChangeNoOtherContainer() throws Exception {
        f = new DaemonFixture("jvsit-v6");
        final String rose = f.container("rose");
        final String tulip = f.container("tulip");
        final String mallory = f.container("mallory");
        f.ok("network", "create", "frontend", "--subnet", "10.70.0.0/24");
        f.ok("attach", "--netns", rose, "--network", "frontend", "--name", "rose");
        f.ok("attach", "--netns", tulip, "--network", "frontend", "--name", "tulip");
        f.ok("attach", "--netns", mallory, "--network", "frontend", "--name", "mallory");
        final String roseLl = readyLinkLocal(rose);
        final String tulipLl = readyLinkLocal(tulip);
        readyLinkLocal(mallory);
        // Honest IPv6 between containers works: their own link-local addresses and ND pass
        assertTrue(
                f.lab.exec(rose, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", tulipLl + "%eth0")
                        .ok(),
                "rose reaches tulip's link-local address");
        final String tulipMac = mac(tulip);

        // Mallory advertises itself as a router, from its own link-local and as fe80::1
        f.lab.check(mallory, "python3", script(), "eth0", "ra", linkLocal(mallory));
        f.lab.check(mallory, "python3", script(), "eth0", "ra", "fe80::1");
        // ... and tells rose that tulip's link-local address is at mallory's MAC
        // (from its own link-local address, so only the claim itself gives it away)
        f.lab.check(mallory, "python3", script(), "eth0", "na", mac(rose), roseLl, tulipLl, linkLocal(mallory));

        final JsonNode drops = f.port("mallory").path("drops");
        assertEquals(3, drops.path("ra-guard").asLong(), drops.toString());
        assertEquals(3, drops.path("spoofed-source-ip").asLong(), "the RAs from fe80::1: " + drops);
        assertEquals(3, drops.path("spoofed-nd").asLong(), drops.toString());
        for (String victim : new String[] {rose, tulip}) {
            assertEquals(
                    "",
                    f.lab.check(victim, "ip", "-6", "route", "show", "default").strip(),
                    "no default route");
            assertFalse(
                    f.lab.check(victim, "ip", "-6", "addr", "show", "dev", "eth0")
                            .contains("2001:db8:66:"),
                    "no address from the advertised prefix");
        }
        final String neighbours = f.lab.check(rose, "ip", "-6", "neigh", "show", tulipLl, "dev", "eth0");
        assertFalse(neighbours.contains(mac(mallory)), "rose's neighbour entry for tulip unchanged: " + neighbours);
        assertTrue(
                f.lab.exec(rose, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", tulipLl + "%eth0")
                        .ok(),
                "rose still reaches tulip (" + tulipMac + ")");

        // The same advertisement from an appliance allowed to speak for others is taken: the test's
        // advertisement is one the containers would have believed.
        final String appliance = f.container("appliance");
        f.ok("attach", "--netns", appliance, "--network", "frontend", "--name", "appliance", "--allow-spoofing");
        readyLinkLocal(appliance);
        f.lab.check(appliance, "python3", script(), "eth0", "ra", "fe80::1");
        final String route = Await.until(
                "the allowed advertisement sets a default route",
                Duration.ofSeconds(10),
                () -> f.lab.check(rose, "ip", "-6", "route", "show", "default").strip(),
                r -> !r.isEmpty());
        assertTrue(route.contains("fe80::1"), "the control: an allowed advertisement sets a route: " + route);
        System.out.println("IPv6 port security: mallory's drops " + drops + "; rose's routes unchanged until the"
                + " allowed appliance advertised: " + route);
    }
}
