package io.jvswitch.switching;

import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.UdpPacket;
import io.jvswitch.switching.capture.PacketTrace;
import io.jvswitch.switching.service.ConnectionSlot;
import org.agrona.DirectBuffer;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * What every stage knows about the frame in hand, set where the frame enters the pipeline and read
 * by each stage after it, instead of each stage reaching into another's fields (OVS keeps the same
 * facts in a packet's metadata: {@code struct dp_packet}'s {@code l3_ofs}, {@code l4_ofs}).
 *
 * <p>One per agent, reused for every frame: nothing is allocated per packet. Written only on the
 * dataplane thread.
 */
final class FrameContext {
    /** An offset not parsed (yet): the frame is not IP, or no stage has looked that far. */
    static final int UNPARSED = -1;
    /** No port: a frame the switch made itself (a deferred gateway answer). */
    static final int NO_PORT = -1;

    /** The IPv4 header of the frame, wrapped once by the router and read by each IPv4 stage. */
    final Ipv4Packet ipv4 = new Ipv4Packet();
    /**
     * What the routing hook noted about the frame before the route lookup (the connection it
     * found), kept for its call after; emptied as each frame begins.
     */
    final ConnectionSlot connection = new ConnectionSlot();

    /** The port the frame came in on, or {@link #NO_PORT}. */
    int ingress;
    /** Where the frame's verdict is counted: its ingress port's counters, or scratch ones. */
    PortCounters in;
    /** Offset of the network header (after Ethernet and any VLAN tags), or {@link #UNPARSED}. */
    int l3;
    /** Offset of the transport header (after the IP header and its options), or {@link #UNPARSED}. */
    int l4;
    /** The clock reading of the duty cycle handling the frame. */
    long now;
    /** A synthetic frame being traced: nothing is learned, sent or counted. */
    boolean dryRun;
    /** Set only while a frame is traced; trace records are written only then. */
    PacketTrace trace;
    /** The traced frame's steps as the stages wrote them, formatted when it is done ({@link TraceFormatter}). */
    final List<TraceRecord> traced = new ArrayList<>();

    /** Starts a frame: its port and counters, the time, nothing parsed yet. Keeps trace and dry run. */
    void begin(int ingress, PortCounters in, long now) {
        this.ingress = ingress;
        this.in = in;
        this.now = now;
        this.l3 = UNPARSED;
        this.l4 = UNPARSED;
        connection.clear();
    }

    /**
     * Whether the frame is traced. Trace text is built only then: building it for every packet
     * would allocate on the packet path.
     */
    boolean tracing() {
        return trace != null;
    }

    /** A trace step as data ({@link TraceEvent} names the operands), when traced; formatted after the frame. */
    void record(TraceEvent event, long a) {
        record(event, a, 0, 0, 0);
    }

    void record(TraceEvent event, long a, long b) {
        record(event, a, b, 0, 0);
    }

    void record(TraceEvent event, long a, long b, long c) {
        record(event, a, b, c, 0);
    }

    void record(TraceEvent event, long a, long b, long c, long d) {
        if (trace != null) {
            traced.add(TraceRecord.of(event, a, b, c, d));
        }
    }

    void record(TraceEvent event, long a, long b, long c, long d, long e) {
        if (trace != null) {
            traced.add(TraceRecord.of(event, a, b, c, d, e));
        }
    }

    /** A trace line for {@code stage}; {@code text} may be null when it was built only if tracing. */
    void note(String stage, String text) {
        if (trace != null && text != null) {
            traced.add(TraceRecord.note(stage, text));
        }
    }

    /** The source port of the IPv4 packet's TCP or UDP header (both keep it first), or -1 if cut short. */
    int ipv4SourcePort(DirectBuffer buffer) {
        return ipv4.payloadLength() >= 4
                ? buffer.getShort(ipv4.payloadOffset() + UdpPacket.SOURCE_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF
                : -1;
    }

    /** The destination port of the IPv4 packet's TCP or UDP header (both keep it second), or -1. */
    int ipv4DestinationPort(DirectBuffer buffer) {
        return ipv4.payloadLength() >= 4
                ? buffer.getShort(ipv4.payloadOffset() + UdpPacket.DESTINATION_PORT_OFFSET, ByteOrder.BIG_ENDIAN)
                        & 0xFFFF
                : -1;
    }
}
