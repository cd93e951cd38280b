package io.jvswitch.control.debug;

import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.service.ControlException;
import io.jvswitch.packet.ArpPacket;
import io.jvswitch.packet.Ipv4Address;
import io.jvswitch.packet.MacAddress;
import org.agrona.concurrent.UnsafeBuffer;

import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * A packet described in tcpdump-like words, as {@code jvs trace} takes it:
 * {@code tcp dst 10.10.0.3 port 443}, {@code udp dst 10.0.0.9 port 53}, {@code icmp dst 10.0.0.4},
 * {@code arp who-has 10.0.0.4}, with optional {@code src ADDRESS}, {@code sport N},
 * {@code dst mac MAC}, {@code src mac MAC}, {@code flags SA} (TCP). Unset source fields are the
 * sending endpoint's own; an unset destination MAC is what the sender would use.
 *
 * <p>IPv6 as tcpdump names it: {@code icmp6 dst fd00:20::3} (an echo request), {@code icmp6 who-has
 * fd00:20::3} (a neighbor solicitation, as {@code arp who-has} is for IPv4); TCP and UDP take their
 * family from the address ({@code tcp dst fd00:20::3 port 80}), or say it ({@code tcp6}, {@code udp6}).
 * ICMP and ARP are IPv4's, so {@code icmp} and {@code arp} with an IPv6 address are refused with the
 * word to use instead, as is an IPv4 address in an IPv6 description.
 *
 * @param protocol tcp, udp, icmp (ICMP or ICMPv6 echo, by family), or arp (ARP, or for IPv6 a neighbor solicitation)
 * @param ipv6 whether it is an IPv6 packet: {@code srcIp6}/{@code dstIp6} hold its addresses, else {@code srcIp}/{@code dstIp}
 */
public record SyntheticPacket(
        String protocol,
        boolean ipv6,
        Integer srcIp,
        Integer dstIp,
        BigInteger srcIp6,
        BigInteger dstIp6,
        Integer srcPort,
        Integer dstPort,
        Long srcMac,
        Long dstMac,
        String tcpFlags) {

    public static SyntheticPacket parse(String description) {
        final Deque<String> words =
                new ArrayDeque<>(Arrays.asList(description.strip().toLowerCase().split("\\s+")));
        final String word0 = words.poll();
        final Family family = Family.of(word0, description);
        final String protocol = family.protocol;
        final Addresses addresses = new Addresses(family, description);
        Integer srcPort = null;
        Integer dstPort = null;
        Long srcMac = null;
        Long dstMac = null;
        String flags = protocol.equals("tcp") ? "s" : null;
        String direction = "dst";
        while (!words.isEmpty()) {
            final String word = words.poll();
            try {
                switch (word) {
                    case "src", "dst" -> {
                        direction = word;
                        final String next = words.peek();
                        if (next != null && (next.matches("[0-9.]+") || Ipv6Cidr.looksLikeIpv6(next))) {
                            addresses.set(word, words.poll());
                        }
                    }
                    case "who-has", "host" -> {
                        addresses.set("dst", require(words, description, word));
                        addresses.whoHas |= word.equals("who-has");
                    }
                    case "port" -> {
                        final int port = port(require(words, description, word), description);
                        if (direction.equals("src")) {
                            srcPort = port;
                        } else {
                            dstPort = port;
                        }
                    }
                    case "sport" -> srcPort = port(require(words, description, word), description);
                    case "dport" -> dstPort = port(require(words, description, word), description);
                    case "mac" -> {
                        final long mac = MacAddress.parse(require(words, description, word));
                        if (direction.equals("src")) {
                            srcMac = mac;
                        } else {
                            dstMac = mac;
                        }
                    }
                    case "flags" -> {
                        flags = require(words, description, word);
                        SyntheticFrames.tcpFlagBits(flags); // refused here, not when the frame is built
                    }
                    case "and" -> {}
                    default -> throw bad(description, "did not understand '" + word + "'");
                }
            } catch (ControlException e) {
                throw e;
            } catch (IllegalArgumentException e) {
                throw bad(description, e.getMessage());
            }
        }
        if (!addresses.hasDestination()) {
            throw bad(description, "say where it goes: dst ADDRESS (or who-has ADDRESS for arp and icmp6)");
        }
        if ((protocol.equals("tcp") || protocol.equals("udp")) && dstPort == null) {
            throw bad(description, "say the destination port: port N");
        }
        final boolean v6 = addresses.ipv6();
        // icmp6 who-has is a neighbor solicitation: the ARP of IPv6.
        final String kind = v6 && family.whoHas && addresses.whoHas ? "arp" : protocol;
        return new SyntheticPacket(
                kind,
                v6,
                addresses.src4,
                addresses.dst4,
                addresses.src6,
                addresses.dst6,
                srcPort,
                dstPort,
                srcMac,
                dstMac,
                flags);
    }

    /** Whether it is an IPv6 neighbor solicitation ({@code icmp6 who-has ADDRESS}). */
    public boolean neighborSolicitation() {
        return ipv6 && protocol.equals("arp");
    }

    /** The IPv4 Ethernet frame this description stands for, from the given defaults for unset fields. */
    public byte[] frame(long defaultSrcMac, int defaultSrcIp, long defaultDstMac) {
        final long sMac = srcMac != null ? srcMac : defaultSrcMac;
        final long dMac = dstMac != null ? dstMac : defaultDstMac;
        final int sIp = srcIp != null ? srcIp : defaultSrcIp;
        if (protocol.equals("arp")) {
            final byte[] frame = new byte[42];
            ArpPacket.encode(
                    new UnsafeBuffer(frame), 0, MacAddress.BROADCAST, sMac, ArpPacket.OP_REQUEST, sMac, sIp, 0L, dstIp);
            return frame;
        }
        return SyntheticFrames.ipv4(this, sMac, dMac, sIp);
    }

    /** The IPv6 Ethernet frame this description stands for, from the given defaults for unset fields. */
    public byte[] frame6(long defaultSrcMac, BigInteger defaultSrcIp, long defaultDstMac) {
        final long sMac = srcMac != null ? srcMac : defaultSrcMac;
        final BigInteger sIp = srcIp6 != null ? srcIp6 : defaultSrcIp;
        if (neighborSolicitation()) {
            return SyntheticFrames.neighborSolicitation(sMac, sIp, dstIp6);
        }
        return SyntheticFrames.ipv6(this, sMac, dstMac != null ? dstMac : defaultDstMac, sIp);
    }

    static ControlException bad(String description, String why) {
        return ControlException.invalid("cannot trace '" + description + "': " + why);
    }

    private static int port(String text, String description) {
        try {
            final int port = Integer.parseInt(text);
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(description, "'" + text + "' is not a port number");
    }

    private static String require(Deque<String> words, String description, String after) {
        final String next = words.poll();
        if (next == null) {
            throw bad(description, "'" + after + "' needs a value");
        }
        return next;
    }

    /**
     * The first word: the protocol and which families it allows. tcp and udp follow their
     * addresses; the others are one family's.
     */
    private enum Family {
        TCP("tcp", true, true, false),
        UDP("udp", true, true, false),
        TCP6("tcp", false, true, false),
        UDP6("udp", false, true, false),
        ICMP("icmp", true, false, false),
        ICMP6("icmp", false, true, true),
        ARP("arp", true, false, true);

        final String protocol;
        final boolean allowsIpv4;
        final boolean allowsIpv6;
        final boolean whoHas;

        Family(String protocol, boolean allowsIpv4, boolean allowsIpv6, boolean whoHas) {
            this.protocol = protocol;
            this.allowsIpv4 = allowsIpv4;
            this.allowsIpv6 = allowsIpv6;
            this.whoHas = whoHas;
        }

        static Family of(String word, String description) {
            if (word != null) {
                for (Family f : values()) {
                    if (f.name().toLowerCase().equals(word)) {
                        return f;
                    }
                }
            }
            throw bad(description, "start with tcp, udp, icmp, arp (IPv4) or icmp6, tcp6, udp6 (IPv6)");
        }

        /** Why an address of the other family does not fit, naming the word to use instead. */
        String refusal(String address, boolean addressIsIpv6) {
            if (!addressIsIpv6) {
                return name().toLowerCase() + " is IPv6, and " + address + " is an IPv4 address";
            }
            return switch (this) {
                case ICMP -> "icmp is IPv4's ICMP; for ICMPv6 to " + address + " say icmp6";
                case ARP -> "arp is IPv4's; to ask for " + address + " (neighbor solicitation) say icmp6 who-has";
                default -> name().toLowerCase() + " is IPv4, and " + address + " is an IPv6 address";
            };
        }
    }

    /** The source and destination addresses as they are given: both of one family. */
    private static final class Addresses {
        private final Family family;
        private final String description;
        Integer src4;
        Integer dst4;
        BigInteger src6;
        BigInteger dst6;
        boolean whoHas;
        private Boolean ipv6;

        Addresses(Family family, String description) {
            this.family = family;
            this.description = description;
        }

        void set(String direction, String text) {
            final boolean v6 = Ipv6Cidr.looksLikeIpv6(text);
            if (!(v6 ? family.allowsIpv6 : family.allowsIpv4)) {
                throw bad(description, family.refusal(text, v6));
            }
            if (ipv6 != null && ipv6 != v6) {
                throw bad(description, "source and destination must both be IPv4 or both IPv6");
            }
            ipv6 = v6;
            final boolean src = direction.equals("src");
            if (v6) {
                final BigInteger address = Ipv6Cidr.parseAddress(text, src ? "source" : "destination");
                if (src) {
                    src6 = address;
                } else {
                    dst6 = address;
                }
            } else {
                final int address = Ipv4Address.parse(text);
                if (src) {
                    src4 = address;
                } else {
                    dst4 = address;
                }
            }
        }

        boolean hasDestination() {
            return dst4 != null || dst6 != null;
        }

        boolean ipv6() {
            return Boolean.TRUE.equals(ipv6);
        }
    }
}
