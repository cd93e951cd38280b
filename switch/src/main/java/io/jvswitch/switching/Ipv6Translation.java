package io.jvswitch.switching;

import static io.jvswitch.switching.Ipv6Router.L3;

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
        final int verdict =
                hook.beforeRouting(fromNetwork, buffer, L3, packetLength(ip, length), frame.now, frame.connection);
        if (verdict == RoutingHook.DROP) {
            egress.drop(frame.ingress, frame.in, DropReason.TRANSLATION_REFUSED, buffer, length);
        } else if (verdict == RoutingHook.ACCEPT_TRACKED) {
            frame.record(TraceEvent.NAT6_TRACKED, 0);
        }
        return verdict;
    }

    /** Lets the hook translate the routed packet; false when it refused (the drop is counted here). */
    boolean afterRouting(int fromNetwork, int toNetwork, Ipv6Packet ip, MutableDirectBuffer buffer, int length) {
        if (hook != null && !frame.dryRun) {
            final int verdict = hook.afterRouting(
                    fromNetwork, toNetwork, buffer, L3, packetLength(ip, length), frame.now, frame.connection);
            if (verdict == RoutingHook.DROP) {
                egress.drop(frame.ingress, frame.in, DropReason.TRANSLATION_REFUSED, buffer, length);
                return false;
            }
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

    /**
     * The packet without what trails it in the frame (Ethernet padding; the router checked it fits),
     * or the whole frame's for a jumbogram (payload length 0).
     */
    private static int packetLength(Ipv6Packet ip, int length) {
        return ip.payloadLength() == 0 ? length - L3 : Ipv6Packet.HEADER_LENGTH + ip.payloadLength();
    }
}
