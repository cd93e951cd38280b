package io.jvswitch.nat;

import static io.jvswitch.nat.SlotNote.detailOf;
import static io.jvswitch.nat.SlotNote.done;
import static io.jvswitch.nat.SlotNote.kindOf;
import static io.jvswitch.nat.SlotNote.pending;

import io.jvswitch.packet.IcmpPacket;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.L4View;
import io.jvswitch.switching.service.ConnectionSlot;
import io.jvswitch.switching.service.RoutingHook;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

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
 * <p>This class is the hook's façade: it reads the packet once ({@link L4View}), decides which
 * case it is, and hands the work to its parts: the {@link ConnectionTracker} (with its
 * {@link PortAllocator} and {@link ConnectionPrefetcher}), the {@link IcmpErrorTranslator} and,
 * for traces, the {@link NatExplainer}. What {@link #beforeRouting} owes {@link #afterRouting} (the
 * case, the connection) travels with the packet in the switch's {@link ConnectionSlot}, one long.
 *
 * <p>Runs on the dataplane thread only; allocates nothing per packet. The policy comes from the
 * control plane through a volatile field.
 */
public final class NatEngine implements RoutingHook {
    public static final int ALL_NETWORKS = Integer.MIN_VALUE;

    /**
     * Connections examined per duty cycle by {@link #housekeeping}: a sequential read of 16 KiB, about
     * a microsecond. The default table (262,144) is swept every 1024 cycles: about 10 s for a dataplane
     * idling at 100 wake-ups a second, sooner under traffic.
     */
    static final int HOUSEKEEPING_SLICE = 256;

    // What beforeRouting leaves the packet's afterRouting, in the switch's slot (ConnectionSlot):
    // the case in the top bits, what that case needs below. Nothing else survives between the calls.
    private static final int PENDING_NONE = SlotNote.NONE;
    private static final int PENDING_TRACKED = 1; // the connection's table reference
    private static final int PENDING_NEW = 2;
    private static final int PENDING_NEW_PUBLISHED = 3; // the published address and port it came to
    private static final int PENDING_ICMP_ERROR = 4; // the connection's table reference
    private static final int PENDING_FRAGMENT = 5;
    private static final int PENDING_INBOUND = 6;
    private static final int PORT_BITS = 16;

    private final NatTally tally = new NatTally();
    private final NatHookSteps steps =
            new NatHookSteps(tally, PENDING_TRACKED, PENDING_NEW_PUBLISHED, PENDING_ICMP_ERROR);
    private final ConnectionTracker tracker;
    private final IcmpErrorTranslator icmpErrors;
    private final NatExplainer explainer;
    private final Ipv6NatEngine ipv6;
    private volatile NatPolicy policy = NatPolicy.empty();

    // The packet in hand, read once in each call.
    private final L4View packet = new L4View();
    private boolean partial;

    public NatEngine(NatContext ctx) {
        ctx.requireConcluded();
        this.tracker = new ConnectionTracker(ctx, tally);
        this.icmpErrors = new IcmpErrorTranslator(tracker.table(), tally);
        this.explainer = new NatExplainer(tracker.table());
        this.ipv6 = new Ipv6NatEngine(ctx, tally);
    }

    /** The IPv6 translator, with its own table and the same limits and counters ({@link Ipv6NatEngine}). */
    @Override
    public Ipv6NatEngine ipv6() {
        return ipv6;
    }

    /** Installs a new IPv6 policy; from any thread. Existing connections keep their translation. */
    public void ipv6Policy(Ipv6NatPolicy policy) {
        ipv6.policy(policy);
    }

    /** Installs a new policy; from any thread. Existing connections keep their translation. */
    public void policy(NatPolicy policy) {
        this.policy = policy;
    }

    public NatPolicy policy() {
        return policy;
    }

    /**
     * Looks up the connections of a receive batch together ({@link ConnectionPrefetcher}); {@link
     * #beforeRouting} then takes each packet's answer from there. Changes no connection, no
     * verdict's counter.
     */
    @Override
    public void prefetch(int fromNetwork, DirectBuffer[] buffers, int ipOffset, int[] ipLengths, int count) {
        tracker.prefetcher().prefetch(fromNetwork, buffers, ipOffset, ipLengths, count);
    }

    /** Packets {@link #prefetch} looked up, and how many of them belonged to a connection: for tests. */
    long prefetchedTuples() {
        return tally.get(NatCounter.PREFETCHED);
    }

    long prefetchedFound() {
        return tally.get(NatCounter.PREFETCH_FOUND);
    }

    /** Lookups answered from what prefetch found: for tests. */
    long prefetchedUsed() {
        return tally.get(NatCounter.PREFETCH_USED);
    }

    @Override
    public int beforeRouting(
            int fromNetwork,
            MutableDirectBuffer buffer,
            int ipOffset,
            int ipLength,
            long nowNanos,
            ConnectionSlot slot) {
        tracker.expireSlice(nowNanos);
        return steps.leave(classify(fromNetwork, buffer, ipOffset, ipLength, nowNanos), slot);
    }

    /**
     * Sorts the packet into its case and translates its destination if it has one.
     *
     * @return what afterRouting owes it ({@link #pending}), or the verdict if nothing ({@link #done})
     */
    private long classify(int fromNetwork, MutableDirectBuffer buffer, int ipOffset, int ipLength, long nowNanos) {
        if (!packet.wrap(buffer, ipOffset, ipLength)) {
            return steps.truncated();
        }
        final int protocol = packet.protocol();
        if (protocol != Ipv4Packet.PROTOCOL_TCP
                && protocol != Ipv4Packet.PROTOCOL_UDP
                && protocol != Ipv4Packet.PROTOCOL_ICMP) {
            return steps.untracked();
        }
        final NatPolicy p = policy;
        // A later fragment has no L4 header; the fragment is decided on as a whole.
        if (!packet.isLaterFragment() && !packet.headerComplete()) {
            return steps.truncated();
        }
        final int destination = packet.destination();
        if (packet.isFragment()) {
            if (fromNetwork == HOST_LINK && destination == p.masqueradeAddress()) {
                return done(tally.drop(NatDrop.FRAGMENT));
            }
            return pending(PENDING_FRAGMENT, 0);
        }
        partial = packet.partialChecksum(NatHookSteps.VIRTIO_HEADER);
        if (protocol == Ipv4Packet.PROTOCOL_ICMP) {
            final int type = packet.icmpType();
            if (IcmpErrorTranslator.isError(type)) {
                final int verdict = icmpErrors.beforeRouting(fromNetwork, buffer, packet, ipLength, p, nowNanos);
                return verdict == ACCEPT_TRACKED ? pending(PENDING_ICMP_ERROR, icmpErrors.translated()) : done(verdict);
            }
            if (type != IcmpPacket.TYPE_ECHO_REQUEST && type != IcmpPacket.TYPE_ECHO_REPLY) {
                return steps.untracked();
            }
        }
        final int destinationPort = packet.destinationPort();
        final int ref = tracker.find(
                ConnectionTable.tupleA(protocol, fromNetwork, packet.source()),
                ConnectionTable.tupleB(destination, packet.sourcePort(), destinationPort),
                nowNanos);
        if (ref >= 0) {
            final int verdict = tracker.track(ref, packet, nowNanos);
            if (verdict != ACCEPT) {
                return done(verdict);
            }
            tracker.translateDestination(ref, buffer, packet, partial);
            tally.count(NatCounter.TRANSLATED);
            return pending(PENDING_TRACKED, ref);
        }
        // A published port, reached from a network (hairpin) or from beyond the host (the host's
        // port rules send such connections down the host link): the container is the destination.
        final PublishedPorts.Rule rule = protocol == Ipv4Packet.PROTOCOL_ICMP
                ? null
                : p.published().find(protocol, destination, destinationPort, p);
        if (rule != null) {
            final long refused = steps.refuseUnopened(protocol == Ipv4Packet.PROTOCOL_TCP, packet.tcpFlags());
            if (refused < 0) {
                return refused;
            }
            PacketRewriter.setDestination(buffer, packet, rule.containerIp(), partial);
            PacketRewriter.setDestinationPort(buffer, packet, rule.containerPort(), partial);
            return pending(PENDING_NEW_PUBLISHED, cameTo(destination, destinationPort));
        }
        // The host (or a client it routes) reaching a container: routed as it is, but tracked when
        // the network masquerades, so the container's answers are not taken for new connections.
        return pending(fromNetwork == HOST_LINK ? PENDING_INBOUND : PENDING_NEW, 0);
    }

    @Override
    public int afterRouting(
            int fromNetwork,
            int toNetwork,
            MutableDirectBuffer buffer,
            int ipOffset,
            int ipLength,
            long nowNanos,
            ConnectionSlot slot) {
        final long pending = NatHookSteps.take(slot);
        final int kind = kindOf(pending);
        if (kind == PENDING_NONE || !packet.wrap(buffer, ipOffset, ipLength)) {
            return ACCEPT; // nothing owed (untracked, or a packet beforeRouting never saw)
        }
        final long detail = detailOf(pending);
        partial = packet.partialChecksum(NatHookSteps.VIRTIO_HEADER);
        return switch (kind) {
            case PENDING_TRACKED -> {
                tracker.translateSource((int) detail, buffer, packet, partial);
                yield ACCEPT;
            }
            case PENDING_NEW -> open(false, fromNetwork, toNetwork, buffer, cameTo(), nowNanos);
            case PENDING_NEW_PUBLISHED -> open(true, fromNetwork, toNetwork, buffer, detail, nowNanos);
            case PENDING_INBOUND -> inbound(fromNetwork, toNetwork, buffer, nowNanos);
            case PENDING_ICMP_ERROR -> {
                icmpErrors.afterRouting(buffer, packet, ipLength, (int) detail);
                yield ACCEPT;
            }
            case PENDING_FRAGMENT -> fragment(fromNetwork, toNetwork);
            default -> ACCEPT;
        };
    }

    /**
     * From the host link to a network. From the gateway address (the host's own connections,
     * published-port relays included) the answers go to the gateway, which the router hands to
     * the host past this hook; tracking would see one direction only. Nor is there anything to
     * mistake.
     */
    private int inbound(int fromNetwork, int toNetwork, MutableDirectBuffer buffer, long nowNanos) {
        if (toNetwork == HOST_LINK
                || !policy.masquerades(toNetwork)
                || !ConnectionTracker.opens(packet)
                || packet.source() == policy.gateway(toNetwork)) {
            return steps.passUntracked();
        }
        return open(false, fromNetwork, toNetwork, buffer, cameTo(), nowNanos);
    }

    /** A first fragment or a later one: it carries no ports to masquerade it with, so one that needs it is dropped. */
    private int fragment(int fromNetwork, int toNetwork) {
        final NatPolicy p = policy;
        if (toNetwork == HOST_LINK
                && fromNetwork != HOST_LINK
                && p.masquerades(fromNetwork)
                && !p.isHostAddress(packet.destination())) {
            return tally.drop(NatDrop.FRAGMENT);
        }
        return ACCEPT;
    }

    /** Where the packet in hand is addressed: its destination address and port, as one long. */
    private long cameTo() {
        return cameTo(packet.destination(), packet.destinationPort());
    }

    private static long cameTo(int address, int port) {
        return ((address & 0xFFFFFFFFL) << PORT_BITS) | port;
    }

    /**
     * Decides the source translation of a first packet, and opens its connection if it needs one.
     *
     * @param cameTo the destination the packet had as it came ({@link #cameTo}), before a published
     *     port's translation
     */
    private int open(
            boolean published, int fromNetwork, int toNetwork, MutableDirectBuffer buffer, long cameTo, long nowNanos) {
        final NatPolicy p = policy;
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
                && !p.isHostAddress(packet.destination())) {
            // Not for the host itself (its gateway address, say): it answers the container directly,
            // as the kernel's MASQUERADE leaves what the host receives alone.
            sourceNat = p.masqueradeAddress();
        }
        if (!published && sourceNat == 0 && fromNetwork != HOST_LINK) {
            return steps.passUntracked();
        }
        final long a = ConnectionTable.tupleA(packet.protocol(), fromNetwork, packet.source());
        final long b = ConnectionTable.tupleB(
                (int) (cameTo >>> PORT_BITS), packet.sourcePort(), (int) (cameTo & ((1 << PORT_BITS) - 1)));
        return tracker.open(a, b, published, sourceNat, fromNetwork, toNetwork, buffer, packet, partial, nowNanos);
    }

    /** Says what {@link #beforeRouting} and {@link #afterRouting} would do with the packet, changing nothing. */
    @Override
    public String explain(
            int fromNetwork, int toNetwork, DirectBuffer buffer, int ipOffset, int ipLength, long nowNanos) {
        return explainer.explain(policy, fromNetwork, toNetwork, buffer, ipOffset, ipLength, nowNanos);
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
        return tracker.removeEndpoint(network, address);
    }

    /** As {@link #removeEndpoint(int, int)} for an endpoint's IPv6 address. */
    public int removeEndpoint(int network, long addressHigh, long addressLow) {
        return ipv6.removeEndpoint(network, addressHigh, addressLow);
    }

    /** Live connections counted against an endpoint. */
    public int connectionsOf(int network, int address) {
        return tracker.connectionsOf(network, address);
    }

    // ---- control plane views (call on the dataplane thread) -------------------------------------

    /** Expiry without traffic: a slice of the table per duty cycle, so idle connections go on time. */
    @Override
    public void housekeeping(long nowNanos) {
        expire(nowNanos, HOUSEKEEPING_SLICE);
    }

    /** Examines a slice of the table for expired connections; for a periodic call when traffic is idle. */
    public int expire(long nowNanos, int budget) {
        return tracker.expire(nowNanos, budget) + ipv6.expire(nowNanos, budget);
    }

    /**
     * @param network a network id, {@link #ALL_NETWORKS}; a connection belongs to the networks of both its tuples
     * @return the live connections, at most {@code limit}
     */
    public List<Connection> connections(int network, long nowNanos, int limit) {
        final List<Connection> out = tracker.connections(network, nowNanos, limit);
        ipv6.connections(network, nowNanos, limit, out);
        return out;
    }

    public NatCounters counters() {
        final ConnectionTable table = tracker.table();
        // Both families' connections against one table's limit: each family has a table of that size.
        return tally.snapshot(table.size() + ipv6.table().size(), table.capacity());
    }

    /** The table, for tests and benchmarks in this package. */
    ConnectionTable table() {
        return tracker.table();
    }
}
