package io.jvswitch.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

class ResolvConfTest {
    @TempDir
    Path dir;

    private Path file(String name, String text) throws IOException {
        final Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private static List<String> hosts(List<InetSocketAddress> servers) {
        return servers.stream()
                .map(a -> a.getAddress().getHostAddress() + ":" + a.getPort())
                .toList();
    }

    @Test
    void usesTheNameserversOfResolvConf() throws IOException {
        final Path main = file(
                "resolv.conf",
                "# comment\nsearch example.com\nnameserver 192.0.2.1\n"
                        + "nameserver   2001:db8::1 \nnameserver not-an-address\noptions ndots:2\n");
        assertEquals(
                List.of("192.0.2.1:53", "2001:db8:0:0:0:0:0:1:53"),
                hosts(ResolvConf.upstreams(main, dir.resolve("none"))));
    }

    @Test
    void skipsLocalStubsButKeepsRealServersBesideThem() throws IOException {
        final Path main = file("resolv.conf", "nameserver 127.0.0.53\nnameserver 192.0.2.7\n");
        assertEquals(List.of("192.0.2.7:53"), hosts(ResolvConf.upstreams(main, dir.resolve("none"))));
    }

    @Test
    void onlyLocalStubsMeansSystemdResolvedsUpstreamFile() throws IOException {
        final Path main = file("resolv.conf", "nameserver 127.0.0.53\nnameserver ::1\noptions edns0\n");
        final Path systemd = file("systemd.conf", "nameserver 198.51.100.1\nnameserver 198.51.100.2\n");
        assertEquals(List.of("198.51.100.1:53", "198.51.100.2:53"), hosts(ResolvConf.upstreams(main, systemd)));
    }

    @Test
    void nothingUsableMeansNoUpstream() throws IOException {
        final Path main = file("resolv.conf", "nameserver 127.0.0.1\n");
        assertEquals(List.of(), ResolvConf.upstreams(main, dir.resolve("missing")));
        assertEquals(List.of(), ResolvConf.upstreams(dir.resolve("missing"), dir.resolve("missing")));
    }

    @Test
    void literalsNeverLookUpHostNames() {
        assertEquals(null, ResolvConf.literal("localhost"));
        assertEquals(null, ResolvConf.literal("1.2.3"));
        assertEquals("10.0.0.1", ResolvConf.literal("10.0.0.1").getHostAddress());
    }
}
