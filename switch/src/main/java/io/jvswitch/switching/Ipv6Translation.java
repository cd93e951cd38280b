package io.jvswitch.switching;

import static io.jvswitch.switching.Ipv6Router.L3;

import io.jvswitch.packet.Ipv6L4View;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.switching.capture.CapturePoint;
import io.jvswitch.switching.service.RoutingHook;
import org.agrona.MutableDirectBuffer;

/**
 * The IPv6 router's address-translation stage, as {@link Ipv4Translation} is the IPv4 router's:
 * the {@link RoutingHook#ipv6} hook's calls before and after the route lookup, with the captures
 * around them and the drops it asks for. Without a hook every packet is accepted unchanged. A
 * synthetic (traced) packet is never shown to the hook, which would change its state: the hook
 * only explains what it would do, as a step of the trace.
 */
final class Ipv6Translation {
    private final FrameContext frame;
    private final Egress egress;
    private RoutingHook hook;

    // A traced frame's flow before the hook's call (only while tracing).
    private final Ipv6L4View traced = new Ipv6L4View();
    private long sourceHigh;
    private long sourceLow;
    private long destinationHigh;
    private long destinationLow;
    private int sourcePort;
    private int destinationPort;

    Ipv6Translation(FrameContext frame, Egress egress) {
        this.frame = frame;
        this.egress = egress;
    }

    void hook(RoutingHook hook) {
        this.hook = hook;
    }

    /**
     * Lets the hook see (and maybe rewrite) the packet, header in {@code ip}, before the route
     * lookup; one it refuses is dropped and counted here.
     */
    int beforeRouting(int fromNetwork, Ipv6Packet ip, MutableDirectBuffer buffer, int length) {
        egress.capture(CapturePoint.PRE_NAT, frame.ingress, buffer, length);
        if (hook == null) {
            return RoutingHook.ACCEPT;
        }
        if (frame.dryRun) {
            explain(fromNetwork, RoutingHook.UNROUTED, ip, buffer, length);
            return RoutingHook.ACCEPT;
        }
        rememberFlow(ip, buffer, length);
        final int verdict =
                hook.beforeRouting(fromNetwork, buffer, L3, packetLength(ip, length), frame.now, frame.connection);
        if (verdict == RoutingHook.DROP) {
            egress.drop(frame.ingress, frame.in, DropReason.TRANSLATION_REFUSED, buffer, length);
        } else {
            recordTranslation(TraceEvent.NAT6_PRE_ROUTE, ip, buffer, length, verdict);
        }
        return verdict;
    }

    /** Lets the hook translate the routed packet; false when it refused (the drop is counted here). */
    boolean afterRouting(int fromNetwork, int toNetwork, Ipv6Packet ip, MutableDirectBuffer buffer, int length) {
        if (hook != null && !frame.dryRun) {
            rememberFlow(ip, buffer, length);
            final int verdict = hook.afterRouting(
                    fromNetwork, toNetwork, buffer, L3, packetLength(ip, length), frame.now, frame.connection);
            if (verdict == RoutingHook.DROP) {
                egress.drop(frame.ingress, frame.in, DropReason.TRANSLATION_REFUSED, buffer, length);
                return false;
            }
            recordTranslation(TraceEvent.NAT6_POST_ROUTE, ip, buffer, length, verdict);
        }
        egress.capture(CapturePoint.POST_NAT, frame.ingress, buffer, length);
        return true;
    }

    /** In a dry run: what the hook would do to the packet routed from one network to another. */
    void explainAfterRouting(int fromNetwork, int toNetwork, Ipv6Packet ip, MutableDirectBuffer buffer, int length) {
        if (hook != null) {
            explain(fromNetwork, toNetwork, ip, buffer, length);
        }
    }

    /** In a dry run: what the hook would do with the packet, as a step of the trace. */
    private void explain(int fromNetwork, int toNetwork, Ipv6Packet ip, MutableDirectBuffer buffer, int length) {
        if (frame.tracing()) {
            frame.note("nat", hook.explain(fromNetwork, toNetwork, buffer, L3, packetLength(ip, length), frame.now));
        }
    }

    /** For a traced frame: its flow before the hook's call, to tell what the call changed. */
    private void rememberFlow(Ipv6Packet ip, MutableDirectBuffer buffer, int length) {
        if (frame.tracing()) {
            sourceHigh = ip.sourceHigh();
            sourceLow = ip.sourceLow();
            destinationHigh = ip.destinationHigh();
            destinationLow = ip.destinationLow();
            sourcePort = port(buffer, ip, length, true);
            destinationPort = port(buffer, ip, length, false);
        }
    }

    /** For a traced frame: what the hook's call changed, a record per side, or that it changed nothing. */
    private void recordTranslation(
            TraceEvent event, Ipv6Packet ip, MutableDirectBuffer buffer, int length, int verdict) {
        if (!frame.tracing()) {
            return;
        }
        final boolean tracked = verdict == RoutingHook.ACCEPT_TRACKED;
        final int newSourcePort = port(buffer, ip, length, true);
        final int newDestinationPort = port(buffer, ip, length, false);
        final boolean source =
                ip.sourceHigh() != sourceHigh || ip.sourceLow() != sourceLow || newSourcePort != sourcePort;
        final boolean destination = ip.destinationHigh() != destinationHigh
                || ip.destinationLow() != destinationLow
                || newDestinationPort != destinationPort;
        if (source) {
            frame.record(
                    event,
                    sourceHigh,
                    sourceLow,
                    ip.sourceHigh(),
                    ip.sourceLow(),
                    TraceFlow6.detail(TraceFlow6.SOURCE, sourcePort, newSourcePort, tracked));
        }
        if (destination) {
            frame.record(
                    event,
                    destinationHigh,
                    destinationLow,
                    ip.destinationHigh(),
                    ip.destinationLow(),
                    TraceFlow6.detail(TraceFlow6.DESTINATION, destinationPort, newDestinationPort, tracked));
        }
        if (!source && !destination) {
            frame.record(
                    event,
                    sourceHigh,
                    sourceLow,
                    destinationHigh,
                    destinationLow,
                    TraceFlow6.detail(TraceFlow6.UNCHANGED, sourcePort, destinationPort, tracked));
        }
    }

    /** The TCP or UDP port of one side, or {@link TraceFlow6#NO_PORT}. */
    private int port(MutableDirectBuffer buffer, Ipv6Packet ip, int length, boolean source) {
        if (!traced.wrap(buffer, L3, packetLength(ip, length))
                || (traced.protocol() != Ipv6Packet.NEXT_HEADER_TCP && traced.protocol() != Ipv6Packet.NEXT_HEADER_UDP)
                || !traced.headerComplete()) {
            return TraceFlow6.NO_PORT;
        }
        return source ? traced.sourcePort() : traced.destinationPort();
    }

    /**
     * The packet without what trails it in the frame (Ethernet padding; the router checked it fits),
     * or the whole frame's for a jumbogram (payload length 0).
     */
    private static int packetLength(Ipv6Packet ip, int length) {
        return ip.payloadLength() == 0 ? length - L3 : Ipv6Packet.HEADER_LENGTH + ip.payloadLength();
    }
}
