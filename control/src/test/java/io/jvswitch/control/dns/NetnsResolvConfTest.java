package io.jvswitch.control.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

class NetnsResolvConfTest {
    @TempDir
    Path etcNetns;

    @Test
    void writesTheGatewaysWithNdotsZeroAndRemovesItsOwnFile() throws Exception {
        final NetnsResolvConf conf = new NetnsResolvConf(etcNetns);
        assertTrue(conf.write("rose", List.of("10.1.0.1", "10.2.0.1")));
        final String text = Files.readString(etcNetns.resolve("rose/resolv.conf"));
        assertEquals(NetnsResolvConf.MARKER + "\nnameserver 10.1.0.1\nnameserver 10.2.0.1\noptions ndots:0\n", text);
        conf.remove("rose");
        assertFalse(Files.exists(etcNetns.resolve("rose")), "the directory jvs created is gone too");
    }

    @Test
    void atMostThreeNameservers() {
        final String text = NetnsResolvConf.text(List.of("10.1.0.1", "10.2.0.1", "10.3.0.1", "10.4.0.1"));
        assertEquals(3, text.lines().filter(l -> l.startsWith("nameserver")).count());
    }

    @Test
    void neverTouchesAResolvConfTheUserWrote() throws Exception {
        final Path dir = Files.createDirectories(etcNetns.resolve("tulip"));
        Files.writeString(dir.resolve("resolv.conf"), "nameserver 192.0.2.1\n");
        final NetnsResolvConf conf = new NetnsResolvConf(etcNetns);
        assertFalse(conf.write("tulip", List.of("10.1.0.1")));
        conf.remove("tulip");
        assertEquals("nameserver 192.0.2.1\n", Files.readString(dir.resolve("resolv.conf")));
    }

    @Test
    void rewritesItsOwnFileWhenTheGatewaysChangeAndKeepsOtherFilesInTheDirectory() throws Exception {
        final NetnsResolvConf conf = new NetnsResolvConf(etcNetns);
        conf.write("iris", List.of("10.1.0.1"));
        Files.writeString(etcNetns.resolve("iris/hosts"), "127.0.0.1 localhost\n");
        conf.write("iris", List.of("10.1.0.1", "10.2.0.1"));
        assertTrue(Files.readString(etcNetns.resolve("iris/resolv.conf")).contains("nameserver 10.2.0.1"));
        assertTrue(conf.write("iris", List.of()));
        assertFalse(Files.exists(etcNetns.resolve("iris/resolv.conf")));
        assertTrue(Files.exists(etcNetns.resolve("iris/hosts")), "only jvs's file is removed");
    }
}
