package io.jvswitch.switching;

import static io.jvswitch.switching.Ipv4HeaderWriter.ETH;
import static io.jvswitch.switching.Ipv4HeaderWriter.L3;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.switching.capture.CapturePoint;
import io.jvswitch.switching.service.RoutingHook;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * The router's address-translation stage: the {@link RoutingHook}'s calls before and after the
 * route lookup, with the captures around them, the drops it asks for, and the trace of what it
 * changed. Without a hook every packet is accepted unchanged.
 */
final class Ipv4Translation {
    private final FrameContext frame;
    private final Egress egress;
    private RoutingHook hook;

    Ipv4Translation(FrameContext frame, Egress egress) {
        this.frame = frame;
        this.egress = egress;
    }

    void hook(RoutingHook hook) {
        this.hook = hook;
    }

    boolean hasHook() {
        return hook != null;
    }

    /** The hook's own bounded housekeeping, once per duty cycle. */
    void housekeeping(long nowNanos) {
        if (hook != null) {
            hook.housekeeping(nowNanos);
        }
    }

    /**
     * Before a receive batch from one port is processed frame by frame: shows the hook the frames
     * that will reach it (untagged IPv4 to {@code routerSide}, the router's MAC on that side), so it
     * can load their state together ({@link RoutingHook#prefetch}). Changes nothing; {@code routed}
     * and {@code ipLengths} are scratch of at least {@code count} entries.
     */
    void prefetch(
            int network,
            long routerSide,
            DirectBuffer[] frames,
            int[] lengths,
            int count,
            DirectBuffer[] routed,
            int[] ipLengths) {
        int n = 0;
        for (int i = 0; i < count; i++) {
            final DirectBuffer candidate = frames[i];
            if (lengths[i] >= L3 + Ipv4Packet.MIN_HEADER_LENGTH
                    && MacAddress.read(candidate, ETH + EthernetFrame.DESTINATION_OFFSET) == routerSide
                    && (candidate.getShort(ETH + EthernetFrame.ETHERTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF)
                            == EthernetFrame.ETHERTYPE_IPV4) {
                routed[n] = candidate;
                ipLengths[n++] = lengths[i] - L3;
            }
        }
        if (n > 0) {
            hook.prefetch(network, routed, L3, ipLengths, n);
        }
    }

    /**
     * Lets the hook see (and maybe rewrite) the frame in hand before the route lookup; a packet it
     * refuses is dropped and counted here. A synthetic (traced) packet is only explained to it.
     */
    int beforeRouting(int fromNetwork, MutableDirectBuffer buffer, int length) {
        egress.capture(CapturePoint.PRE_NAT, frame.ingress, buffer, length);
        if (hook == null) {
            return RoutingHook.ACCEPT;
        }
        if (frame.dryRun) {
            if (frame.tracing()) {
                frame.note("nat", hook.explain(fromNetwork, RoutingHook.UNROUTED, buffer, L3, length - L3, frame.now));
            }
            return RoutingHook.ACCEPT;
        }
        final long beforeAddresses = frame.tracing() ? addresses() : 0;
        final long beforePorts = frame.tracing() ? ports(buffer) : 0;
        final int verdict = hook.beforeRouting(fromNetwork, buffer, L3, length - L3, frame.now, frame.connection);
        if (verdict == RoutingHook.DROP) {
            egress.drop(frame.ingress, frame.in, DropReason.TRANSLATION_REFUSED, buffer, length);
        } else {
            recordTranslation(TraceEvent.NAT_PRE_ROUTE, beforeAddresses, beforePorts, buffer, verdict);
        }
        return verdict;
    }

    /** In a dry run: what the hook would do to the packet routed from one network to another. */
    void explainAfterRouting(int fromNetwork, int toNetwork, MutableDirectBuffer buffer, int length) {
        if (hook != null && frame.tracing()) {
            frame.note("nat", hook.explain(fromNetwork, toNetwork, buffer, L3, length - L3, frame.now));
        }
    }

    /**
     * Lets the hook translate the routed packet; returns false when it refused (the drop is counted
     * here). Captures the packet as it leaves translation.
     */
    boolean afterRouting(int fromNetwork, int toNetwork, MutableDirectBuffer buffer, int length) {
        if (hook != null) {
            final long beforeAddresses = frame.tracing() ? addresses() : 0;
            final long beforePorts = frame.tracing() ? ports(buffer) : 0;
            final int verdict =
                    hook.afterRouting(fromNetwork, toNetwork, buffer, L3, length - L3, frame.now, frame.connection);
            if (verdict == RoutingHook.DROP) {
                egress.drop(frame.ingress, frame.in, DropReason.TRANSLATION_REFUSED, buffer, length);
                return false;
            }
            recordTranslation(TraceEvent.NAT_POST_ROUTE, beforeAddresses, beforePorts, buffer, verdict);
        }
        egress.capture(CapturePoint.POST_NAT, frame.ingress, buffer, length);
        return true;
    }

    /** The trace's record of what the hook did to the packet's addresses and ports, when traced. */
    private void recordTranslation(
            TraceEvent event, long beforeAddresses, long beforePorts, DirectBuffer buffer, int verdict) {
        if (frame.tracing()) {
            frame.record(
                    event,
                    beforeAddresses,
                    beforePorts,
                    addresses(),
                    ports(buffer) | (verdict == RoutingHook.ACCEPT_TRACKED ? TraceFlow.TRACKED : 0));
        }
    }

    /** The IPv4 packet's source and destination as one long ({@link TraceFlow}). */
    private long addresses() {
        return TraceFlow.addresses(frame.ipv4.source(), frame.ipv4.destination());
    }

    /** Its TCP or UDP ports as one long, or none for other protocols and fragments ({@link TraceFlow}). */
    private long ports(DirectBuffer buffer) {
        final Ipv4Packet ip = frame.ipv4;
        final boolean ports = (ip.protocol() == Ipv4Packet.PROTOCOL_TCP || ip.protocol() == Ipv4Packet.PROTOCOL_UDP)
                && !ip.isFragment();
        return ports
                ? TraceFlow.ports(frame.ipv4SourcePort(buffer), frame.ipv4DestinationPort(buffer))
                : TraceFlow.NO_PORTS;
    }
}
