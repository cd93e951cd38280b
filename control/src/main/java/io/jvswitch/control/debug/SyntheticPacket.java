package io.jvswitch.control.debug;

import io.jvswitch.control.service.ControlException;
import io.jvswitch.packet.ArpPacket;
import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Address;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.MacAddress;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * A packet described in tcpdump-like words, as {@code jvs trace} takes it:
 * {@code tcp dst 10.10.0.3 port 443}, {@code udp dst 10.0.0.9 port 53}, {@code icmp dst 10.0.0.4},
 * {@code arp who-has 10.0.0.4}, with optional {@code src ADDRESS}, {@code sport N},
 * {@code dst mac MAC}, {@code src mac MAC}, {@code flags SA} (TCP). Unset source fields are the
 * sending endpoint's own; an unset destination MAC is what the sender would use.
 */
public record SyntheticPacket(
        String protocol,
        Integer srcIp,
        Integer dstIp,
        Integer srcPort,
        Integer dstPort,
        Long srcMac,
        Long dstMac,
        String tcpFlags) {

    public static SyntheticPacket parse(String description) {
        final Deque<String> words =
                new ArrayDeque<>(Arrays.asList(description.strip().toLowerCase().split("\\s+")));
        final String protocol = words.poll();
        if (protocol == null
                || !(protocol.equals("tcp")
                        || protocol.equals("udp")
                        || protocol.equals("icmp")
                        || protocol.equals("arp"))) {
            throw bad(description, "start with tcp, udp, icmp or arp");
        }
        Integer srcIp = null;
        Integer dstIp = null;
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
                        if (next != null && next.matches("[0-9.]+")) {
                            final int ip = Ipv4Address.parse(words.poll());
                            if (word.equals("src")) {
                                srcIp = ip;
                            } else {
                                dstIp = ip;
                            }
                        }
                    }
                    case "who-has", "host" -> dstIp = Ipv4Address.parse(require(words, description, word));
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
                    case "flags" -> flags = require(words, description, word);
                    case "and" -> {}
                    default -> throw bad(description, "did not understand '" + word + "'");
                }
            } catch (ControlException e) {
                throw e;
            } catch (IllegalArgumentException e) {
                throw bad(description, e.getMessage());
            }
        }
        if (dstIp == null) {
            throw bad(description, "say where it goes: dst ADDRESS (or who-has ADDRESS for arp)");
        }
        if ((protocol.equals("tcp") || protocol.equals("udp")) && dstPort == null) {
            throw bad(description, "say the destination port: port N");
        }
        return new SyntheticPacket(protocol, srcIp, dstIp, srcPort, dstPort, srcMac, dstMac, flags);
    }

    /** The Ethernet frame this description stands for, from the given defaults for unset fields. */
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
        final int l4 = switch (protocol) {
            case "tcp" -> 20;
            case "udp" -> 8;
            default -> 8;
        };
        final ByteBuffer b = ByteBuffer.allocate(EthernetFrame.HEADER_LENGTH + 20 + l4);
        b.putShort((short) (dMac >>> 32))
                .putInt((int) dMac)
                .putShort((short) (sMac >>> 32))
                .putInt((int) sMac);
        b.putShort((short) EthernetFrame.ETHERTYPE_IPV4);
        final int ipStart = b.position();
        b.put((byte) 0x45)
                .put((byte) 0)
                .putShort((short) (20 + l4))
                .putShort((short) 1)
                .putShort((short) 0x4000)
                .put((byte) 64)
                .put((byte) (protocol.equals("tcp") ? 6 : protocol.equals("udp") ? 17 : 1))
                .putShort((short) 0)
                .putInt(sIp)
                .putInt(dstIp);
        final int l4Start = b.position();
        switch (protocol) {
            case "tcp" ->
                b.putShort((short) (srcPort != null ? srcPort : 40000))
                        .putShort(dstPort.shortValue())
                        .putInt(1)
                        .putInt(0)
                        .put((byte) 0x50)
                        .put((byte) tcpFlagBits(tcpFlags))
                        .putShort((short) 64240)
                        .putShort((short) 0)
                        .putShort((short) 0);
            case "udp" ->
                b.putShort((short) (srcPort != null ? srcPort : 40000))
                        .putShort(dstPort.shortValue())
                        .putShort((short) 8)
                        .putShort((short) 0);
            default ->
                b.put((byte) 8)
                        .put((byte) 0)
                        .putShort((short) 0)
                        .putShort((short) 1)
                        .putShort((short) 1);
        }
        final byte[] frame = b.array();
        final UnsafeBuffer view = new UnsafeBuffer(frame);
        final Ipv4Packet ip = new Ipv4Packet();
        ip.wrap(view, ipStart, 20 + l4);
        ip.updateHeaderChecksum();
        // ICMP sums its own bytes only; TCP and UDP include the IPv4 pseudo-header.
        final int pseudo =
                protocol.equals("icmp") ? 0 : InternetChecksum.pseudoHeaderIpv4(sIp, dstIp, ip.protocol(), l4);
        final int sum = ~InternetChecksum.fold(InternetChecksum.partialSum(view, l4Start, l4, pseudo)) & 0xFFFF;
        final int checksumOffset = protocol.equals("tcp") ? 16 : protocol.equals("udp") ? 6 : 2;
        view.putShort(l4Start + checksumOffset, (short) sum, ByteOrder.BIG_ENDIAN);
        return frame;
    }

    private static int tcpFlagBits(String flags) {
        int bits = 0;
        for (char c : flags.toCharArray()) {
            bits |= switch (c) {
                case 'f' -> 0x01;
                case 's' -> 0x02;
                case 'r' -> 0x04;
                case 'p' -> 0x08;
                case 'a' -> 0x10;
                default -> throw new IllegalArgumentException("unknown TCP flag '" + c + "' (use F S R P A)");
            };
        }
        return bits;
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

    private static ControlException bad(String description, String why) {
        return ControlException.invalid("cannot trace '" + description + "': " + why);
    }
}
