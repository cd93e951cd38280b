package io.jvswitch.switching;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jvswitch.packet.ArpPacket;
import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.Ipv4Address;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.capture.CapturePoint;
import io.jvswitch.switching.capture.CaptureRing;
import io.jvswitch.switching.port.MemoryPort;
import io.jvswitch.switching.port.ReadySet;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Coverage-guided fuzz test of the whole switch pipeline: a {@link Dataplane} with two networks and five
 * {@link MemoryPort}s, driven one duty cycle at a time. Each input is a sequence of records, each either a frame
 * received on one port (virtio-net header and Ethernet bytes, arbitrary or built from fuzzed fields so the fuzzer
 * reaches proxy-ARP, port security and forwarding) or a control action (time passes, a port is unplugged,
 * re-plugged, announced, vanishes, a capture starts).
 *
 * <p>Without {@code JAZZER_FUZZ} the inputs in {@code src/test/resources/io/jvswitch/switching/PipelineFuzzTestInputs/}
 * are replayed as a regression test; {@link PipelineSeedCorpus} made the seeds from frames captured from a kernel.
 *
 * <p>Properties checked after every record:
 * <ul>
 * <li>nothing throws, and the dataplane's error handler is never called;</li>
 * <li>every received frame gets exactly one verdict on its port: {@code rxFrames} (plus frames the switch sent on
 * the port's behalf with {@code announce}) equals forwarded + flooded + ARP-answered + ingress drops;</li>
 * <li>copies are conserved: a forwarded or answered frame makes one transmission or egress drop, a flooded one one
 * per other live port of its network, a dropped one none;</li>
 * <li>frames never cross networks, never go back out of their ingress port (except a proxy-ARP answer), and are
 * never longer than received; a forwarded copy is byte for byte the received frame except the checksum the
 * switch may complete (field and flags);</li>
 * <li>a proxy-ARP answer gives a binding the network really has, to the asker, and changes nothing else;</li>
 * <li>what an enforcing port sends on carries its own MAC and address (see {@link PortSecurity});</li>
 * <li>MAC tables stay within their limits, and per-port counts add up to the table size; the FDB only names
 * ports of its own network;</li>
 * <li>capture records are well-formed.</li>
 * </ul>
 */
class PipelineFuzzTest {
    /** One endpoint of the fixture: where it is plugged and how its port behaves. */
    record Spec(
            String name,
            int network,
            long mac,
            int ip,
            int mtu,
            boolean offloads,
            boolean retain,
            PortSecurity security) {}

    static final int FRONT = 1;
    static final int BACK = 2;
    static final long FRONT_GW_MAC = MacAddress.parse("02:42:0a:00:00:01");
    static final int FRONT_GW_IP = Ipv4Address.parse("10.0.0.1");
    static final long BACK_GW_MAC = MacAddress.parse("02:42:0a:00:01:01");
    static final int BACK_GW_IP = Ipv4Address.parse("10.0.1.1");

    /**
     * a and b have the MACs and addresses of the two namespaces the seed frames were captured between. y has a's
     * MAC and address on the other network, so any leak between the networks' tables would show.
     */
    static final Spec[] SPECS = {
        new Spec(
                "a",
                FRONT,
                MacAddress.parse("02:42:0a:00:00:02"),
                Ipv4Address.parse("10.0.0.2"),
                1500,
                true,
                true,
                PortSecurity.ENFORCE),
        new Spec(
                "b",
                FRONT,
                MacAddress.parse("02:42:0a:00:00:03"),
                Ipv4Address.parse("10.0.0.3"),
                1500,
                false,
                true,
                PortSecurity.ALLOW_SPOOFING),
        new Spec(
                "c",
                FRONT,
                MacAddress.parse("02:42:0a:00:00:04"),
                Ipv4Address.parse("10.0.0.4"),
                576,
                true,
                false,
                PortSecurity.ENFORCE),
        new Spec(
                "x",
                BACK,
                MacAddress.parse("02:42:0a:00:01:02"),
                Ipv4Address.parse("10.0.1.2"),
                1500,
                false,
                true,
                PortSecurity.ALLOW_SPOOFING),
        new Spec(
                "y",
                BACK,
                MacAddress.parse("02:42:0a:00:00:02"),
                Ipv4Address.parse("10.0.0.2"),
                9000,
                true,
                true,
                PortSecurity.ENFORCE),
    };

    static final int MAC_TABLE_LIMIT = 6;
    static final int MACS_PER_PORT = 3;
    static final int MAX_RECORDS = 64;
    static final int MAX_BODY = 4095;

    /** Record kinds (the second number of a record). */
    /** 0..3: the Ethernet frame is raw input bytes. */
    static final int SHAPE_RAW_LAST = 3;

    static final int SHAPE_ETHERNET = 4;
    static final int SHAPE_ARP = 5;
    static final int SHAPE_IPV4 = 6;
    static final int SHAPE_CONTROL = 7;

    /** Control actions. */
    static final int OP_TIME = 0;

    static final int OP_UNPLUG = 1;
    static final int OP_PLUG = 2;
    static final int OP_ANNOUNCE = 3;
    static final int OP_VANISH = 4;
    static final int OP_CAPTURE = 5;

    static final long[] MAC_POOL = {
        SPECS[0].mac(),
        SPECS[1].mac(),
        SPECS[2].mac(),
        SPECS[3].mac(),
        FRONT_GW_MAC,
        BACK_GW_MAC,
        MacAddress.BROADCAST,
        MacAddress.parse("01:00:5e:00:00:fb"),
        0L,
    };
    static final int[] IP_POOL = {
        SPECS[0].ip(), SPECS[1].ip(), SPECS[2].ip(), SPECS[3].ip(), FRONT_GW_IP, BACK_GW_IP, 0,
    };
    static final int[] ETHERTYPE_POOL = {
        EthernetFrame.ETHERTYPE_IPV4,
        EthernetFrame.ETHERTYPE_ARP,
        EthernetFrame.ETHERTYPE_IPV6,
        EthernetFrame.ETHERTYPE_VLAN,
        EthernetFrame.ETHERTYPE_QINQ,
        0x0026,
        0x88CC,
    };

    @FuzzTest
    void frames(FuzzedDataProvider data) {
        try (Fixture fixture = new Fixture()) {
            for (int record = 0; record < MAX_RECORDS && data.remainingBytes() > 0; record++) {
                final int port = data.consumeInt(0, SPECS.length - 1);
                final int shape = data.consumeInt(0, SHAPE_CONTROL);
                if (shape == SHAPE_CONTROL) {
                    fixture.control(port, data);
                } else {
                    final byte[] frame = frame(shape, data);
                    if (fixture.live[port]) {
                        fixture.receive(port, frame);
                    }
                }
            }
            fixture.checkFdb();
        }
    }

    // ---- building a received frame from the input -------------------------------------------------

    /** A virtio-net header and an Ethernet frame, consumed in this order; see {@link PipelineSeedCorpus}. */
    static byte[] frame(int shape, FuzzedDataProvider data) {
        final ByteBuffer vnet = ByteBuffer.allocate(VirtioNetHeader.LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        switch (data.consumeInt(0, 3)) {
            case 1 -> vnet.put(data.consumeBytes(VirtioNetHeader.LENGTH));
            case 2 ->
                vnet.put((byte) (VirtioNetHeader.FLAG_NEEDS_CSUM | data.consumeInt(0, 1) << 1))
                        .put((byte) 0)
                        .putShort((short) 0)
                        .putShort((short) 0)
                        .putShort((short) data.consumeInt(0, 255))
                        .putShort((short) data.consumeInt(0, 255));
            case 3 ->
                vnet.put((byte) data.consumeInt(0, 3))
                        .put((byte) data.consumeInt(0, 255))
                        .putShort((short) 0)
                        .putShort((short) data.consumeInt(0, 0xFFFF))
                        .putShort((short) data.consumeInt(0, 255))
                        .putShort((short) data.consumeInt(0, 255));
            default -> {}
        }
        final ByteBuffer head = ByteBuffer.allocate(64);
        switch (shape) {
            case SHAPE_ETHERNET ->
                head.put(macBytes(pickMac(data))).put(macBytes(pickMac(data))).putShort((short)
                        ETHERTYPE_POOL[data.consumeInt(0, ETHERTYPE_POOL.length - 1)]);
            case SHAPE_ARP -> {
                head.put(macBytes(pickMac(data))).put(macBytes(pickMac(data)));
                final int tags = data.consumeInt(0, 2);
                for (int t = 0; t < tags; t++) {
                    head.putShort((short)
                                    (t == 0 && tags == 2 ? EthernetFrame.ETHERTYPE_QINQ : EthernetFrame.ETHERTYPE_VLAN))
                            .putShort((short) data.consumeInt(0, 0xFFFF));
                }
                head.putShort((short) EthernetFrame.ETHERTYPE_ARP)
                        .putInt(0x0001_0800)
                        .putShort((short) 0x0604)
                        .putShort((short) data.consumeInt(0, 3))
                        .put(macBytes(pickMac(data)))
                        .putInt(pickIp(data))
                        .put(macBytes(pickMac(data)))
                        .putInt(pickIp(data));
            }
            case SHAPE_IPV4 -> {
                head.put(macBytes(pickMac(data))).put(macBytes(pickMac(data))).putShort((short)
                        EthernetFrame.ETHERTYPE_IPV4);
                head.put((byte) 0x45)
                        .put((byte) 0)
                        .putShort((short) 0)
                        .putInt(0x4000_0000)
                        .put((byte) 64)
                        .put((byte) new int[] {1, 6, 17, 58}[data.consumeInt(0, 3)])
                        .putShort((short) 0)
                        .putInt(pickIp(data))
                        .putInt(pickIp(data));
            }
            default -> {}
        }
        final byte[] body = data.consumeBytes(data.consumeInt(0, MAX_BODY));
        final int headLength = head.position();
        final byte[] frame = new byte[VirtioNetHeader.LENGTH + headLength + body.length];
        System.arraycopy(vnet.array(), 0, frame, 0, VirtioNetHeader.LENGTH);
        System.arraycopy(head.array(), 0, frame, VirtioNetHeader.LENGTH, headLength);
        System.arraycopy(body, 0, frame, VirtioNetHeader.LENGTH + headLength, body.length);
        if (shape == SHAPE_IPV4) {
            // A total length that covers what follows, so the frame is a plausible datagram.
            final int total = Math.min(0xFFFF, 20 + body.length);
            frame[VirtioNetHeader.LENGTH + 16] = (byte) (total >>> 8);
            frame[VirtioNetHeader.LENGTH + 17] = (byte) total;
        }
        return frame;
    }

    static long pickMac(FuzzedDataProvider data) {
        final int pick = data.consumeInt(0, MAC_POOL.length + 1);
        if (pick < MAC_POOL.length) {
            return MAC_POOL[pick];
        }
        // Locally administered unicast MACs nobody owns (to fill the tables), or any MAC at all.
        return pick == MAC_POOL.length
                ? 0x0200_0000_0000L | data.consumeInt(0, 255)
                : data.consumeLong(0, MacAddress.BROADCAST);
    }

    static int pickIp(FuzzedDataProvider data) {
        final int pick = data.consumeInt(0, IP_POOL.length);
        return pick < IP_POOL.length ? IP_POOL[pick] : data.consumeInt();
    }

    static byte[] macBytes(long mac) {
        final byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) (mac >>> (40 - 8 * i));
        }
        return b;
    }

    // ---- the switch under test and its model --------------------------------------------------------

    static final class ManualClock implements NanoClock {
        private long now = 1_000_000_000L;

        @Override
        public long nanoTime() {
            return now;
        }
    }

    static final class Fixture implements AutoCloseable {
        final ManualClock clock = new ManualClock();
        final List<Throwable> errors = new ArrayList<>();
        final List<String> gone = new ArrayList<>();
        final Dataplane dp;
        final MemoryPort[] ports = new MemoryPort[SPECS.length];
        final int[] slots = new int[SPECS.length];
        final boolean[] live = new boolean[SPECS.length];
        /** Gratuitous ARPs the switch sent on a port's behalf since it was plugged: verdicts without a receive. */
        final long[] announced = new long[SPECS.length];

        final long[] txCount = new long[SPECS.length];
        final long[] txBytes = new long[SPECS.length];
        Map<Integer, PortStats> stats = new HashMap<>();
        boolean capturing;

        Fixture() {
            final SwitchContext ctx = new SwitchContext()
                    .maxPorts(8)
                    .macTableLimit(MAC_TABLE_LIMIT)
                    .macsPerPortLimit(MACS_PER_PORT)
                    .macAgingNanos(TimeUnit.SECONDS.toNanos(5))
                    .rxBatch(4)
                    .captureRingBytes(64 * 1024)
                    .clock(clock);
            dp = new Dataplane(ctx, ReadySet.NONE, (slot, name) -> gone.add(name), errors::add);
            call(dp.addNetwork(FRONT, "front", FRONT_GW_IP, FRONT_GW_MAC, EtherTypePolicy.IP_ONLY));
            call(dp.addNetwork(BACK, "back", BACK_GW_IP, BACK_GW_MAC, EtherTypePolicy.FORWARD_ALL));
            for (int i = 0; i < SPECS.length; i++) {
                plug(i);
            }
            refresh();
        }

        <T> T call(CompletableFuture<T> future) {
            dp.runDutyCycle();
            return Dataplane.await(future);
        }

        void plug(int i) {
            final Spec s = SPECS[i];
            ports[i] = new MemoryPort(s.name(), s.mtu(), s.offloads(), s.retain());
            slots[i] = call(dp.plug(s.network(), ports[i], s.mac(), s.ip(), s.security()));
            live[i] = true;
            announced[i] = 0;
            txCount[i] = 0;
            txBytes[i] = 0;
        }

        /** Takes the baseline the next record is compared with. */
        void refresh() {
            final Map<Integer, PortStats> now = new HashMap<>();
            for (PortStats p : call(dp.portStats())) {
                now.put(p.slot(), p);
            }
            stats = now;
            for (int i = 0; i < SPECS.length; i++) {
                if (live[i]) {
                    check(stats.containsKey(slots[i]), "a plugged port has no stats", i);
                    txCount[i] = ports[i].transmitCount();
                    txBytes[i] = ports[i].transmitBytes();
                }
            }
            checkTables();
            drainCapture();
            check(errors.isEmpty(), "the dataplane's error handler was called: " + errors, -1);
        }

        void control(int port, FuzzedDataProvider data) {
            switch (data.consumeInt(0, OP_CAPTURE)) {
                case OP_TIME -> {
                    // Let MAC entries age: the table is swept a slice per duty cycle.
                    clock.now += TimeUnit.MILLISECONDS.toNanos(data.consumeInt(0, 10_000));
                    for (int n = 0; n < 4; n++) {
                        dp.runDutyCycle();
                    }
                }
                case OP_UNPLUG -> {
                    if (live[port]) {
                        call(dp.unplug(slots[port]));
                        live[port] = false;
                        check(ports[port].isClosed(), "an unplugged port was not closed", port);
                    }
                }
                case OP_PLUG -> {
                    if (!live[port]) {
                        plug(port);
                    }
                }
                case OP_ANNOUNCE -> {
                    if (live[port]) {
                        call(dp.announce(slots[port]));
                        announced[port]++;
                    }
                }
                case OP_VANISH -> {
                    if (live[port]) {
                        ports[port].vanish();
                        dp.runDutyCycle();
                        check(gone.remove(SPECS[port].name()), "a vanished port was not reported gone", port);
                        live[port] = false;
                    }
                }
                default -> {
                    final int network = data.consumeInt(-1, BACK);
                    final int points = data.consumeInt(1, 7);
                    final int snap = data.consumeInt(64, 262_144);
                    if (!capturing) {
                        call(dp.startCapture(network == 0 ? FRONT : network, null, points, snap));
                        capturing = true;
                    }
                }
            }
            // Frames a control action sent (announcements) are not compared with the next received frame.
            for (int i = 0; i < SPECS.length; i++) {
                while (live[i] && ports[i].pollTransmitted() != null) {
                    // discarded
                }
            }
            refresh();
        }

        /** One frame received on {@code port}, one duty cycle, then every property. */
        void receive(int port, byte[] frame) {
            final Spec in = SPECS[port];
            final Map<Integer, PortStats> before = stats;
            ports[port].inject(frame);
            dp.runDutyCycle();
            final List<List<byte[]>> sent = new ArrayList<>();
            for (int i = 0; i < SPECS.length; i++) {
                final List<byte[]> copies = new ArrayList<>();
                if (live[i] && SPECS[i].retain()) {
                    for (byte[] f = ports[i].pollTransmitted(); f != null; f = ports[i].pollTransmitted()) {
                        copies.add(f);
                    }
                }
                sent.add(copies);
            }
            final long[] prevCount = txCount.clone();
            final long[] prevBytes = txBytes.clone();
            refresh();

            // One verdict per received frame, on its ingress port.
            final PortStats inBefore = before.get(slots[port]);
            final PortStats inAfter = stats.get(slots[port]);
            final long rx = inAfter.get(PortCounter.RX_FRAMES) - inBefore.get(PortCounter.RX_FRAMES);
            check(rx == (frame.length > 0 ? 1 : 0), "rxFrames did not count the frame exactly once", port);
            final long forwarded = inAfter.get(PortCounter.FORWARDED) - inBefore.get(PortCounter.FORWARDED);
            final long flooded = inAfter.get(PortCounter.FLOODED) - inBefore.get(PortCounter.FLOODED);
            final long answered = inAfter.get(PortCounter.ARP_ANSWERED) - inBefore.get(PortCounter.ARP_ANSWERED);
            final long dropped = ingressDrops(inAfter) - ingressDrops(inBefore);
            check(forwarded + flooded + answered + dropped == rx, "not exactly one verdict", port);

            // Copies: transmissions plus egress drops, per port.
            long copies = 0;
            long switchTx = 0;
            long portTx = 0;
            int members = 0;
            for (int i = 0; i < SPECS.length; i++) {
                if (!live[i]) {
                    continue;
                }
                final PortStats b = before.get(slots[i]);
                final PortStats a = stats.get(slots[i]);
                final long tx = a.get(PortCounter.TX_FRAMES) - b.get(PortCounter.TX_FRAMES);
                final long egress = egressDrops(a) - egressDrops(b);
                final long deviceTx = ports[i].transmitCount() - prevCount[i];
                switchTx += tx;
                portTx += deviceTx;
                copies += tx + egress;
                if (SPECS[i].network() != in.network()) {
                    check(
                            deviceTx == 0 && egress == 0,
                            "a frame crossed from network " + in.network() + " to " + SPECS[i].name(),
                            port);
                } else {
                    members++;
                }
                if (i == port) {
                    check(deviceTx == answered, "a frame went back out of its ingress port", port);
                }
                final long bytes = ports[i].transmitBytes() - prevBytes[i];
                check(bytes <= deviceTx * frame.length, "a transmitted frame is longer than the received one", port);
                for (byte[] copy : sent.get(i)) {
                    check(copy.length <= frame.length, "a transmitted frame is longer than the received one", port);
                    if (i == port) {
                        checkArpAnswer(port, frame, copy);
                    } else {
                        checkForwardedCopy(port, frame, copy);
                    }
                }
            }
            check(switchTx == portTx, "txFrames disagrees with what the ports got", port);
            final long expected = forwarded + answered + (flooded > 0 ? members - 1 : 0);
            check(
                    copies == expected,
                    "copies not conserved: " + copies + " sent or dropped at egress, " + expected
                            + " expected (forwarded " + forwarded + ", flooded " + flooded + ", answered " + answered
                            + ")",
                    port);
            if (in.security() == PortSecurity.ENFORCE && (forwarded + flooded) > 0) {
                checkSpeaksAsItself(port, frame);
            }
        }

        /** A forwarded or flooded copy is the received frame, except a checksum the switch completed. */
        void checkForwardedCopy(int port, byte[] frame, byte[] copy) {
            check(copy.length == frame.length, "a forwarded copy changed length", port);
            final boolean needsCsum = (frame[0] & VirtioNetHeader.FLAG_NEEDS_CSUM) != 0;
            final ByteBuffer vnet = ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN);
            final int field = VirtioNetHeader.LENGTH
                    + (vnet.getShort(VirtioNetHeader.CSUM_START_OFFSET) & 0xFFFF)
                    + (vnet.getShort(VirtioNetHeader.CSUM_OFFSET_OFFSET) & 0xFFFF);
            for (int i = 0; i < frame.length; i++) {
                if (frame[i] != copy[i]) {
                    final boolean allowed = needsCsum && (i == 0 || i == field || i == field + 1);
                    check(allowed, "a forwarded copy differs from the received frame at byte " + i, port);
                }
            }
        }

        /** The switch's proxy-ARP answer: a binding the network has, addressed to the asker, nothing else changed. */
        void checkArpAnswer(int port, byte[] frame, byte[] reply) {
            check(reply.length == frame.length, "an ARP answer changed length", port);
            for (int i = 0; i < VirtioNetHeader.LENGTH; i++) {
                check(reply[i] == 0, "an ARP answer carries offload flags", port);
            }
            final EthernetFrame request = new EthernetFrame();
            check(
                    request.wrap(
                            new UnsafeBuffer(frame), VirtioNetHeader.LENGTH, frame.length - VirtioNetHeader.LENGTH),
                    "answered a frame that is not Ethernet",
                    port);
            final int arp = request.payloadOffset();
            final ByteBuffer q = ByteBuffer.wrap(frame);
            final ByteBuffer r = ByteBuffer.wrap(reply);
            check(
                    q.getShort(request.payloadOffset() - 2) == EthernetFrame.ETHERTYPE_ARP,
                    "answered a non-ARP frame",
                    port);
            check(q.getShort(arp + ArpPacket.OPERATION_OFFSET) == ArpPacket.OP_REQUEST, "answered a non-request", port);
            check(
                    mac(reply, VirtioNetHeader.LENGTH) == mac(frame, VirtioNetHeader.LENGTH + 6),
                    "the answer does not go to the asker",
                    port);
            final long owner = mac(reply, VirtioNetHeader.LENGTH + 6);
            final int targetIp = q.getInt(arp + ArpPacket.TARGET_IP_OFFSET);
            check(r.getShort(arp + ArpPacket.OPERATION_OFFSET) == ArpPacket.OP_REPLY, "answer is not a reply", port);
            check(
                    mac(reply, arp + ArpPacket.SENDER_MAC_OFFSET) == owner,
                    "ARP sender is not the Ethernet source",
                    port);
            check(r.getInt(arp + ArpPacket.SENDER_IP_OFFSET) == targetIp, "answered another address", port);
            check(
                    mac(reply, arp + ArpPacket.TARGET_MAC_OFFSET) == mac(frame, arp + ArpPacket.SENDER_MAC_OFFSET),
                    "ARP target is not the asker",
                    port);
            check(
                    r.getInt(arp + ArpPacket.TARGET_IP_OFFSET) == q.getInt(arp + ArpPacket.SENDER_IP_OFFSET),
                    "ARP target address is not the asker's",
                    port);
            check(
                    isBinding(SPECS[port].network(), targetIp, owner),
                    "proxy-ARP answered " + Ipv4Address.format(targetIp) + " is-at " + MacAddress.format(owner)
                            + ", which the network does not have",
                    port);
            for (int i = VirtioNetHeader.LENGTH; i < frame.length; i++) {
                final boolean rewritten = i < VirtioNetHeader.LENGTH + 12
                        || (i >= arp + ArpPacket.OPERATION_OFFSET && i < arp + ArpPacket.LENGTH);
                check(rewritten || frame[i] == reply[i], "an ARP answer changed byte " + i, port);
            }
        }

        boolean isBinding(int network, int ip, long mac) {
            if (network == FRONT && ip == FRONT_GW_IP && mac == FRONT_GW_MAC) {
                return true;
            }
            if (network == BACK && ip == BACK_GW_IP && mac == BACK_GW_MAC) {
                return true;
            }
            for (int i = 0; i < SPECS.length; i++) {
                if (live[i] && SPECS[i].network() == network && SPECS[i].ip() == ip && SPECS[i].mac() == mac) {
                    return true;
                }
            }
            return false;
        }

        /** What {@link PortSecurity#ENFORCE} promises about every frame such a port gets onto the network. */
        void checkSpeaksAsItself(int port, byte[] frame) {
            final Spec s = SPECS[port];
            final EthernetFrame eth = new EthernetFrame();
            final UnsafeBuffer buffer = new UnsafeBuffer(frame);
            check(
                    eth.wrap(buffer, VirtioNetHeader.LENGTH, frame.length - VirtioNetHeader.LENGTH),
                    "not Ethernet",
                    port);
            check(eth.source() == s.mac(), "an enforcing port sent with another source MAC", port);
            final int l3 = eth.payloadOffset();
            final int available = frame.length - l3;
            switch (eth.payloadEtherType()) {
                case EthernetFrame.ETHERTYPE_IPV4 -> {
                    check(available >= 20, "an enforcing port sent a truncated IPv4 header", port);
                    final int source = buffer.getInt(l3 + 12, ByteOrder.BIG_ENDIAN);
                    check(
                            source == s.ip() || source == 0,
                            "an enforcing port sent from " + Ipv4Address.format(source),
                            port);
                }
                case EthernetFrame.ETHERTYPE_IPV6 -> {
                    check(available >= 40, "an enforcing port sent a truncated IPv6 header", port);
                    final long high = buffer.getLong(l3 + 8, ByteOrder.BIG_ENDIAN);
                    final long low = buffer.getLong(l3 + 16, ByteOrder.BIG_ENDIAN);
                    final boolean linkLocal = (high & 0xFFC0_0000_0000_0000L) == 0xFE80_0000_0000_0000L;
                    check(linkLocal || (high | low) == 0, "an enforcing port sent from a global IPv6 address", port);
                }
                case EthernetFrame.ETHERTYPE_ARP -> {
                    check(available >= ArpPacket.LENGTH, "an enforcing port sent a truncated ARP", port);
                    final long senderMac = mac(frame, l3 + ArpPacket.SENDER_MAC_OFFSET);
                    final int senderIp = buffer.getInt(l3 + ArpPacket.SENDER_IP_OFFSET, ByteOrder.BIG_ENDIAN);
                    check(
                            senderMac == s.mac() && (senderIp == s.ip() || senderIp == 0),
                            "an enforcing port sent ARP for " + MacAddress.format(senderMac) + " "
                                    + Ipv4Address.format(senderIp),
                            port);
                }
                default -> {}
            }
        }

        /** MAC tables within limits; the per-port counts add up to the table. */
        void checkTables() {
            for (int network : new int[] {FRONT, BACK}) {
                final NetworkStats n = call(dp.networkStats(network));
                check(n.macLimit() == MAC_TABLE_LIMIT, "MAC limit is not the configured one", -1);
                check(n.macEntries() >= 0 && n.macEntries() <= n.macLimit(), "MAC table over its limit: " + n, -1);
                long learned = 0;
                for (int i = 0; i < SPECS.length; i++) {
                    if (live[i] && SPECS[i].network() == network) {
                        final PortStats p = stats.get(slots[i]);
                        check(p.macsLearned() <= MACS_PER_PORT, "a port holds more MACs than its limit", i);
                        check(p.network().equals(network == FRONT ? "front" : "back"), "port in the wrong network", i);
                        learned += p.macsLearned();
                        // Every received frame has exactly one verdict (announcements have one without a receive).
                        final long verdicts = p.get(PortCounter.FORWARDED)
                                + p.get(PortCounter.FLOODED)
                                + p.get(PortCounter.ARP_ANSWERED)
                                + ingressDrops(p);
                        check(
                                p.get(PortCounter.RX_FRAMES) == verdicts,
                                "rx " + p.get(PortCounter.RX_FRAMES) + " (announced " + announced[i] + ") != verdicts "
                                        + verdicts + " " + p,
                                i);
                    }
                }
                check(learned == n.macEntries(), "per-port MAC counts do not add up to the table size", -1);
            }
        }

        /** At the end of an input: the FDB of each network only names its own live ports. */
        void checkFdb() {
            for (int network : new int[] {FRONT, BACK}) {
                final List<FdbEntry> entries = call(dp.fdb(network));
                check(entries.size() == call(dp.networkStats(network)).macEntries(), "FDB size", -1);
                for (FdbEntry e : entries) {
                    boolean own = false;
                    for (int i = 0; i < SPECS.length; i++) {
                        own |= live[i]
                                && SPECS[i].network() == network
                                && slots[i] == e.slot()
                                && SPECS[i].name().equals(e.port());
                    }
                    check(own, "FDB of network " + network + " names " + e, -1);
                    check(
                            MacAddress.parse(e.mac()) != 0 && !MacAddress.isMulticast(MacAddress.parse(e.mac())),
                            "FDB learned a zero or group MAC: " + e,
                            -1);
                }
            }
        }

        /** Capture records are well formed: a known slot and point, a copy no longer than the frame. */
        void drainCapture() {
            final CaptureRing ring = dp.captureRing();
            if (!capturing || ring == null) {
                return;
            }
            ring.drain(
                    (type, buffer, index, length) -> {
                        check(type != 0, "capture record for no session", -1);
                        final int slot = buffer.getInt(index + CaptureRing.SLOT_OFFSET);
                        final int point = buffer.getByte(index + CaptureRing.POINT_OFFSET);
                        final int original = buffer.getInt(index + CaptureRing.ORIGINAL_LENGTH_OFFSET);
                        check(slot >= 0 && slot < 8, "capture record for slot " + slot, -1);
                        check(point >= 0 && point < CapturePoint.values().length, "capture record point " + point, -1);
                        check(length - CaptureRing.HEADER_LENGTH <= original, "capture copy longer than the frame", -1);
                    },
                    Integer.MAX_VALUE);
        }

        @Override
        public void close() {
            dp.close();
            for (int i = 0; i < SPECS.length; i++) {
                check(!live[i] || ports[i].isClosed(), "closing the dataplane left a port open", i);
            }
        }
    }

    static long ingressDrops(PortStats p) {
        long n = 0;
        for (Map.Entry<String, Long> e : p.drops().entrySet()) {
            if (DropReason.parse(e.getKey()).isIngress()) {
                n += e.getValue();
            }
        }
        return n;
    }

    static long egressDrops(PortStats p) {
        long n = 0;
        for (Map.Entry<String, Long> e : p.drops().entrySet()) {
            if (!DropReason.parse(e.getKey()).isIngress()) {
                n += e.getValue();
            }
        }
        return n;
    }

    static long mac(byte[] b, int offset) {
        long mac = 0;
        for (int i = 0; i < 6; i++) {
            mac = (mac << 8) | (b[offset + i] & 0xFF);
        }
        return mac;
    }

    static void check(boolean condition, String property, int port) {
        if (!condition) {
            throw new AssertionError(property + (port >= 0 ? " (port " + SPECS[port].name() + ")" : ""));
        }
    }
}
