package io.jvswitch.nat;

import io.jvswitch.packet.Ipv4Address;
import io.jvswitch.packet.Ipv6Address;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One published port: a host address and port forwarded to a container port, as {@code -p}
 * describes it in Docker's syntax {@code [hostIP:][hostPort[-end]:]containerPort[-end][/tcp|udp]}.
 *
 * @param protocol "tcp" or "udp"
 * @param hostIp the host address to listen on, "0.0.0.0" for all of IPv4; an IPv6 one in its RFC 5952
 *     form ({@code -p [::1]:8080:80}), "::" for all of IPv6 (only IPv6, as in Docker: a {@code -p}
 *     without a host IP on a dual-stack network is published on "0.0.0.0" and "::")
 * @param hostPort the host port; 0 until one is picked when {@code -p} gave none
 * @param hostPortLow with {@code hostPortHigh}, where a port is to be picked from: 0..0 for any
 *     free port, or the range of {@code -p 8000-8010:80}; both equal {@code hostPort} once fixed
 * @param containerPort the port in the container
 */
public record PortMapping(
        String protocol, String hostIp, int hostPort, int hostPortLow, int hostPortHigh, int containerPort) {

    public static final String SYNTAX = "[hostIP:|[hostIPv6]:][hostPort[-end]:]containerPort[-end][/tcp|udp]";

    private static final String ANY_IPV4 = "0.0.0.0";
    private static final String ANY_IPV6 = "::";

    public PortMapping {
        if (!"tcp".equals(protocol) && !"udp".equals(protocol)) {
            throw new IllegalArgumentException("protocol must be tcp or udp, not '" + protocol + "'");
        }
        if (hostIp.indexOf(':') >= 0) {
            hostIp = ipv6(hostIp);
        } else {
            Ipv4Address.parse(hostIp);
        }
        if (hostPort < 0 || hostPort > 65535 || containerPort < 1 || containerPort > 65535) {
            throw new IllegalArgumentException("ports must be within 1-65535");
        }
    }

    /**
     * @return whether the host address is an IPv6 one (not {@code isIpv6}: the state file's JSON
     *     mapper would take that for a field of the record)
     */
    public boolean ipv6Host() {
        return hostIp.indexOf(':') >= 0;
    }

    /** @return whether the host port is still to be picked */
    public boolean needsHostPort() {
        return hostPort == 0;
    }

    /** @return this mapping with its host port fixed */
    public PortMapping withHostPort(int port) {
        return new PortMapping(protocol, hostIp, port, port, port, containerPort);
    }

    /** @return whether both would take the same host port: same protocol and port, and overlapping addresses */
    public boolean overlaps(PortMapping other) {
        return protocol.equals(other.protocol)
                && hostPort != 0
                && hostPort == other.hostPort
                && (hostIp.equals(other.hostIp) || covers(other) || other.covers(this));
    }

    /** Whether this mapping's listener takes the other's address too: "::" takes IPv6's, 0.0.0.0 IPv4's. */
    private boolean covers(PortMapping other) {
        return (ANY_IPV6.equals(hostIp) && other.ipv6Host()) || (ANY_IPV4.equals(hostIp) && !other.ipv6Host());
    }

    /** @return whether this is the IPv6 half that {@link #parse(String, boolean)} gave {@code ipv4} */
    public boolean isIpv6TwinOf(PortMapping ipv4) {
        return ANY_IPV6.equals(hostIp)
                && ANY_IPV4.equals(ipv4.hostIp)
                && protocol.equals(ipv4.protocol)
                && hostPortLow == ipv4.hostPortLow
                && hostPortHigh == ipv4.hostPortHigh
                && containerPort == ipv4.containerPort;
    }

    /** @return the mapping in {@code -p} syntax, e.g. {@code 127.0.0.1:8080:80/tcp} */
    public String spec() {
        final String host =
                hostPort != 0 ? Integer.toString(hostPort) : hostPortLow != 0 ? hostPortLow + "-" + hostPortHigh : "";
        final String address = ipv6Host() ? "[" + hostIp + "]" : hostIp;
        return (ANY_IPV4.equals(hostIp) ? "" : address + ":")
                + (host.isEmpty() && ANY_IPV4.equals(hostIp) ? "" : host + ":") + containerPort + "/" + protocol;
    }

    /** @return the mapping in {@code -p} syntax with its host IP always written: never published twice */
    public String pinnedSpec() {
        final String written = spec();
        return ANY_IPV4.equals(hostIp)
                ? ANY_IPV4 + ":" + (hostPort == 0 && hostPortLow == 0 ? ":" : "") + written
                : written;
    }

    /**
     * Parses one {@code -p} argument into one mapping per container port.
     *
     * @throws IllegalArgumentException with a message that says what is wrong
     */
    public static List<PortMapping> parse(String text) {
        return parse(text, false);
    }

    /**
     * Parses one {@code -p} argument into one mapping per container port, and with {@code
     * bothFamilies} (a dual-stack endpoint) one more on "::" after each when no host IP is given, as
     * Docker publishes {@code -p 8080:80} on IPv4 and IPv6.
     *
     * @throws IllegalArgumentException with a message that says what is wrong
     */
    public static List<PortMapping> parse(String text, boolean bothFamilies) {
        final List<PortMapping> ipv4 = parseOne(text);
        if (!bothFamilies || namesHostIp(text)) {
            return ipv4;
        }
        final List<PortMapping> out = new ArrayList<>();
        for (PortMapping m : ipv4) {
            out.add(m);
            out.add(new PortMapping(m.protocol, ANY_IPV6, m.hostPort, m.hostPortLow, m.hostPortHigh, m.containerPort));
        }
        return out;
    }

    /** Whether a well-formed {@code -p} names its host IP: a bracketed IPv6 one, or three ':'-separated parts. */
    private static boolean namesHostIp(String text) {
        final String rest = text.trim();
        return rest.startsWith("[") || rest.chars().filter(c -> c == ':').count() == 2;
    }

    private static List<PortMapping> parseOne(String text) {
        if (text == null || text.isBlank()) {
            throw invalid(text, "empty");
        }
        String rest = text.trim();
        String protocol = "tcp";
        final int slash = rest.lastIndexOf('/');
        if (slash >= 0) {
            protocol = rest.substring(slash + 1).toLowerCase(Locale.ROOT);
            rest = rest.substring(0, slash);
            if (!protocol.equals("tcp") && !protocol.equals("udp")) {
                throw invalid(text, "protocol must be tcp or udp, not '" + protocol + "'");
            }
        }
        String hostIp = ANY_IPV4;
        if (rest.startsWith("[")) {
            // Docker's "[::1]:8080:80": the brackets keep the address's colons apart from the ports'.
            final int close = rest.indexOf(']');
            if (close < 0 || close + 1 >= rest.length() || rest.charAt(close + 1) != ':') {
                throw invalid(text, "an IPv6 host IP goes in brackets followed by ':', as [::1]:8080:80");
            }
            try {
                hostIp = ipv6(rest.substring(1, close));
            } catch (IllegalArgumentException e) {
                throw invalid(text, "host IP '" + rest.substring(1, close) + "' is not an IPv6 address");
            }
            rest = rest.substring(close + 2);
            if (rest.indexOf(':') < 0) {
                throw invalid(text, "no container port after the host IP (as [::1]:8080:80 or [::1]::80)");
            }
            rest = "v6:" + rest; // a placeholder for the address, so the parts below are the usual three
        } else if (rest.chars().filter(c -> c == ':').count() > 2) {
            throw invalid(text, "an IPv6 host IP goes in brackets, as [::1]:8080:80");
        }
        final String[] parts = rest.split(":", -1);
        String hostPorts = "";
        final String containerPorts;
        switch (parts.length) {
            case 1 -> containerPorts = parts[0];
            case 2 -> {
                hostPorts = parts[0];
                containerPorts = parts[1];
                if (hostPorts.isEmpty()) {
                    throw invalid(text, "empty host port before ':'");
                }
            }
            case 3 -> {
                hostPorts = parts[1];
                containerPorts = parts[2];
                if (!hostIp.equals(ANY_IPV4) && parts[0].equals("v6")) {
                    break; // the IPv6 address read above
                }
                hostIp = parts[0];
                try {
                    Ipv4Address.parse(hostIp);
                } catch (IllegalArgumentException e) {
                    throw invalid(text, "host IP '" + hostIp + "' is not an IPv4 address");
                }
            }
            default -> throw invalid(text, "too many ':'");
        }
        if (containerPorts.isEmpty()) {
            throw invalid(text, "no container port");
        }
        final int[] container = range(text, containerPorts, "container port");
        final List<PortMapping> out = new ArrayList<>();
        if (hostPorts.isEmpty()) {
            for (int port = container[0]; port <= container[1]; port++) {
                out.add(new PortMapping(protocol, hostIp, 0, 0, 0, port));
            }
            return out;
        }
        final int[] host = range(text, hostPorts, "host port");
        final int hostCount = host[1] - host[0] + 1;
        final int containerCount = container[1] - container[0] + 1;
        if (containerCount == 1 && hostCount > 1) {
            // Docker's "-p 8000-8010:80": one port of the host range, whichever is free.
            out.add(new PortMapping(protocol, hostIp, 0, host[0], host[1], container[0]));
            return out;
        }
        if (hostCount != containerCount) {
            throw invalid(text, "the host range has " + hostCount + " ports, the container range " + containerCount);
        }
        for (int i = 0; i < containerCount; i++) {
            out.add(new PortMapping(protocol, hostIp, host[0] + i, host[0] + i, host[0] + i, container[0] + i));
        }
        return out;
    }

    /** An IPv6 literal in RFC 5952 form; IllegalArgumentException if it is none (or a zone is given). */
    private static String ipv6(String text) {
        if (text.indexOf('%') >= 0) {
            throw new IllegalArgumentException("'" + text + "' has a zone: not a host IP to publish on");
        }
        final InetAddress parsed;
        try {
            parsed = InetAddress.ofLiteral(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv6 address", e);
        }
        if (!(parsed instanceof Inet6Address)) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv6 address");
        }
        final ByteBuffer bytes = ByteBuffer.wrap(parsed.getAddress());
        return Ipv6Address.format(bytes.getLong(), bytes.getLong());
    }

    private static int[] range(String text, String value, String what) {
        final int dash = value.indexOf('-');
        final int low = port(text, dash < 0 ? value : value.substring(0, dash), what);
        final int high = dash < 0 ? low : port(text, value.substring(dash + 1), what);
        if (high < low) {
            throw invalid(text, what + " range " + value + " ends before it starts");
        }
        return new int[] {low, high};
    }

    private static int port(String text, String value, String what) {
        if (value.isEmpty() || value.length() > 5 || !value.chars().allMatch(Character::isDigit)) {
            throw invalid(text, what + " '" + value + "' is not a number");
        }
        final int port = Integer.parseInt(value);
        if (port < 1 || port > 65535) {
            throw invalid(text, what + " " + port + " is outside 1-65535");
        }
        return port;
    }

    private static IllegalArgumentException invalid(String text, String reason) {
        return new IllegalArgumentException(
                "invalid port mapping '" + text + "': " + reason + " (expected " + SYNTAX + ")");
    }
}
