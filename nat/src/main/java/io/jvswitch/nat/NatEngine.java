package io.jvswitch.nat;

import io.jvswitch.packet.IcmpPacket;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Address;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.service.RoutingHook;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Stateful NAT in the switch's router: connection tracking, masquerade of connections leaving by
 * the host link, DNAT of published ports reached from containers (hairpin), and translation of
 * the ICMP errors about them.
 *
 * <p>As in the kernel's netfilter, {@link #beforeRouting} rewrites destinations (a published port
 * to its container; a reply to the connection's original source) and {@link #afterRouting}
 * rewrites sources (masquerade; a reply to the published address). A connection is created after
 * the route is known, when it needs a translation: a packet from a network that masquerades going
 * to the host link, or a packet to a published port. Traffic that needs none (host to container,
 * container to container through the router, networks with {@code --masquerade=false}) is not
 * tracked and costs one hash lookup.
 *
 * <p>A connection is a pair of tuples: the original (as the first packet arrived) and the reply
 * (what the answer looks like as it arrives: from the translated destination to the translated
 * source). Any packet is translated by making it look like the inverse of the other direction's
 * tuple, the kernel's model, which also gives the hairpin cases for free.
 *
 * <p>Checksums are updated incrementally ({@link PacketRewriter}). The L4 checksum of a frame
 * whose virtio-net header says {@code NEEDS_CSUM} is partial: the router hands the frame as the
 * switch holds it (virtio-net header at offset 0, Ethernet after it), so this reads the header
 * there and treats the L4 checksum as partial when {@code csum_start} points at this packet's L4
 * header.
 *
 * <p>Runs on the dataplane thread only; allocates nothing per packet. The policy comes from the
 * control plane through a volatile field.
 */
public final class NatEngine implements RoutingHook {
    public static final int ALL_NETWORKS = Integer.MIN_VALUE;

    static final int STATE_MASK = 0xFF;
    static final int SEEN_REPLY = 0x100;
    static final int DESTINATION_NAT = 0x200;
    static final int SOURCE_NAT = 0x400;

    /** Bytes of the quoted L4 header an ICMP error must carry: the ports (RFC 792 guarantees 8). */
    private static final int QUOTED_L4 = 8;
    /** Connections examined for expiry before a new one is refused for want of room. */
    private static final int FULL_TABLE_SWEEP = 1024;

    private static final int PORT_ATTEMPTS = 256;

    private static final int PENDING_NONE = 0;
    private static final int PENDING_TRACKED = 1;
    private static final int PENDING_NEW = 2;
    private static final int PENDING_NEW_PUBLISHED = 3;
    private static final int PENDING_ICMP_ERROR = 4;
    private static final int PENDING_FRAGMENT = 5;
    private static final int PENDING_INBOUND = 6;
    /**
     * Connections examined per duty cycle by {@link #housekeeping}: a sequential read of 16 KiB, about
     * a microsecond. The default table (262,144) is swept every 1024 cycles: about 10 s for a dataplane
     * idling at 100 wake-ups a second, sooner under traffic.
     */
    static final int HOUSEKEEPING_SLICE = 256;

    /** parse() result for a protocol the tracker does not handle: routed as it is. */
    private static final int ACCEPT_UNTRACKED = -100;

    private final NatContext ctx;
    private final ConnectionTable table;
    private final EndpointConnections perEndpoint;
    private final int endpointLimit;
    private volatile NatPolicy policy = NatPolicy.empty();

    private final long[] drops = new long[NatDrop.values().length];
    private long created;
    private long expired;
    private long translated;
    private long untracked;
    private int portCursor;

    // prefetch's scratch: the tuples of one pass of a receive batch, and what the table found.
    private final long[] batchA = new long[ConnectionTable.BATCH];
    private final long[] batchB = new long[ConnectionTable.BATCH];
    private final int[] batchRefs = new int[ConnectionTable.BATCH];
    // The last pass's answers stay usable by the packets themselves while the table is unchanged.
    private int batchCount;
    private int batchNext;
    private long batchVersion;
    private long prefetchedTuples;
    private long prefetchedFound;
    private long prefetchedUsed;

    // The packet being routed, parsed once in beforeRouting.
    private MutableDirectBuffer pendingBuffer;
    private int pendingIp;
    private int pendingKind;
    private int pendingRef;
    private long pendingFingerprint;
    private long pendingA;
    private long pendingB;
    private int protocol;
    private int l4;
    private int l4Length;
    private int tcpFlags;
    private boolean partial;
    // An ICMP error's quoted packet.
    private int innerIp;
    private int innerProtocol;
    private int innerL4;
    private int innerL4Length;

    public NatEngine(NatContext ctx) {
        ctx.requireConcluded();
        this.ctx = ctx;
        this.perEndpoint = new EndpointConnections(ctx.maxEndpoints());
        this.endpointLimit = ctx.endpointLimit();
        this.table = new ConnectionTable(
                ctx.tableCapacity(), (originalA, replyA) -> perEndpoint.remove(ownerOf(originalA, replyA)));
        this.portCursor = ctx.portRangeLow();
    }

    /** Installs a new policy; from any thread. Existing connections keep their translation. */
    public void policy(NatPolicy policy) {
        this.policy = policy;
    }

    public NatPolicy policy() {
        return policy;
    }

    /**
     * Looks up the connections of a receive batch together ({@link ConnectionTable#lookupBatch}),
     * so that their cache misses overlap; {@link #beforeRouting} then takes each packet's answer
     * from here while the table has not changed since, and finds the line in the cache. Changes
     * no connection, counter or pending state:
     * only what the packets would look up anyway is read. Packets this cannot take for a plain
     * tracked packet (fragments, ICMP errors, other protocols, malformed) are left out.
     */
    @Override
    public void prefetch(int fromNetwork, DirectBuffer[] buffers, int ipOffset, int[] ipLengths, int count) {
        int n = 0;
        for (int i = 0; i < count; i++) {
            if (trackedTuple(fromNetwork, buffers[i], ipOffset, ipLengths[i], n)) {
                n++;
                if (n == ConnectionTable.BATCH) {
                    lookupPrefetched(n);
                    n = 0;
                }
            }
        }
        if (n > 0) {
            lookupPrefetched(n);
        }
    }

    private void lookupPrefetched(int n) {
        prefetchedTuples += n;
        prefetchedFound += table.lookupBatch(batchA, batchB, n, batchRefs);
        batchCount = n;
        batchNext = 0;
        batchVersion = table.version();
    }

    /**
     * The connection of a tuple: what {@link #prefetch} found for it if the table has not changed
     * since (the answer is then still true, and the packet skips its own hash and probe), else a
     * lookup. Packets come in the order prefetch saw them, so the search starts after the last
     * one answered; prefetch leaves out packets that will not be looked up, so the next one
     * usually matches at once.
     */
    private int lookup(long a, long b) {
        if (batchVersion == table.version()) {
            for (int i = batchNext; i < batchCount; i++) {
                if (batchA[i] == a && batchB[i] == b) {
                    batchNext = i + 1;
                    prefetchedUsed++;
                    return batchRefs[i];
                }
            }
        }
        return table.lookup(a, b);
    }

    /**
     * Reads the tuple beforeRouting would look up into {@code batchA/B[at]}, reading within
     * {@code ipLength} only; returns false for a packet beforeRouting would not look up as is.
     */
    private boolean trackedTuple(int fromNetwork, DirectBuffer buffer, int ipOffset, int ipLength, int at) {
        if (ipLength < Ipv4Packet.MIN_HEADER_LENGTH) {
            return false;
        }
        final int ihl = (buffer.getByte(ipOffset) & 0x0F) << 2;
        final int totalLength =
                buffer.getShort(ipOffset + Ipv4Packet.TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int l4Length = Math.min(ipLength, totalLength) - ihl;
        final int proto = buffer.getByte(ipOffset + Ipv4Packet.PROTOCOL_OFFSET) & 0xFF;
        if (ihl < Ipv4Packet.MIN_HEADER_LENGTH
                || l4Length < (proto == Ipv4Packet.PROTOCOL_TCP ? 20 : 8)
                || (buffer.getShort(ipOffset + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN)
                                & Ipv4Packet.FRAGMENT_BITS)
                        != 0) {
            return false;
        }
        final int at4 = ipOffset + ihl;
        if (proto == Ipv4Packet.PROTOCOL_ICMP) {
            final int type = buffer.getByte(at4) & 0xFF;
            if (type != IcmpPacket.TYPE_ECHO_REQUEST && type != IcmpPacket.TYPE_ECHO_REPLY) {
                return false;
            }
        } else if (proto != Ipv4Packet.PROTOCOL_TCP && proto != Ipv4Packet.PROTOCOL_UDP) {
            return false;
        }
        batchA[at] = ConnectionTable.tupleA(
                proto, fromNetwork, buffer.getInt(ipOffset + Ipv4Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN));
        batchB[at] = ConnectionTable.tupleB(
                buffer.getInt(ipOffset + Ipv4Packet.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN),
                sourcePort(buffer, proto, at4),
                destinationPort(buffer, proto, at4));
        return true;
    }

    /** Packets {@link #prefetch} looked up, and how many of them belonged to a connection: for tests. */
    long prefetchedTuples() {
        return prefetchedTuples;
    }

    long prefetchedFound() {
        return prefetchedFound;
    }

    /** Lookups answered from what prefetch found: for tests. */
    long prefetchedUsed() {
        return prefetchedUsed;
    }

    @Override
    public int beforeRouting(int fromNetwork, MutableDirectBuffer buffer, int ipOffset, int ipLength, long nowNanos) {
        final int verdict = classify(fromNetwork, buffer, ipOffset, ipLength, nowNanos);
        if (pendingKind != PENDING_NONE) {
            pendingFingerprint = fingerprint(buffer, ipOffset);
        }
        return verdict;
    }

    /**
     * The IPv4 header as beforeRouting left it: addresses, identification and checksum. The router
     * may drop a packet between the two calls (TTL, MTU, isolation) and calls afterRouting alone
     * for what it hands the host at the gateway address, in the same receive buffer: this tells
     * the packet beforeRouting saw from any other.
     */
    private static long fingerprint(MutableDirectBuffer buffer, int ipOffset) {
        final long addresses = buffer.getLong(ipOffset + Ipv4Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
        final long idAndChecksum = ((long) buffer.getShort(ipOffset + Ipv4Packet.ID_OFFSET) << 16)
                ^ (buffer.getShort(ipOffset + Ipv4Packet.CHECKSUM_OFFSET) & 0xFFFFL);
        return addresses * 31 + idAndChecksum;
    }

    private int classify(int fromNetwork, MutableDirectBuffer buffer, int ipOffset, int ipLength, long nowNanos) {
        table.expire(nowNanos, ctx.expirySlice());
        pendingKind = PENDING_NONE;
        pendingBuffer = buffer;
        pendingIp = ipOffset;
        final NatPolicy p = policy;
        final int parsed = parse(buffer, ipOffset, ipLength);
        if (parsed != ACCEPT) {
            return parsed == ACCEPT_UNTRACKED ? ACCEPT : parsed;
        }
        final int source = buffer.getInt(ipOffset + Ipv4Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
        final int destination = buffer.getInt(ipOffset + Ipv4Packet.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
        if (isFragment(buffer, ipOffset)) {
            if (fromNetwork == HOST_LINK && destination == p.masqueradeAddress()) {
                return drop(NatDrop.FRAGMENT);
            }
            pendingKind = PENDING_FRAGMENT;
            return ACCEPT;
        }
        if (protocol == Ipv4Packet.PROTOCOL_ICMP) {
            final int type = buffer.getByte(l4) & 0xFF;
            if (type == IcmpPacket.TYPE_DESTINATION_UNREACHABLE
                    || type == IcmpPacket.TYPE_TIME_EXCEEDED
                    || type == IcmpPacket.TYPE_PARAMETER_PROBLEM) {
                return icmpErrorBeforeRouting(fromNetwork, buffer, ipOffset, ipLength, destination, p, nowNanos);
            }
            if (type != IcmpPacket.TYPE_ECHO_REQUEST && type != IcmpPacket.TYPE_ECHO_REPLY) {
                untracked++;
                return ACCEPT;
            }
        }
        final int sourcePort = sourcePort(buffer, protocol, l4);
        final int destinationPort = destinationPort(buffer, protocol, l4);
        final long a = ConnectionTable.tupleA(protocol, fromNetwork, source);
        final long b = ConnectionTable.tupleB(destination, sourcePort, destinationPort);
        int ref = lookup(a, b);
        if (ref >= 0 && table.isExpired(ref >> 1, nowNanos)) {
            table.remove(ref >> 1);
            expired++;
            ref = -1;
        }
        if (ref >= 0) {
            final int verdict = track(ref, nowNanos);
            if (verdict != ACCEPT) {
                return verdict;
            }
            final int other = ConnectionTable.REPLY - (ref & 1);
            final int connection = ref >> 1;
            final long otherA = table.tupleA(connection, other);
            final long otherB = table.tupleB(connection, other);
            PacketRewriter.setDestination(
                    buffer, ipOffset, protocol, l4, l4Length, ConnectionTable.sourceOf(otherA), partial);
            PacketRewriter.setDestinationPort(
                    buffer, protocol, l4, l4Length, ConnectionTable.sourcePortOf(otherB), partial);
            pendingKind = PENDING_TRACKED;
            pendingRef = ref;
            translated++;
            return ACCEPT_TRACKED;
        }
        pendingA = a;
        pendingB = b;
        // A published port, reached from a network (hairpin) or from beyond the host (the host's
        // port rules send such connections down the host link): the container is the destination.
        final PublishedPorts.Rule rule = protocol == Ipv4Packet.PROTOCOL_ICMP
                ? null
                : p.published().find(protocol, destination, destinationPort, p);
        if (rule != null) {
            if (protocol == Ipv4Packet.PROTOCOL_TCP && !TcpStates.opensConnection(tcpFlags)) {
                return drop(TcpStates.validFlags(tcpFlags) ? NatDrop.TCP_NO_CONNECTION : NatDrop.TCP_BAD_FLAGS);
            }
            PacketRewriter.setDestination(buffer, ipOffset, protocol, l4, l4Length, rule.containerIp(), partial);
            PacketRewriter.setDestinationPort(buffer, protocol, l4, l4Length, rule.containerPort(), partial);
            pendingKind = PENDING_NEW_PUBLISHED;
            return ACCEPT_TRACKED;
        }
        // The host (or a client it routes) reaching a container: routed as it is, but tracked when
        // the network masquerades, so the container's answers are not taken for new connections.
        pendingKind = fromNetwork == HOST_LINK ? PENDING_INBOUND : PENDING_NEW;
        return ACCEPT;
    }

    @Override
    public int afterRouting(
            int fromNetwork, int toNetwork, MutableDirectBuffer buffer, int ipOffset, int ipLength, long nowNanos) {
        if (pendingBuffer != buffer
                || pendingIp != ipOffset
                || pendingKind == PENDING_NONE
                || pendingFingerprint != fingerprint(buffer, ipOffset)) {
            pendingKind = PENDING_NONE;
            return ACCEPT; // not the packet beforeRouting saw (one for the gateway, say): nothing to translate
        }
        final int kind = pendingKind;
        pendingKind = PENDING_NONE;
        pendingBuffer = null;
        switch (kind) {
            case PENDING_TRACKED -> {
                final int connection = pendingRef >> 1;
                final long otherB = table.tupleB(connection, ConnectionTable.REPLY - (pendingRef & 1));
                PacketRewriter.setSource(
                        buffer, ipOffset, protocol, l4, l4Length, ConnectionTable.destinationOf(otherB), partial);
                PacketRewriter.setSourcePort(
                        buffer, protocol, l4, l4Length, ConnectionTable.destinationPortOf(otherB), partial);
                return ACCEPT;
            }
            case PENDING_NEW, PENDING_NEW_PUBLISHED -> {
                return open(kind == PENDING_NEW_PUBLISHED, fromNetwork, toNetwork, buffer, ipOffset, nowNanos);
            }
            case PENDING_INBOUND -> {
                // From the gateway address (the host's own connections, published-port relays
                // included): the answers go to the gateway, which the router hands to the host past
                // this hook; tracking would see one direction only. Nor is there anything to mistake.
                final int source = buffer.getInt(ipOffset + Ipv4Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
                if (toNetwork == HOST_LINK
                        || !policy.masquerades(toNetwork)
                        || !opens(buffer)
                        || source == policy.gateway(toNetwork)) {
                    untracked++;
                    return ACCEPT;
                }
                return open(false, fromNetwork, toNetwork, buffer, ipOffset, nowNanos);
            }
            case PENDING_ICMP_ERROR -> {
                icmpErrorAfterRouting(buffer, ipOffset, ipLength);
                return ACCEPT;
            }
            case PENDING_FRAGMENT -> {
                final NatPolicy p = policy;
                if (toNetwork == HOST_LINK
                        && fromNetwork != HOST_LINK
                        && p.masquerades(fromNetwork)
                        && !p.isHostAddress(
                                buffer.getInt(ipOffset + Ipv4Packet.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN))) {
                    return drop(NatDrop.FRAGMENT); // it would need masquerading, and carries no ports to do it
                }
                return ACCEPT;
            }
            default -> {
                return ACCEPT;
            }
        }
    }

    /**
     * Says what {@link #beforeRouting} and {@link #afterRouting} would do with the packet, changing
     * nothing (no lookup statistics, no drop counted): the tracked connection it belongs to and how
     * that translates it, else the connection it would open. For traces of synthetic packets.
     */
    @Override
    public String explain(
            int fromNetwork, int toNetwork, DirectBuffer buffer, int ipOffset, int ipLength, long nowNanos) {
        if (ipLength < Ipv4Packet.MIN_HEADER_LENGTH) {
            return "too short to track";
        }
        final int ihl = (buffer.getByte(ipOffset) & 0x0F) << 2;
        final int proto = buffer.getByte(ipOffset + Ipv4Packet.PROTOCOL_OFFSET) & 0xFF;
        if (proto != Ipv4Packet.PROTOCOL_TCP && proto != Ipv4Packet.PROTOCOL_UDP && proto != Ipv4Packet.PROTOCOL_ICMP) {
            return "protocol " + proto + " is not tracked: passes untranslated";
        }
        final int minimum = proto == Ipv4Packet.PROTOCOL_TCP ? 20 : 8;
        if (ihl < Ipv4Packet.MIN_HEADER_LENGTH || ipLength < ihl + minimum) {
            return "too short to track";
        }
        final int at = ipOffset + ihl;
        final int source = buffer.getInt(ipOffset + Ipv4Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
        final int destination = buffer.getInt(ipOffset + Ipv4Packet.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
        final int sourcePort = sourcePort(buffer, proto, at);
        final int destinationPort = destinationPort(buffer, proto, at);
        final String name =
                proto == Ipv4Packet.PROTOCOL_TCP ? "tcp" : proto == Ipv4Packet.PROTOCOL_UDP ? "udp" : "icmp";
        final int ref = table.lookup(
                ConnectionTable.tupleA(proto, fromNetwork, source),
                ConnectionTable.tupleB(destination, sourcePort, destinationPort));
        if (ref >= 0 && !table.isExpired(ref >> 1, nowNanos)) {
            final int connection = ref >> 1;
            final int other = ConnectionTable.REPLY - (ref & 1);
            final long otherA = table.tupleA(connection, other);
            final long otherB = table.tupleB(connection, other);
            final long originalA = table.tupleA(connection, ConnectionTable.ORIGINAL);
            final long originalB = table.tupleB(connection, ConnectionTable.ORIGINAL);
            return "matches the tracked connection " + name + " "
                    + endpoint(ConnectionTable.sourceOf(originalA), ConnectionTable.sourcePortOf(originalB)) + " -> "
                    + endpoint(ConnectionTable.destinationOf(originalB), ConnectionTable.destinationPortOf(originalB))
                    + " (" + ((ref & 1) == ConnectionTable.ORIGINAL ? "original" : "reply") + " direction): "
                    + "translated to "
                    + endpoint(ConnectionTable.destinationOf(otherB), ConnectionTable.destinationPortOf(otherB))
                    + " -> " + endpoint(ConnectionTable.sourceOf(otherA), ConnectionTable.sourcePortOf(otherB));
        }
        final String flow = name + " " + endpoint(source, sourcePort) + " -> " + endpoint(destination, destinationPort);
        final NatPolicy p = policy;
        if (fromNetwork != HOST_LINK && proto != Ipv4Packet.PROTOCOL_ICMP) {
            final PublishedPorts.Rule rule = p.published().find(proto, destination, destinationPort, p);
            if (rule != null) {
                return "no tracked connection: would open " + flow + " to the published port, destination "
                        + "translated to " + endpoint(rule.containerIp(), rule.containerPort());
            }
        }
        if (toNetwork == UNROUTED) {
            return "no tracked connection for " + flow + " and no published port: destination unchanged";
        }
        if (toNetwork == HOST_LINK
                && fromNetwork != HOST_LINK
                && p.masquerades(fromNetwork)
                && !p.isHostAddress(destination)) {
            return "no tracked connection: would open " + flow + ", source masqueraded as "
                    + Ipv4Address.format(p.masqueradeAddress()) + " with a free port";
        }
        return "no tracked connection for " + flow + ": none to open, passes untranslated";
    }

    private static String endpoint(int address, int port) {
        return Ipv4Address.format(address) + ":" + port;
    }

    /** Creates the connection of a first packet that needs translation, and translates its source. */
    private int open(
            boolean published,
            int fromNetwork,
            int toNetwork,
            MutableDirectBuffer buffer,
            int ipOffset,
            long nowNanos) {
        final NatPolicy p = policy;
        final boolean inbound = fromNetwork == HOST_LINK;
        int sourceNat = 0;
        if (published && toNetwork == fromNetwork) {
            // Hairpin within one network: without a new source the server would answer the client
            // directly, from its own address, and the client would drop the reply. Not the gateway:
            // the router hands what is addressed to the gateway to the host, past this hook. The
            // masquerade address is off the subnet, so the answer comes back through the router.
            sourceNat = p.masqueradeAddress() != 0 ? p.masqueradeAddress() : p.gateway(toNetwork);
        } else if (!published
                && toNetwork == HOST_LINK
                && p.masquerades(fromNetwork)
                && !p.isHostAddress(buffer.getInt(ipOffset + Ipv4Packet.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN))) {
            // Not for the host itself (its gateway address, say): it answers the container directly,
            // as the kernel's MASQUERADE leaves what the host receives alone.
            sourceNat = p.masqueradeAddress();
        }
        if (!published && sourceNat == 0 && !inbound) {
            untracked++;
            return ACCEPT;
        }
        if (protocol == Ipv4Packet.PROTOCOL_TCP) {
            if (!TcpStates.validFlags(tcpFlags)) {
                return drop(NatDrop.TCP_BAD_FLAGS);
            }
            if (!TcpStates.opensConnection(tcpFlags)) {
                return drop(NatDrop.TCP_NO_CONNECTION);
            }
        } else if (protocol == Ipv4Packet.PROTOCOL_ICMP
                && (buffer.getByte(l4) & 0xFF) != IcmpPacket.TYPE_ECHO_REQUEST) {
            return drop(NatDrop.NO_CONNECTION);
        }
        final int destination = buffer.getInt(ipOffset + Ipv4Packet.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
        final long owner = inbound
                ? EndpointConnections.keyOf(ConnectionTable.tupleA(protocol, toNetwork, destination))
                : ownerOf(pendingA, 0);
        if (table.isFull()) {
            expired += table.expire(nowNanos, FULL_TABLE_SWEEP);
            if (table.isFull()) {
                return drop(NatDrop.TABLE_FULL);
            }
        }
        if (perEndpoint.count(owner) >= endpointLimit) {
            return drop(NatDrop.ENDPOINT_LIMIT);
        }
        if (!perEndpoint.canAdd(owner)) {
            return drop(NatDrop.ENDPOINT_MAP_FULL);
        }
        final int destinationPort = destinationPort(buffer, protocol, l4);
        final int originalSource = ConnectionTable.sourceOf(pendingA);
        final int originalSourcePort = ConnectionTable.sourcePortOf(pendingB);
        final int replySource = sourceNat != 0 ? sourceNat : originalSource;
        final long replyA = ConnectionTable.tupleA(protocol, toNetwork, destination);
        final int replyPort = sourceNat != 0
                ? freePort(replyA, replySource, destinationPort, originalSourcePort)
                : (table.lookup(replyA, replyTupleB(replySource, destinationPort, originalSourcePort)) < 0
                        ? originalSourcePort
                        : -1);
        if (replyPort < 0) {
            return drop(NatDrop.PORTS_EXHAUSTED);
        }
        final long replyB = replyTupleB(replySource, destinationPort, replyPort);
        int status = (published ? DESTINATION_NAT : 0) | (sourceNat != 0 ? SOURCE_NAT : 0);
        long timeout;
        if (protocol == Ipv4Packet.PROTOCOL_TCP) {
            status |= TcpStates.SYN_SENT;
            timeout = ctx.tcpTimeoutNanos(TcpStates.SYN_SENT);
        } else if (protocol == Ipv4Packet.PROTOCOL_UDP) {
            timeout = ctx.udpUnrepliedTimeoutNanos();
        } else {
            timeout = ctx.icmpTimeoutNanos();
        }
        final int connection = table.insert(pendingA, pendingB, replyA, replyB, status, nowNanos + timeout);
        perEndpoint.add(owner);
        table.countPacket(connection, ConnectionTable.ORIGINAL);
        created++;
        translated++;
        if (sourceNat != 0) {
            PacketRewriter.setSource(buffer, ipOffset, protocol, l4, l4Length, sourceNat, partial);
            PacketRewriter.setSourcePort(buffer, protocol, l4, l4Length, replyPort, partial);
        }
        return ACCEPT;
    }

    /** @return whether the packet may open a connection: a TCP SYN, any UDP datagram, an ICMP echo request */
    private boolean opens(MutableDirectBuffer buffer) {
        if (protocol == Ipv4Packet.PROTOCOL_TCP) {
            return TcpStates.validFlags(tcpFlags) && TcpStates.opensConnection(tcpFlags);
        }
        return protocol == Ipv4Packet.PROTOCOL_UDP || (buffer.getByte(l4) & 0xFF) == IcmpPacket.TYPE_ECHO_REQUEST;
    }

    private long replyTupleB(int replyDestination, int replySourcePort, int replyDestinationPort) {
        if (protocol == Ipv4Packet.PROTOCOL_ICMP) {
            // An echo's identifier stands for both ports, so the reply tuple carries it twice.
            return ConnectionTable.tupleB(replyDestination, replyDestinationPort, replyDestinationPort);
        }
        return ConnectionTable.tupleB(replyDestination, replySourcePort, replyDestinationPort);
    }

    /**
     * Picks the translated source port: the original one if its reply tuple is free (as the
     * kernel does), else the next free one of the range from a rotating cursor, trying a bounded
     * number. ICMP identifiers may use the whole 16-bit space.
     *
     * @return the port, or -1 if none of those tried was free
     */
    private int freePort(long replyA, int replyDestination, int replySourcePort, int originalPort) {
        if (table.lookup(replyA, replyTupleB(replyDestination, replySourcePort, originalPort)) < 0) {
            return originalPort;
        }
        final boolean icmp = protocol == Ipv4Packet.PROTOCOL_ICMP;
        final int low = icmp ? 0 : ctx.portRangeLow();
        final int high = icmp ? 0xFFFF : ctx.portRangeHigh();
        final int span = high - low + 1;
        final int attempts = Math.min(span, PORT_ATTEMPTS);
        int candidate = portCursor < low || portCursor > high ? low : portCursor;
        for (int i = 0; i < attempts; i++) {
            final int port = candidate;
            candidate = candidate == high ? low : candidate + 1;
            if (table.lookup(replyA, replyTupleB(replyDestination, replySourcePort, port)) < 0) {
                portCursor = candidate;
                return port;
            }
        }
        portCursor = candidate;
        return -1;
    }

    /** Advances a tracked connection for one of its packets; returns ACCEPT or a drop verdict. */
    private int track(int ref, long nowNanos) {
        final int connection = ref >> 1;
        final boolean reply = (ref & 1) == ConnectionTable.REPLY;
        int status = table.status(connection);
        long timeout;
        if (protocol == Ipv4Packet.PROTOCOL_TCP) {
            if (!TcpStates.validFlags(tcpFlags)) {
                return drop(NatDrop.TCP_BAD_FLAGS);
            }
            final int state = status & STATE_MASK;
            final int next = TcpStates.next(state, reply, tcpFlags);
            if (next == TcpStates.INVALID) {
                return drop(NatDrop.TCP_INVALID_TRANSITION);
            }
            final int now = next == TcpStates.IGNORE ? state : next;
            status = (status & ~STATE_MASK) | now;
            timeout = ctx.tcpTimeoutNanos(now);
        } else if (protocol == Ipv4Packet.PROTOCOL_UDP) {
            timeout =
                    reply || (status & SEEN_REPLY) != 0 ? ctx.udpAssuredTimeoutNanos() : ctx.udpUnrepliedTimeoutNanos();
        } else {
            timeout = ctx.icmpTimeoutNanos();
        }
        if (reply) {
            status |= SEEN_REPLY;
        }
        table.status(connection, status);
        table.deadline(connection, nowNanos + timeout);
        table.countPacket(connection, ref & 1);
        return ACCEPT;
    }

    /**
     * An ICMP error quotes the packet that caused it, as that packet was when it met the error:
     * already translated. The quoted packet is the inverse of a tuple of ours, so look that up,
     * and translate the error like a packet of the opposite direction: outer destination and
     * quoted source now, quoted destination and outer source after routing.
     */
    private int icmpErrorBeforeRouting(
            int fromNetwork,
            MutableDirectBuffer buffer,
            int ipOffset,
            int ipLength,
            int destination,
            NatPolicy p,
            long nowNanos) {
        final int end = ipOffset + ipLength;
        innerIp = l4 + IcmpPacket.HEADER_LENGTH;
        if (end - innerIp < Ipv4Packet.MIN_HEADER_LENGTH) {
            return unknownError(fromNetwork, destination, p, NatDrop.ICMP_ERROR_MALFORMED);
        }
        final int versionIhl = buffer.getByte(innerIp) & 0xFF;
        final int innerIhl = (versionIhl & 0x0F) << 2;
        if ((versionIhl >>> 4) != 4
                || innerIhl < Ipv4Packet.MIN_HEADER_LENGTH
                || end - innerIp < innerIhl + QUOTED_L4) {
            return unknownError(fromNetwork, destination, p, NatDrop.ICMP_ERROR_MALFORMED);
        }
        innerProtocol = buffer.getByte(innerIp + Ipv4Packet.PROTOCOL_OFFSET) & 0xFF;
        innerL4 = innerIp + innerIhl;
        innerL4Length = end - innerL4;
        if (innerProtocol != Ipv4Packet.PROTOCOL_TCP
                && innerProtocol != Ipv4Packet.PROTOCOL_UDP
                && innerProtocol != Ipv4Packet.PROTOCOL_ICMP) {
            return unknownError(fromNetwork, destination, p, NatDrop.ICMP_ERROR_UNKNOWN);
        }
        final int innerSource = buffer.getInt(innerIp + Ipv4Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
        final int innerDestination = buffer.getInt(innerIp + Ipv4Packet.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
        final int innerSourcePort = sourcePort(buffer, innerProtocol, innerL4);
        final int innerDestinationPort = destinationPort(buffer, innerProtocol, innerL4);
        final int ref = table.lookup(
                ConnectionTable.tupleA(innerProtocol, fromNetwork, innerDestination),
                ConnectionTable.tupleB(innerSource, innerDestinationPort, innerSourcePort));
        if (ref < 0 || table.isExpired(ref >> 1, nowNanos)) {
            return unknownError(fromNetwork, destination, p, NatDrop.ICMP_ERROR_UNKNOWN);
        }
        if (InternetChecksum.compute(buffer, l4, l4Length) != 0) {
            return drop(NatDrop.ICMP_ERROR_MALFORMED);
        }
        final int connection = ref >> 1;
        final int other = ConnectionTable.REPLY - (ref & 1);
        final long otherA = table.tupleA(connection, other);
        final long otherB = table.tupleB(connection, other);
        final int newInnerSource = ConnectionTable.sourceOf(otherA);
        if (destination == innerSource) {
            // The ICMP checksum does not cover the outer addresses: only the IPv4 header's changes.
            PacketRewriter.setDestination(buffer, ipOffset, Ipv4Packet.PROTOCOL_ICMP, l4, 0, newInnerSource, false);
        }
        PacketRewriter.setSource(buffer, innerIp, innerProtocol, innerL4, innerL4Length, newInnerSource, false);
        PacketRewriter.setSourcePort(
                buffer, innerProtocol, innerL4, innerL4Length, ConnectionTable.sourcePortOf(otherB), false);
        completeIcmpChecksum(buffer);
        pendingKind = PENDING_ICMP_ERROR;
        pendingRef = ref;
        pendingA = innerDestination; // the quoted destination before translation, for the outer source test
        translated++;
        return ACCEPT_TRACKED;
    }

    private void icmpErrorAfterRouting(MutableDirectBuffer buffer, int ipOffset, int ipLength) {
        final int connection = pendingRef >> 1;
        final long otherB = table.tupleB(connection, ConnectionTable.REPLY - (pendingRef & 1));
        final int newInnerDestination = ConnectionTable.destinationOf(otherB);
        final int source = buffer.getInt(ipOffset + Ipv4Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
        if (source == (int) pendingA) {
            // The error came from the peer itself (port unreachable, say), not from a router on the way.
            PacketRewriter.setSource(buffer, ipOffset, Ipv4Packet.PROTOCOL_ICMP, l4, 0, newInnerDestination, false);
        }
        PacketRewriter.setDestination(
                buffer, innerIp, innerProtocol, innerL4, innerL4Length, newInnerDestination, false);
        PacketRewriter.setDestinationPort(
                buffer, innerProtocol, innerL4, innerL4Length, ConnectionTable.destinationPortOf(otherB), false);
        completeIcmpChecksum(buffer);
    }

    /**
     * The quoted header changed in several places (addresses, ports, its own checksum, maybe its
     * L4 checksum); errors are rare, so the ICMP checksum, verified on the way in, is recomputed.
     */
    private void completeIcmpChecksum(MutableDirectBuffer buffer) {
        buffer.putShort(l4 + IcmpPacket.CHECKSUM_OFFSET, (short) 0);
        buffer.putShort(
                l4 + IcmpPacket.CHECKSUM_OFFSET,
                (short) InternetChecksum.compute(buffer, l4, l4Length),
                ByteOrder.BIG_ENDIAN);
    }

    /** An error about no connection of ours: dropped if it is addressed to the masquerade address. */
    private int unknownError(int fromNetwork, int destination, NatPolicy p, NatDrop reason) {
        if (fromNetwork == HOST_LINK && destination == p.masqueradeAddress() && destination != 0) {
            return drop(reason);
        }
        untracked++;
        return ACCEPT;
    }

    /**
     * Locates the L4 header and reads what tracking needs; returns ACCEPT, or DROP for a header
     * cut short. Protocols other than TCP, UDP and ICMP pass untouched.
     */
    private int parse(MutableDirectBuffer buffer, int ipOffset, int ipLength) {
        protocol = -1;
        if (ipLength < Ipv4Packet.MIN_HEADER_LENGTH) {
            return drop(NatDrop.TRUNCATED);
        }
        final int ihl = (buffer.getByte(ipOffset) & 0x0F) << 2;
        final int totalLength =
                buffer.getShort(ipOffset + Ipv4Packet.TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int length = Math.min(ipLength, totalLength);
        if (ihl < Ipv4Packet.MIN_HEADER_LENGTH || ihl > length) {
            return drop(NatDrop.TRUNCATED);
        }
        final int proto = buffer.getByte(ipOffset + Ipv4Packet.PROTOCOL_OFFSET) & 0xFF;
        if (proto != Ipv4Packet.PROTOCOL_TCP && proto != Ipv4Packet.PROTOCOL_UDP && proto != Ipv4Packet.PROTOCOL_ICMP) {
            untracked++;
            return ACCEPT_UNTRACKED;
        }
        protocol = proto;
        l4 = ipOffset + ihl;
        l4Length = length - ihl;
        if (isFragment(buffer, ipOffset)
                && (buffer.getShort(ipOffset + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN)
                                & Ipv4Packet.FRAGMENT_OFFSET_MASK)
                        != 0) {
            return ACCEPT; // a later fragment has no L4 header; the caller decides on the fragment as a whole
        }
        final int minimum = proto == Ipv4Packet.PROTOCOL_TCP ? 20 : 8;
        if (l4Length < minimum) {
            return drop(NatDrop.TRUNCATED);
        }
        tcpFlags = proto == Ipv4Packet.PROTOCOL_TCP ? buffer.getByte(l4 + 13) & 0xFF : 0;
        partial = proto != Ipv4Packet.PROTOCOL_ICMP
                && ipOffset >= VirtioNetHeader.LENGTH
                && VirtioNetHeader.needsChecksum(buffer, 0)
                && VirtioNetHeader.checksumStart(buffer, 0) + VirtioNetHeader.LENGTH == l4;
        return ACCEPT;
    }

    private static boolean isFragment(MutableDirectBuffer buffer, int ipOffset) {
        return (buffer.getShort(ipOffset + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN)
                        & Ipv4Packet.FRAGMENT_BITS)
                != 0;
    }

    private static int sourcePort(DirectBuffer buffer, int protocol, int l4) {
        return buffer.getShort(
                        l4 + (protocol == Ipv4Packet.PROTOCOL_ICMP ? IcmpPacket.IDENTIFIER_OFFSET : 0),
                        ByteOrder.BIG_ENDIAN)
                & 0xFFFF;
    }

    private static int destinationPort(DirectBuffer buffer, int protocol, int l4) {
        return buffer.getShort(
                        l4 + (protocol == Ipv4Packet.PROTOCOL_ICMP ? IcmpPacket.IDENTIFIER_OFFSET : 2),
                        ByteOrder.BIG_ENDIAN)
                & 0xFFFF;
    }

    /**
     * The endpoint a connection counts against: the container that opened it, or for one opened
     * from the host link (a published port, the host itself) the container it leads to.
     */
    private static long ownerOf(long originalA, long replyA) {
        return EndpointConnections.keyOf(ConnectionTable.networkOf(originalA) == HOST_LINK ? replyA : originalA);
    }

    /**
     * Removes every connection of an endpoint that is gone (detached): a full pass over the table,
     * on the dataplane thread, for a rare control-plane event (13-36 ms for the default 262,144
     * connections, measured unwarmed in NatEngineTest; nothing when the endpoint has none). Its
     * tuples could otherwise match the next endpoint given the address.
     *
     * @return the number removed
     */
    public int removeEndpoint(int network, int address) {
        final long owner = EndpointConnections.keyOf(ConnectionTable.tupleA(0, network, address));
        if (perEndpoint.count(owner) == 0) {
            return 0;
        }
        int removed = 0;
        for (int c = 0; c < table.capacity(); c++) {
            if (table.inUse(c)
                    && ownerOf(table.tupleA(c, ConnectionTable.ORIGINAL), table.tupleA(c, ConnectionTable.REPLY))
                            == owner) {
                table.remove(c);
                removed++;
            }
        }
        return removed;
    }

    /** Live connections counted against an endpoint. */
    public int connectionsOf(int network, int address) {
        return perEndpoint.count(EndpointConnections.keyOf(ConnectionTable.tupleA(0, network, address)));
    }

    private int drop(NatDrop reason) {
        drops[reason.ordinal()]++;
        pendingKind = PENDING_NONE;
        pendingBuffer = null;
        return DROP;
    }

    // ---- control plane views (call on the dataplane thread) -------------------------------------

    /** Expiry without traffic: a slice of the table per duty cycle, so idle connections go on time. */
    @Override
    public void housekeeping(long nowNanos) {
        expire(nowNanos, HOUSEKEEPING_SLICE);
    }

    /** Examines a slice of the table for expired connections; for a periodic call when traffic is idle. */
    public int expire(long nowNanos, int budget) {
        final int removed = table.expire(nowNanos, budget);
        expired += removed;
        return removed;
    }

    /**
     * @param network a network id, {@link #ALL_NETWORKS}; a connection belongs to the networks of both its tuples
     * @return the live connections, at most {@code limit}
     */
    public List<Connection> connections(int network, long nowNanos, int limit) {
        final List<Connection> out = new ArrayList<>();
        for (int c = 0; c < table.capacity() && out.size() < limit; c++) {
            if (!table.inUse(c) || table.isExpired(c, nowNanos)) {
                continue;
            }
            final long oa = table.tupleA(c, ConnectionTable.ORIGINAL);
            final long ra = table.tupleA(c, ConnectionTable.REPLY);
            if (network != ALL_NETWORKS
                    && ConnectionTable.networkOf(oa) != network
                    && ConnectionTable.networkOf(ra) != network) {
                continue;
            }
            out.add(Connection.of(table, c, nowNanos));
        }
        return out;
    }

    public NatCounters counters() {
        return new NatCounters(table.size(), table.capacity(), created, expired, translated, untracked, drops.clone());
    }

    /** The table, for tests and benchmarks in this package. */
    ConnectionTable table() {
        return table;
    }
}
