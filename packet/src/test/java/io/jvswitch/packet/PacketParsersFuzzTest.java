package io.jvswitch.packet;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Coverage-guided fuzz tests of the flyweights, the virtio-net header and the checksum code.
 *
 * <p>Without {@code JAZZER_FUZZ} each method replays its seeds and past findings from
 * {@code src/test/resources/io/jvswitch/packet/PacketParsersFuzzTestInputs/<method>/} as a regression test. With
 * {@code JAZZER_FUZZ=1} one method (chosen with {@code -Dtest=PacketParsersFuzzTest#method}) is fuzzed.
 *
 * <p>The properties, beyond "nothing throws":
 * <ul>
 * <li>{@code wrap} rejects (returns false, leaves the flyweight unwrapped) instead of throwing, for any offset and
 * length, and after a successful wrap every accessor works and every region it describes lies inside the wrapped
 * bytes;</li>
 * <li>parsing is read-only, and writes through the flyweights stay inside the wrapped header;</li>
 * <li>the optimised checksums agree with a word-by-word reference; incremental updates agree with recomputation;</li>
 * <li>{@link VirtioNetHeader#completeChecksum} writes only the flags byte and the 2-byte checksum field, never
 * outside {@code [offset, offset + length)}, and the checksum it stores verifies.</li>
 * </ul>
 */
class PacketParsersFuzzTest {
    /** Bytes in front of and behind the frame in {@link #parseFrame}, filled with a known pattern. */
    private static final int LEAD = 7;

    private static final int TRAIL = 9;
    private static final byte CANARY = (byte) 0xA5;
    /** Keeps accessor results alive so the calls cannot be optimised away. */
    private static long sunk;

    private final EthernetFrame ethernet = new EthernetFrame();
    private final ArpPacket arp = new ArpPacket();
    private final Ipv4Packet ipv4 = new Ipv4Packet();
    private final Ipv6Packet ipv6 = new Ipv6Packet();
    private final IcmpPacket icmp = new IcmpPacket();
    private final Icmpv6Packet icmpv6 = new Icmpv6Packet();
    private final UdpPacket udp = new UdpPacket();
    private final TcpPacket tcp = new TcpPacket();

    /** A direct buffer for {@link #wrapAtAnyOffset}, so flyweights are also run over off-heap memory. */
    private final ByteBuffer direct = ByteBuffer.allocateDirect(4096);

    // ---- 1. a frame as a port receives it, parsed header by header ----------------------------

    /**
     * The input is one Ethernet frame (the seeds are frames captured from a kernel). It is parsed the way the
     * switch does, then every flyweight is also wrapped at every header boundary it could be confused with.
     */
    @FuzzTest
    void parseFrame(final byte[] frame) {
        final byte[] bytes = new byte[LEAD + frame.length + TRAIL];
        Arrays.fill(bytes, CANARY);
        System.arraycopy(frame, 0, bytes, LEAD, frame.length);
        final byte[] original = bytes.clone();
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final int end = LEAD + frame.length;

        // Read-only pass: wrap and read everything, the buffer must not change.
        if (ethernet.wrap(buffer, LEAD, frame.length)) {
            check(frame.length >= EthernetFrame.HEADER_LENGTH, "Ethernet accepted a runt");
            readEthernet(end);
            final int l3 = ethernet.payloadOffset();
            final int l3Length = ethernet.payloadLength();
            switch (ethernet.payloadEtherType()) {
                case EthernetFrame.ETHERTYPE_ARP -> {
                    if (arp.wrap(buffer, l3, l3Length)) {
                        readArp(end);
                    }
                }
                case EthernetFrame.ETHERTYPE_IPV4 -> {
                    if (ipv4.wrap(buffer, l3, l3Length)) {
                        readIpv4(bytes, end);
                        transport(bytes, ipv4.protocol(), ipv4.payloadOffset(), ipv4.payloadLength(), end, true);
                    }
                }
                case EthernetFrame.ETHERTYPE_IPV6 -> {
                    if (ipv6.wrap(buffer, l3, l3Length)) {
                        readIpv6(end);
                        transport(bytes, ipv6.nextHeader(), ipv6.payloadOffset(), ipv6.payloadLength(), end, false);
                    }
                }
                default -> {}
            }
            // Every parser over bytes meant for another: wrap must still only accept or reject.
            for (final int at : new int[] {l3, l3 + 8, l3 + 20, l3 + 40}) {
                if (at <= end) {
                    wrapEverything(buffer, at, end - at, end);
                }
            }
        }
        wrapEverything(buffer, LEAD, frame.length, end);
        check(Arrays.equals(bytes, original), "parsing changed the buffer");

        // Writing pass: checksum updates through the flyweights touch only their own header and verify.
        if (ethernet.wrap(buffer, LEAD, frame.length)) {
            final int l3 = ethernet.payloadOffset();
            final int l3Length = ethernet.payloadLength();
            if (ethernet.payloadEtherType() == EthernetFrame.ETHERTYPE_IPV4 && ipv4.wrap(buffer, l3, l3Length)) {
                rewriteIpv4(bytes, end);
            } else if (ethernet.payloadEtherType() == EthernetFrame.ETHERTYPE_IPV6 && ipv6.wrap(buffer, l3, l3Length)) {
                rewriteTransport(bytes, ipv6.nextHeader(), ipv6.payloadOffset(), ipv6.payloadLength(), false, end);
            }
        }
        checkCanaries(bytes, LEAD, end);
    }

    private void readEthernet(final int end) {
        final int tags = ethernet.tagCount();
        check(tags >= 0 && tags <= EthernetFrame.MAX_VLAN_TAGS, "tag count out of range");
        check(ethernet.isTagged() == (tags > 0), "isTagged disagrees with tagCount");
        check(
                ethernet.headerLength() == EthernetFrame.HEADER_LENGTH + EthernetFrame.VLAN_TAG_LENGTH * tags,
                "header length is not 14 + 4 per tag");
        check(ethernet.payloadOffset() == ethernet.offset() + ethernet.headerLength(), "payload offset");
        check(ethernet.payloadOffset() <= end && ethernet.payloadLength() >= 0, "payload outside the frame");
        check(ethernet.payloadOffset() + ethernet.payloadLength() == end, "payload does not end with the frame");
        if (tags == 0) {
            check(ethernet.vlanId() == -1 && ethernet.vlanPriority() == -1, "untagged frame reports a VLAN");
            check(ethernet.etherType() == ethernet.payloadEtherType(), "untagged EtherType mismatch");
        } else {
            check(ethernet.vlanId() >= 0 && ethernet.vlanId() <= EthernetFrame.VLAN_ID_MASK, "VLAN id");
            check(ethernet.vlanPriority() >= 0 && ethernet.vlanPriority() <= 7, "VLAN priority");
        }
        check((ethernet.destination() >>> 48) == 0 && (ethernet.source() >>> 48) == 0, "MAC wider than 48 bits");
        sink(ethernet.etherType());
    }

    private void readArp(final int end) {
        check(arp.offset() + ArpPacket.LENGTH <= end, "ARP past the frame");
        sink(arp.hardwareType() + arp.protocolType() + arp.operation() + arp.senderIp() + arp.targetIp());
        sink(arp.senderMac() ^ arp.targetMac());
        final boolean ethIpv4 = arp.hardwareType() == ArpPacket.HARDWARE_TYPE_ETHERNET
                && arp.protocolType() == EthernetFrame.ETHERTYPE_IPV4
                && (arp.buffer().getByte(arp.offset() + ArpPacket.HARDWARE_LENGTH_OFFSET) & 0xFF) == MacAddress.LENGTH
                && (arp.buffer().getByte(arp.offset() + ArpPacket.PROTOCOL_LENGTH_OFFSET) & 0xFF) == Ipv4Address.LENGTH;
        check(arp.isEthernetIpv4() == ethIpv4, "isEthernetIpv4 disagrees with the four fields");
        check(arp.isGratuitous() == (arp.senderIp() == arp.targetIp()), "isGratuitous");
    }

    private void readIpv4(final byte[] bytes, final int end) {
        final int headerLength = ipv4.headerLength();
        check(ipv4.version() == Ipv4Packet.VERSION, "IPv4 accepted another version");
        check(headerLength >= Ipv4Packet.MIN_HEADER_LENGTH && headerLength <= 60, "IHL out of range");
        check(ipv4.totalLength() >= headerLength, "total length shorter than the header");
        check(ipv4.payloadOffset() + ipv4.payloadLength() <= end, "IPv4 payload past the frame");
        check(ipv4.offset() + ipv4.totalLength() <= ipv4.offset() + ipv4.wrappedLength(), "total length > wrapped");
        sink(ipv4.tos() + ipv4.identification() + ipv4.fragmentOffset() + ipv4.ttl() + ipv4.checksum());
        sink(ipv4.source() ^ ipv4.destination() ^ ipv4.pseudoHeaderSum() ^ ipv4.computeHeaderChecksum());
        check(ipv4.isFragment() == (ipv4.moreFragments() || ipv4.fragmentOffset() != 0), "isFragment");
        sink(ipv4.dontFragment() ? 1 : 0);
        final int reference = referenceChecksum(bytes, ipv4.offset(), headerLength, 0);
        check(ipv4.isHeaderChecksumValid() == (reference == 0), "header checksum validity differs from reference");
        // Computed as if the field were zero: equal to the reference over the header with the field zeroed.
        final byte[] header = Arrays.copyOfRange(bytes, ipv4.offset(), ipv4.offset() + headerLength);
        header[Ipv4Packet.CHECKSUM_OFFSET] = 0;
        header[Ipv4Packet.CHECKSUM_OFFSET + 1] = 0;
        check(
                ipv4.computeHeaderChecksum() == referenceChecksum(header, 0, headerLength, 0),
                "computeHeaderChecksum differs from reference");
        final long pseudo = (ipv4.source() >>> 16)
                + (ipv4.source() & 0xFFFF)
                + (ipv4.destination() >>> 16)
                + (ipv4.destination() & 0xFFFF)
                + ipv4.protocol()
                + (ipv4.payloadLength() & 0xFFFF);
        check(InternetChecksum.fold(ipv4.pseudoHeaderSum()) == foldLong(pseudo), "IPv4 pseudo-header sum");
    }

    private void readIpv6(final int end) {
        check(ipv6.version() == Ipv6Packet.VERSION, "IPv6 accepted another version");
        check(ipv6.payloadOffset() + ipv6.payloadLength() <= end, "IPv6 payload past the frame");
        check(ipv6.trafficClass() >= 0 && ipv6.trafficClass() <= 0xFF, "traffic class");
        check(ipv6.flowLabel() >= 0 && ipv6.flowLabel() <= 0xF_FFFF, "flow label");
        sink(ipv6.nextHeader() + ipv6.hopLimit());
        sink(ipv6.sourceHigh() ^ ipv6.sourceLow() ^ ipv6.destinationHigh() ^ ipv6.destinationLow());
        check(ipv6.isDestinationMulticast() == ((ipv6.destinationHigh() >>> 56) == 0xFF), "multicast test");
        sink(ipv6.pseudoHeaderSum(ipv6.nextHeader(), ipv6.payloadLength()));
    }

    /** Wraps the transport header the way the switch would and checks its checksum against the reference. */
    private void transport(
            final byte[] bytes,
            final int protocol,
            final int offset,
            final int length,
            final int end,
            final boolean v4) {
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        switch (protocol) {
            case Ipv4Packet.PROTOCOL_TCP -> {
                if (tcp.wrap(buffer, offset, length)) {
                    readTcp(end);
                    final int pseudo = pseudo(v4, protocol, length);
                    final int reference = referenceChecksum(bytes, offset, length, pseudo);
                    check(tcp.isChecksumValid(pseudo) == (reference == 0), "TCP checksum validity differs");
                }
            }
            case Ipv4Packet.PROTOCOL_UDP -> {
                if (udp.wrap(buffer, offset, length)) {
                    readUdp(end);
                    final int pseudo = pseudo(v4, protocol, udp.length());
                    final int reference = referenceChecksum(bytes, offset, udp.length(), pseudo);
                    check(
                            udp.isChecksumValid(pseudo) == (udp.checksum() == 0 || reference == 0),
                            "UDP checksum validity differs");
                }
            }
            case Ipv6Packet.NEXT_HEADER_ICMPV6 -> {
                if (!v4 && icmpv6.wrap(buffer, offset, length)) {
                    readIcmpv6(end);
                    final int pseudo = pseudo(false, protocol, length);
                    final int reference = referenceChecksum(bytes, offset, length, pseudo);
                    check(icmpv6.checksumValid(ipv6, length) == (reference == 0), "ICMPv6 checksum validity differs");
                } else if (v4 && icmp.wrap(buffer, offset, length)) {
                    readIcmp(end);
                    final int reference = referenceChecksum(bytes, offset, length, 0);
                    check(icmp.isChecksumValid() == (reference == 0), "ICMP checksum validity differs");
                }
            }
            default -> {
                if (icmp.wrap(buffer, offset, length)) {
                    readIcmp(end);
                    final int reference = referenceChecksum(bytes, offset, length, 0);
                    check(icmp.isChecksumValid() == (reference == 0), "ICMP checksum validity differs");
                }
            }
        }
    }

    private void readIcmpv6(final int end) {
        check(icmpv6.offset() + icmpv6.wrappedLength() <= end, "ICMPv6 message past the frame");
        sink(icmpv6.type() + icmpv6.code() + icmpv6.checksum() + icmpv6.identifier());
        if (icmpv6.holdsTarget()) {
            check(icmpv6.offset() + Icmpv6Packet.ND_MIN_LENGTH <= end, "NDP target past the frame");
            sink(icmpv6.targetHigh() ^ icmpv6.targetLow());
        }
    }

    private int pseudo(final boolean v4, final int protocol, final int l4Length) {
        return v4 ? ipv4.pseudoHeaderSum() : ipv6.pseudoHeaderSum(protocol, l4Length);
    }

    private void readTcp(final int end) {
        check(tcp.headerLength() >= TcpPacket.MIN_HEADER_LENGTH && tcp.headerLength() <= 60, "TCP header length");
        check(tcp.headerLength() == tcp.dataOffset() * 4, "data offset");
        check(tcp.payloadOffset() + tcp.payloadLength() <= end && tcp.payloadLength() >= 0, "TCP payload");
        check(tcp.sequence() >= 0 && tcp.sequence() <= 0xFFFF_FFFFL, "sequence not unsigned");
        check(tcp.acknowledgment() >= 0 && tcp.acknowledgment() <= 0xFFFF_FFFFL, "ack not unsigned");
        check(tcp.hasFlags(tcp.flags()) && tcp.hasFlags(0), "hasFlags");
        sink(tcp.sourcePort() + tcp.destinationPort() + tcp.window() + tcp.checksum() + tcp.urgentPointer());
    }

    private void readUdp(final int end) {
        check(udp.length() >= UdpPacket.HEADER_LENGTH && udp.length() <= udp.wrappedLength(), "UDP length field");
        check(udp.payloadOffset() + udp.payloadLength() <= end && udp.payloadLength() >= 0, "UDP payload");
        sink(udp.sourcePort() + udp.destinationPort() + udp.checksum());
    }

    private void readIcmp(final int end) {
        check(icmp.payloadOffset() + icmp.payloadLength() <= end && icmp.payloadLength() >= 0, "ICMP payload");
        sink(icmp.type()
                + icmp.code()
                + icmp.checksum()
                + icmp.identifier()
                + icmp.sequence()
                + icmp.computeChecksum());
    }

    /** Every flyweight at one place: each either rejects or wraps something readable inside [at, end). */
    private void wrapEverything(final UnsafeBuffer buffer, final int at, final int length, final int end) {
        if (ethernet.wrap(buffer, at, length)) {
            readEthernet(end);
        } else {
            checkRejected(ethernet);
        }
        if (arp.wrap(buffer, at, length)) {
            readArp(end);
        } else {
            checkRejected(arp);
        }
        if (ipv4.wrap(buffer, at, length)) {
            readIpv4(buffer.byteArray(), end);
        } else {
            checkRejected(ipv4);
        }
        if (ipv6.wrap(buffer, at, length)) {
            readIpv6(end);
        } else {
            checkRejected(ipv6);
        }
        if (icmp.wrap(buffer, at, length)) {
            readIcmp(end);
        } else {
            checkRejected(icmp);
        }
        if (icmpv6.wrap(buffer, at, length)) {
            readIcmpv6(end);
        } else {
            checkRejected(icmpv6);
        }
        if (udp.wrap(buffer, at, length)) {
            readUdp(end);
        } else {
            checkRejected(udp);
        }
        if (tcp.wrap(buffer, at, length)) {
            readTcp(end);
        } else {
            checkRejected(tcp);
        }
    }

    private void rewriteIpv4(final byte[] bytes, final int end) {
        final int start = ipv4.offset();
        final int headerLength = ipv4.headerLength();
        // Decrementing the TTL patches the checksum incrementally: validity must not change.
        final boolean valid = ipv4.isHeaderChecksumValid();
        final byte[] before = bytes.clone();
        final int ttl = ipv4.ttl();
        final int result = ipv4.decrementTtl();
        if (ttl == 0) {
            check(result == 0 && Arrays.equals(bytes, before), "a TTL of 0 was changed");
        } else {
            check(result == ttl - 1 && ipv4.ttl() == ttl - 1, "TTL not decremented by one");
            check(ipv4.isHeaderChecksumValid() == valid, "decrementTtl broke (or fixed) the header checksum");
            check(
                    changedOnlyAt(
                            before, bytes, start + Ipv4Packet.TTL_OFFSET, 1, start + Ipv4Packet.CHECKSUM_OFFSET, 2),
                    "decrementTtl wrote outside the TTL and checksum");
        }
        ipv4.updateHeaderChecksum();
        check(ipv4.isHeaderChecksumValid(), "updateHeaderChecksum did not make the header valid");
        check(InternetChecksum.compute(ipv4.buffer(), start, headerLength) == 0, "header does not sum to zero");
        rewriteTransport(bytes, ipv4.protocol(), ipv4.payloadOffset(), ipv4.payloadLength(), true, end);
    }

    /** Stores a freshly computed transport checksum: it must verify, and nothing but the field may change. */
    private void rewriteTransport(
            final byte[] bytes,
            final int protocol,
            final int offset,
            final int length,
            final boolean v4,
            final int end) {
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final byte[] before = bytes.clone();
        switch (protocol) {
            case Ipv4Packet.PROTOCOL_TCP -> {
                if (tcp.wrap(buffer, offset, length)) {
                    final int pseudo = pseudo(v4, protocol, length);
                    tcp.setChecksum(tcp.computeChecksum(pseudo));
                    check(tcp.isChecksumValid(pseudo), "TCP checksum computed then stored does not verify");
                    check(referenceChecksum(bytes, offset, length, pseudo) == 0, "TCP checksum wrong by reference");
                    check(
                            changedOnlyAt(before, bytes, offset + TcpPacket.CHECKSUM_OFFSET, 2, -1, 0),
                            "TCP wrote elsewhere");
                }
            }
            case Ipv4Packet.PROTOCOL_UDP -> {
                if (udp.wrap(buffer, offset, length)) {
                    final int pseudo = pseudo(v4, protocol, udp.length());
                    final int checksum = udp.computeChecksum(pseudo);
                    check(checksum != 0, "UDP checksum 0 must be sent as 0xFFFF");
                    udp.setChecksum(checksum);
                    check(udp.isChecksumValid(pseudo), "UDP checksum computed then stored does not verify");
                    check(
                            referenceChecksum(bytes, offset, udp.length(), pseudo) == 0,
                            "UDP checksum wrong by reference");
                    check(
                            changedOnlyAt(before, bytes, offset + UdpPacket.CHECKSUM_OFFSET, 2, -1, 0),
                            "UDP wrote elsewhere");
                }
            }
            case Ipv4Packet.PROTOCOL_ICMP -> {
                if (v4 && icmp.wrap(buffer, offset, length)) {
                    icmp.updateChecksum();
                    check(icmp.isChecksumValid(), "ICMP checksum computed then stored does not verify");
                    check(
                            changedOnlyAt(before, bytes, offset + IcmpPacket.CHECKSUM_OFFSET, 2, -1, 0),
                            "ICMP wrote elsewhere");
                }
            }
            default -> {}
        }
        checkCanaries(bytes, LEAD, end);
    }

    // ---- 2. any flyweight, any offset, any length, any kind of buffer ----------------------------

    /**
     * Input: the buffer's bytes first, then (consumed from the end) which flyweight, how the offset and length are
     * chosen, and what kind of buffer. Offsets and lengths range over every int, negative and huge included.
     */
    @FuzzTest
    void wrapAtAnyOffset(final FuzzedDataProvider data) {
        final int which = data.consumeInt(0, 6);
        final int offsetMode = data.consumeInt(0, 3);
        final int offsetArg = offsetMode == 1 ? data.consumeInt() : data.consumeInt(0, 255);
        final int lengthMode = data.consumeInt(0, 3);
        final int lengthArg = lengthMode == 1 ? data.consumeInt() : data.consumeInt(0, 255);
        final int view = data.consumeInt(0, 2);
        final byte[] content = data.consumeRemainingAsBytes();

        final UnsafeBuffer buffer;
        switch (view) {
            case 1 -> {
                // A view that starts inside a larger array: capacity is smaller than the array.
                final int skip = Math.min(content.length, 5);
                buffer = new UnsafeBuffer(content, skip, content.length - skip);
            }
            case 2 -> {
                final int length = Math.min(content.length, direct.capacity());
                direct.clear();
                direct.put(0, content, 0, length);
                buffer = new UnsafeBuffer(direct, 0, length);
            }
            default -> buffer = new UnsafeBuffer(content);
        }
        final int capacity = buffer.capacity();
        final int offset = switch (offsetMode) {
            case 0 -> offsetArg;
            case 1 -> offsetArg;
            case 2 -> capacity - offsetArg;
            default -> -offsetArg;
        };
        final int length = switch (lengthMode) {
            case 0 -> capacity - offset; // may overflow for negative offsets, which is the point
            case 1 -> lengthArg;
            case 2 -> capacity - offset - lengthArg;
            default -> lengthArg;
        };
        final byte[] before = snapshot(buffer);
        final boolean inBounds = offset >= 0 && length >= 0 && (long) offset + length <= capacity;
        final int end = inBounds ? offset + length : -1;

        final Flyweight flyweight = switch (which) {
            case 0 -> ethernet;
            case 1 -> arp;
            case 2 -> ipv4;
            case 3 -> ipv6;
            case 4 -> icmp;
            case 5 -> udp;
            default -> tcp;
        };
        final boolean wrapped = switch (which) {
            case 0 -> ethernet.wrap(buffer, offset, length);
            case 1 -> arp.wrap(buffer, offset, length);
            case 2 -> ipv4.wrap(buffer, offset, length);
            case 3 -> ipv6.wrap(buffer, offset, length);
            case 4 -> icmp.wrap(buffer, offset, length);
            case 5 -> udp.wrap(buffer, offset, length);
            default -> tcp.wrap(buffer, offset, length);
        };
        if (!wrapped) {
            checkRejected(flyweight);
        } else {
            check(inBounds, "wrap accepted a region outside the buffer");
            check(flyweight.offset() == offset && flyweight.wrappedLength() == length, "wrap kept other bounds");
            switch (which) {
                case 0 -> readEthernet(end);
                case 1 -> readArp(end);
                case 2 -> {
                    check(ipv4.headerLength() <= length, "IPv4 header longer than the wrapped bytes");
                    sink(ipv4.version() + ipv4.tos() + ipv4.totalLength() + ipv4.identification() + ipv4.ttl());
                    sink(ipv4.protocol()
                            + ipv4.checksum()
                            + ipv4.source()
                            + ipv4.destination()
                            + ipv4.fragmentOffset());
                    sink(ipv4.computeHeaderChecksum()
                            + ipv4.pseudoHeaderSum()
                            + (ipv4.isHeaderChecksumValid() ? 1 : 0));
                    check(ipv4.payloadOffset() + ipv4.payloadLength() <= end, "IPv4 payload past the wrapped bytes");
                }
                case 3 -> readIpv6(end);
                case 4 -> {
                    readIcmp(end);
                    sink(icmp.isChecksumValid() ? 1 : 0);
                }
                case 5 -> {
                    readUdp(end);
                    sink(udp.computeChecksum(0) + (udp.isChecksumValid(0x1234) ? 1 : 0));
                }
                default -> {
                    readTcp(end);
                    sink(tcp.computeChecksum(0) + (tcp.isChecksumValid(0x1234) ? 1 : 0));
                }
            }
        }
        check(Arrays.equals(before, snapshot(buffer)), "wrap or an accessor wrote to the buffer");
        // A later rejected wrap must forget the earlier view.
        flyweightWrapNull(which);
        checkRejected(flyweight);
    }

    private void flyweightWrapNull(final int which) {
        final boolean wrapped = switch (which) {
            case 0 -> ethernet.wrap(null, 0, 64);
            case 1 -> arp.wrap(null, 0, 64);
            case 2 -> ipv4.wrap(null, 0, 64);
            case 3 -> ipv6.wrap(null, 0, 64);
            case 4 -> icmp.wrap(null, 0, 64);
            case 5 -> udp.wrap(null, 0, 64);
            default -> tcp.wrap(null, 0, 64);
        };
        check(!wrapped, "wrap accepted a null buffer");
    }

    private void checkRejected(final Flyweight flyweight) {
        check(!flyweight.isWrapped() && flyweight.buffer() == null, "a rejected wrap left the flyweight wrapped");
        if (flyweight == ethernet) {
            check(
                    ethernet.tagCount() == 0 && ethernet.vlanId() == -1 && ethernet.payloadOffset() == 0,
                    "a rejected Ethernet wrap kept the previous frame's tags");
        }
    }

    // ---- 3. virtio-net header and software checksum completion --------------------------------

    /**
     * Input: the 10-byte virtio-net header and the frame first, then (from the end) where the header sits in the
     * buffer, how much room follows the frame, and what {@code totalLength} is passed (exact, short, too long or
     * any int); sometimes the offset itself is any int.
     */
    @FuzzTest
    void completeChecksum(final FuzzedDataProvider data) {
        final int lead = data.consumeInt(0, 16);
        final int trail = data.consumeInt(0, 16);
        final int lengthMode = data.consumeInt(0, 3);
        final int lengthArg = lengthMode == 1 ? data.consumeInt() : data.consumeInt(0, 255);
        final boolean anyOffset = data.consumeInt(0, 7) == 0;
        final int offsetArg = anyOffset ? data.consumeInt() : 0;
        final byte[] header = Arrays.copyOf(data.consumeBytes(VirtioNetHeader.LENGTH), VirtioNetHeader.LENGTH);
        final byte[] frame = data.consumeRemainingAsBytes();

        final byte[] bytes = new byte[lead + VirtioNetHeader.LENGTH + frame.length + trail];
        Arrays.fill(bytes, CANARY);
        System.arraycopy(header, 0, bytes, lead, VirtioNetHeader.LENGTH);
        System.arraycopy(frame, 0, bytes, lead + VirtioNetHeader.LENGTH, frame.length);
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final int exact = VirtioNetHeader.LENGTH + frame.length;
        final int vnetOffset = anyOffset ? offsetArg : lead;
        final int totalLength = switch (lengthMode) {
            case 0 -> exact;
            case 1 -> lengthArg;
            case 2 -> exact - lengthArg;
            default -> exact + lengthArg;
        };

        final boolean inBuffer = vnetOffset >= 0 && vnetOffset <= bytes.length - VirtioNetHeader.LENGTH;
        if (inBuffer) {
            // The accessors are plain little-endian loads of the header.
            final ByteBuffer le = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            final int flags = bytes[vnetOffset] & 0xFF;
            final int gsoByte = bytes[vnetOffset + 1] & 0xFF;
            check(VirtioNetHeader.flags(buffer, vnetOffset) == flags, "flags");
            check(VirtioNetHeader.needsChecksum(buffer, vnetOffset) == ((flags & 1) != 0), "needsChecksum");
            check(VirtioNetHeader.gsoType(buffer, vnetOffset) == (gsoByte & 0x7F), "gsoType strips ECN");
            check(VirtioNetHeader.hasEcn(buffer, vnetOffset) == ((gsoByte & 0x80) != 0), "hasEcn");
            check(VirtioNetHeader.isGso(buffer, vnetOffset) == ((gsoByte & 0x7F) != 0), "isGso");
            check(
                    VirtioNetHeader.headerLength(buffer, vnetOffset) == (le.getShort(vnetOffset + 2) & 0xFFFF),
                    "hdr_len");
            check(VirtioNetHeader.gsoSize(buffer, vnetOffset) == (le.getShort(vnetOffset + 4) & 0xFFFF), "gso_size");
            check(
                    VirtioNetHeader.checksumStart(buffer, vnetOffset) == (le.getShort(vnetOffset + 6) & 0xFFFF),
                    "csum_start");
            check(
                    VirtioNetHeader.checksumOffset(buffer, vnetOffset) == (le.getShort(vnetOffset + 8) & 0xFFFF),
                    "csum_offset");
        }

        final boolean validRegion = vnetOffset >= 0
                && totalLength >= VirtioNetHeader.LENGTH
                && (long) vnetOffset + totalLength <= bytes.length;
        final byte[] before = bytes.clone();
        final boolean completed = VirtioNetHeader.completeChecksum(buffer, vnetOffset, totalLength);

        if (!validRegion) {
            check(!completed, "completeChecksum accepted a region outside the buffer");
            check(Arrays.equals(before, bytes), "completeChecksum wrote although the region is invalid");
            return;
        }
        final int flags = before[vnetOffset] & 0xFF;
        final int frameOffset = vnetOffset + VirtioNetHeader.LENGTH;
        final int frameLength = totalLength - VirtioNetHeader.LENGTH;
        final ByteBuffer le = ByteBuffer.wrap(before).order(ByteOrder.LITTLE_ENDIAN);
        final int start = le.getShort(vnetOffset + 6) & 0xFFFF;
        final int fieldOffset = start + (le.getShort(vnetOffset + 8) & 0xFFFF);
        if ((flags & VirtioNetHeader.FLAG_NEEDS_CSUM) == 0) {
            check(completed, "nothing to complete must report success");
            check(Arrays.equals(before, bytes), "completeChecksum wrote although NEEDS_CSUM is clear");
            return;
        }
        final boolean fits = fieldOffset + 2 <= frameLength;
        check(completed == fits, "completeChecksum result disagrees with whether the field lies in the frame");
        if (!completed) {
            check(Arrays.equals(before, bytes), "a refused completeChecksum wrote anyway");
            return;
        }
        // Only the flags byte and the 2-byte field may change; both lie inside [vnetOffset, vnetOffset + total).
        check(
                changedOnlyAt(before, bytes, vnetOffset, 1, frameOffset + fieldOffset, 2),
                "completeChecksum wrote outside the flags byte and the checksum field");
        check(
                (bytes[vnetOffset] & 0xFF)
                        == ((flags & ~VirtioNetHeader.FLAG_NEEDS_CSUM) | VirtioNetHeader.FLAG_DATA_VALID),
                "flags after completion");
        final int stored =
                ((bytes[frameOffset + fieldOffset] & 0xFF) << 8) | (bytes[frameOffset + fieldOffset + 1] & 0xFF);
        check(stored != 0, "a completed checksum of 0 must be stored as 0xFFFF");
        if (((fieldOffset - start) & 1) == 0) {
            // The field held the pseudo-header sum: data + stored + that sum must now fold to 0xFFFF.
            final int old =
                    ((before[frameOffset + fieldOffset] & 0xFF) << 8) | (before[frameOffset + fieldOffset + 1] & 0xFF);
            final int sum = referenceFoldedSum(bytes, frameOffset + start, frameLength - start, old);
            check(sum == 0xFFFF, "the completed checksum does not verify");
        }
    }

    // ---- 4. checksum arithmetic ------------------------------------------------------------------

    /**
     * Input: data bytes first, then (from the end) a range in them, a split point, an initial sum, and a word to
     * change. Checks the 8-bytes-at-a-time sum against the reference at every alignment, chaining, folding, the
     * RFC 1624 incremental updates and both pseudo-header sums.
     */
    @FuzzTest
    void checksumArithmetic(final FuzzedDataProvider data) {
        final int from = data.consumeInt(0, 63);
        final int split = data.consumeInt(0, 255);
        final int initial = data.consumeInt();
        final int wordIndex = data.consumeInt(0, 255);
        final int newWord = data.consumeInt(0, 0xFFFF);
        final int newLong = data.consumeInt();
        final int nextHeader = data.consumeInt(0, 255);
        final int l4Length = data.consumeInt();
        final byte[] bytes = data.consumeRemainingAsBytes();
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final int start = Math.min(from, bytes.length);
        final int length = bytes.length - start;

        // partialSum at any alignment, with any initial sum, agrees with the word-by-word reference.
        final int sum = InternetChecksum.partialSum(buffer, start, length, initial);
        check(InternetChecksum.fold(sum) == referenceFoldedSum(bytes, start, length, initial), "partialSum");
        check(InternetChecksum.fold(sum) == InternetChecksum.fold(sum & 0xFFFF_FFFFL), "fold(int) != fold(long)");
        check(
                InternetChecksum.compute(buffer, start, length)
                        == (~referenceFoldedSum(bytes, start, length, 0) & 0xFFFF),
                "compute");
        final int fold = InternetChecksum.fold((long) initial * 0x1_0001L);
        check(fold >= 0 && fold <= 0xFFFF, "fold wider than 16 bits");

        // Chaining: an even-length first range followed by the rest equals one range.
        final int first = Math.min(split & ~1, length);
        final int chained = InternetChecksum.partialSum(
                buffer, start + first, length - first, InternetChecksum.partialSum(buffer, start, first, initial));
        check(InternetChecksum.fold(chained) == InternetChecksum.fold(sum), "chained sums differ");

        // RFC 1624: updating after one aligned word changes agrees with recomputation (unless all becomes zero).
        if (length >= 2) {
            final int at = start + (Math.min(wordIndex, length / 2 - 1) * 2);
            final int checksum = InternetChecksum.compute(buffer, start, length);
            final int oldWord = buffer.getShort(at, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            buffer.putShort(at, (short) newWord, ByteOrder.BIG_ENDIAN);
            final int recomputed = InternetChecksum.compute(buffer, start, length);
            if (!allZero(bytes, start, length)) {
                check(InternetChecksum.adjust16(checksum, oldWord, newWord) == recomputed, "adjust16 != recompute");
            }
            if (length >= 4) {
                final int at32 = start + (Math.min(wordIndex, length / 2 - 2) * 2);
                final int checksum32 = InternetChecksum.compute(buffer, start, length);
                final int oldLong = buffer.getInt(at32, ByteOrder.BIG_ENDIAN);
                buffer.putInt(at32, newLong, ByteOrder.BIG_ENDIAN);
                final int recomputed32 = InternetChecksum.compute(buffer, start, length);
                if (!allZero(bytes, start, length)) {
                    check(
                            InternetChecksum.adjust32(checksum32, oldLong, newLong) == recomputed32,
                            "adjust32 != recompute");
                }
            }
        }

        // Pseudo-headers against the reference over their wire form.
        if (bytes.length >= 32) {
            final int source = buffer.getInt(0, ByteOrder.BIG_ENDIAN);
            final int destination = buffer.getInt(4, ByteOrder.BIG_ENDIAN);
            final int ipv4Length = l4Length & 0xFFFF;
            final byte[] v4 = ByteBuffer.allocate(12)
                    .putInt(source)
                    .putInt(destination)
                    .put((byte) 0)
                    .put((byte) nextHeader)
                    .putShort((short) ipv4Length)
                    .array();
            check(
                    InternetChecksum.fold(
                                    InternetChecksum.pseudoHeaderIpv4(source, destination, nextHeader, ipv4Length))
                            == referenceFoldedSum(v4, 0, 12, 0),
                    "IPv4 pseudo-header");
            final byte[] v6 = ByteBuffer.allocate(40)
                    .put(bytes, 0, 32)
                    .putInt(l4Length)
                    .putInt(nextHeader)
                    .array();
            check(
                    InternetChecksum.fold(InternetChecksum.pseudoHeaderIpv6(buffer, 0, 16, nextHeader, l4Length))
                            == referenceFoldedSum(v6, 0, 40, 0),
                    "IPv6 pseudo-header");
        }
    }

    // ---- 5. address text, as the API and the CLI take it ------------------------------------------

    /** Parsing user text fails only with IllegalArgumentException; format and parse are inverse. */
    @FuzzTest
    void addressText(final FuzzedDataProvider data) {
        final long mac = data.consumeLong() & MacAddress.BROADCAST;
        final int ip = data.consumeInt();
        final String text = data.consumeRemainingAsString();
        check(MacAddress.parse(MacAddress.format(mac)) == mac, "MAC format/parse round trip");
        check(MacAddress.parse(MacAddress.format(mac).toUpperCase()) == mac, "MAC upper-case round trip");
        check(Ipv4Address.parse(Ipv4Address.format(ip)) == ip, "IPv4 format/parse round trip");
        try {
            final long parsed = MacAddress.parse(text);
            check(MacAddress.format(parsed).equalsIgnoreCase(text), "MAC parse accepted a non-canonical form");
        } catch (IllegalArgumentException expected) {
            // refused, as documented
        }
        try {
            final int parsed = Ipv4Address.parse(text);
            check(Ipv4Address.format(parsed).equals(text), "IPv4 parse accepted a non-canonical form");
        } catch (IllegalArgumentException expected) {
            // refused, as documented
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    /** Word-by-word RFC 1071 sum of {@code bytes[offset, offset + length)} plus {@code initial}, folded. */
    static int referenceFoldedSum(final byte[] bytes, final int offset, final int length, final int initial) {
        long sum = initial & 0xFFFF_FFFFL;
        for (int i = 0; i < length; i += 2) {
            final int high = bytes[offset + i] & 0xFF;
            final int low = i + 1 < length ? bytes[offset + i + 1] & 0xFF : 0;
            sum += (high << 8) | low;
        }
        return foldLong(sum);
    }

    private static int referenceChecksum(final byte[] bytes, final int offset, final int length, final int initial) {
        return ~referenceFoldedSum(bytes, offset, length, initial) & 0xFFFF;
    }

    private static int foldLong(final long value) {
        long sum = value;
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }

    private static boolean allZero(final byte[] bytes, final int offset, final int length) {
        for (int i = offset; i < offset + length; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** True if {@code after} differs from {@code before} only inside the two given ranges. */
    private static boolean changedOnlyAt(
            final byte[] before,
            final byte[] after,
            final int from1,
            final int length1,
            final int from2,
            final int length2) {
        for (int i = 0; i < before.length; i++) {
            final boolean allowed = (i >= from1 && i < from1 + length1) || (i >= from2 && i < from2 + length2);
            if (!allowed && before[i] != after[i]) {
                return false;
            }
        }
        return true;
    }

    private static void checkCanaries(final byte[] bytes, final int lead, final int end) {
        for (int i = 0; i < lead; i++) {
            check(bytes[i] == CANARY, "a write landed before the frame");
        }
        for (int i = end; i < bytes.length; i++) {
            check(bytes[i] == CANARY, "a write landed after the frame");
        }
    }

    private static byte[] snapshot(final UnsafeBuffer buffer) {
        final byte[] copy = new byte[buffer.capacity()];
        buffer.getBytes(0, copy);
        return copy;
    }

    private static void check(final boolean condition, final String property) {
        if (!condition) {
            throw new AssertionError(property);
        }
    }

    private static void sink(final long value) {
        sunk += value;
    }
}
