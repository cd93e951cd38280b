package io.jvswitch.switching.service;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Where address translation plugs into the switch's IPv4 router. The router calls it for every
 * routed packet (not for traffic switched inside one network, nor for packets the switch answers
 * itself), before and after its route lookup; the hook may rewrite the packet's addresses and
 * ports in place, and must keep its checksums right.
 *
 * <p>Called on the dataplane thread: no blocking, no allocation per packet, no exceptions (a
 * packet it refuses is counted there and answered {@link #DROP}).
 */
public interface RoutingHook {
    /** Pseudo network id of the host link (the packet came from, or goes to, the host). */
    int HOST_LINK = -1;
    /** {@link #explain}'s {@code toNetwork} before the route lookup: not known yet. */
    int UNROUTED = -2;

    /** Route the packet as it now is. */
    int ACCEPT = 0;
    /**
     * Route the packet as it now is, also across networks: it belongs to a flow the hook tracks and
     * translated (a published port reached from another network, or the reply of such a flow).
     */
    int ACCEPT_TRACKED = 1;
    /** Drop the packet; the hook counted why. */
    int DROP = 2;

    /**
     * The most packets one {@link #prefetch} call carries: enough independent table loads to overlap,
     * few frame buffers (64 KiB each) for the switch to hold.
     */
    int PREFETCH_BURST = 16;

    /**
     * Before the route lookup: may rewrite the destination (published ports, the replies of
     * masqueraded flows).
     *
     * @param fromNetwork the network the packet came from, or {@link #HOST_LINK}
     * @param ipOffset where the IPv4 header starts in {@code buffer}
     * @param ipLength bytes from {@code ipOffset} to the end of the packet
     * @param slot empty as the packet comes in; what the hook writes there comes back to its
     *     {@link #afterRouting} call for this packet, if the router does not drop it first
     */
    int beforeRouting(
            int fromNetwork,
            MutableDirectBuffer buffer,
            int ipOffset,
            int ipLength,
            long nowNanos,
            ConnectionSlot slot);

    /**
     * After the route lookup, before the packet leaves: may rewrite the source (masquerade, the
     * replies of published ports).
     *
     * @param toNetwork the network the packet goes to, or {@link #HOST_LINK}
     * @param slot what {@link #beforeRouting} noted about this packet
     */
    int afterRouting(
            int fromNetwork,
            int toNetwork,
            MutableDirectBuffer buffer,
            int ipOffset,
            int ipLength,
            long nowNanos,
            ConnectionSlot slot);

    /**
     * For a trace of a synthetic packet: says, changing nothing, what this hook would do with it:
     * the tracked connection it belongs to and its translation, or the one it would create. Called
     * off the packet path (only for traces); may allocate.
     *
     * @param toNetwork the network the packet goes to, {@link #HOST_LINK}, or {@link #UNROUTED}
     *     before the route lookup
     */
    default String explain(
            int fromNetwork, int toNetwork, DirectBuffer buffer, int ipOffset, int ipLength, long nowNanos) {
        return "a routing hook is installed (it does not explain itself)";
    }

    /**
     * A hint, before the packets of one receive batch are routed one by one: the hook may start
     * loading the state those packets will need. A table larger than the caches costs a miss or
     * two per packet, and one packet at a time leaves the core waiting on each in turn; loads for
     * a whole batch issued together overlap. Must change nothing a verdict depends on: every
     * packet still comes through {@link #beforeRouting} and {@link #afterRouting} (or not at all,
     * if the router drops it first), and gets the verdict it would have got without this call.
     * Must tolerate malformed packets (read within {@code ipLengths} only, never throw).
     *
     * <p>With a hook installed the switch reads a port's frames in bursts of {@link #PREFETCH_BURST} and calls this
     * with those the router will see (untagged IPv4 to the router's MAC), before processing them.
     *
     * @param fromNetwork the network all the packets came from, or {@link #HOST_LINK}
     * @param buffers one frame each, laid out as the switch holds it (virtio-net header at 0)
     * @param ipOffset where the IPv4 header starts in each (the router routes untagged frames only)
     * @param ipLengths bytes from {@code ipOffset} to the end of each packet
     * @param count how many of {@code buffers} hold a packet
     */
    default void prefetch(int fromNetwork, DirectBuffer[] buffers, int ipOffset, int[] ipLengths, int count) {}

    /**
     * The hook of the IPv6 router, or null when this hook translates IPv4 only. The IPv6 router calls
     * its {@link #beforeRouting} and {@link #afterRouting} as the IPv4 router calls these (with
     * {@code ipOffset} at the IPv6 header, the same verdicts and the same slot), for every packet it
     * routes; never its {@link #prefetch} or {@link #housekeeping}: this hook's housekeeping covers both.
     */
    default RoutingHook ipv6() {
        return null;
    }

    /**
     * Housekeeping, once per duty cycle of the dataplane, traffic or not (so state kept for idle
     * flows still expires): must do a small bounded amount of work.
     */
    default void housekeeping(long nowNanos) {}
}
