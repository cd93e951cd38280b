package io.jvswitch.bench.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.List;

/**
 * Where the datagrams of a UDP test were dropped, told by the kernel's own counters read around
 * the run: the transmit drops of the sending namespace's interfaces (its device queue overflowed:
 * a TAP's ring that the dataplane did not empty in time, a veth whose peer's backlog was full) and
 * the UDP receive-buffer errors of the receiving namespace (the receiving socket was full). What
 * iperf3 counts lost beyond those two was dropped in between, inside the path.
 *
 * <p>A sender that outruns the path loses most at its own interface queue: a TAP has no flow
 * control towards the sending socket (the kernel takes the frame off the socket's account and
 * drops it when the ring is full), so nothing slows the sender down.
 *
 * @param senderTxDropped transmit drops summed over the sending namespace's interfaces
 * @param receiverRcvbufErrors {@code Udp RcvbufErrors} of the receiving namespace
 */
record UdpLossCounters(long senderTxDropped, long receiverRcvbufErrors) {
    /** Keys of the per-run raw figures (JSON) that carry the two deltas. */
    static final String SENDER_QUEUE_DROPS = "senderQueueDrops";

    static final String RECEIVER_SOCKET_DROPS = "receiverSocketDrops";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Reads both counters, or returns null (the breakdown is then left out) when a tool fails. */
    static UdpLossCounters readOrNull(DataplanePath.Endpoints ends) throws InterruptedException {
        try {
            final TimedCommand.Result links =
                    TimedCommand.run(ends.clientNamespace(), 10, "ip", "-s", "-j", "link", "show");
            final TimedCommand.Result snmp = TimedCommand.run(ends.serverNamespace(), 10, "cat", "/proc/net/snmp");
            if (!links.ok() || !snmp.ok()) {
                return null;
            }
            return new UdpLossCounters(txDropped(links.output()), udpRcvbufErrors(snmp.output()));
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    UdpLossCounters minus(UdpLossCounters before) {
        return new UdpLossCounters(
                senderTxDropped - before.senderTxDropped, receiverRcvbufErrors - before.receiverRcvbufErrors);
    }

    /** The sum of {@code stats64.tx.dropped} over the interfaces in {@code ip -s -j link show} output. */
    static long txDropped(String ipLinkJson) {
        final JsonNode links;
        try {
            links = MAPPER.readTree(ipLinkJson);
        } catch (IOException e) {
            throw new IllegalArgumentException("ip -s -j link: not JSON", e);
        }
        if (links == null || !links.isArray()) {
            throw new IllegalArgumentException("ip -s -j link: not a list of interfaces");
        }
        long dropped = 0;
        for (JsonNode link : links) {
            final JsonNode value = link.path("stats64").path("tx").path("dropped");
            if (!value.canConvertToLong()) {
                throw new IllegalArgumentException("ip -s -j link: no stats64.tx.dropped for "
                        + link.path("ifname").asText("?"));
            }
            dropped += value.asLong();
        }
        return dropped;
    }

    /**
     * {@code RcvbufErrors} of the {@code Udp:} lines of {@code /proc/net/snmp}: a line of names, then
     * a line of values in the same order.
     */
    static long udpRcvbufErrors(String procNetSnmp) {
        final List<String> udp =
                procNetSnmp.lines().filter(l -> l.startsWith("Udp:")).toList();
        if (udp.size() != 2) {
            throw new IllegalArgumentException("/proc/net/snmp: expected two Udp: lines, found " + udp.size());
        }
        final String[] names = udp.get(0).trim().split("\\s+");
        final String[] values = udp.get(1).trim().split("\\s+");
        for (int i = 1; i < names.length && i < values.length; i++) {
            if (names[i].equals("RcvbufErrors")) {
                try {
                    return Long.parseLong(values[i]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("/proc/net/snmp: RcvbufErrors is not a number: " + values[i]);
                }
            }
        }
        throw new IllegalArgumentException("/proc/net/snmp: no Udp RcvbufErrors");
    }
}
