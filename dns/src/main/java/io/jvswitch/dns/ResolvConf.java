package io.jvswitch.dns;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The default upstream servers, chosen as Docker chooses them: the {@code nameserver} lines of the
 * daemon's {@code /etc/resolv.conf}; when those are only local stubs (127.0.0.0/8 or ::1, such as
 * systemd-resolved's 127.0.0.53, which a container could not reach), the real servers from
 * systemd-resolved's {@code /run/systemd/resolve/resolv.conf}.
 */
public final class ResolvConf {
    public static final Path ETC_RESOLV_CONF = Path.of("/etc/resolv.conf");
    public static final Path SYSTEMD_RESOLV_CONF = Path.of("/run/systemd/resolve/resolv.conf");
    static final int DNS_PORT = 53;

    private ResolvConf() {}

    /** The upstreams for this machine: from {@code main}, else from {@code systemdFallback}; may be empty. */
    public static List<InetSocketAddress> upstreams(Path main, Path systemdFallback) {
        final List<InetSocketAddress> listed = nameservers(read(main));
        final List<InetSocketAddress> usable =
                listed.stream().filter(a -> !isLocalStub(a.getAddress())).toList();
        if (!usable.isEmpty()) {
            return usable;
        }
        return nameservers(read(systemdFallback)).stream()
                .filter(a -> !isLocalStub(a.getAddress()))
                .toList();
    }

    /** The {@code nameserver} addresses in resolv.conf text, in order; lines that do not parse are skipped. */
    static List<InetSocketAddress> nameservers(String text) {
        final List<InetSocketAddress> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            final String[] words = line.trim().split("\\s+");
            if (words.length >= 2 && words[0].equals("nameserver")) {
                final InetAddress address = literal(words[1]);
                if (address != null) {
                    out.add(new InetSocketAddress(address, DNS_PORT));
                }
            }
        }
        return out;
    }

    /** An IP address literal (never a host name lookup), or null. */
    public static InetAddress literal(String text) {
        final String bare = text.contains("%") ? text.substring(0, text.indexOf('%')) : text;
        if (!bare.matches("[0-9.]+") && !bare.matches("[0-9a-fA-F:.]+")) {
            return null;
        }
        if (bare.matches("[0-9.]+") && !bare.matches("(\\d{1,3}\\.){3}\\d{1,3}")) {
            return null;
        }
        try {
            return InetAddress.getByName(bare);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    static boolean isLocalStub(InetAddress address) {
        return address.isLoopbackAddress();
    }

    private static String read(Path path) {
        try {
            return Files.readString(path);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
