package io.jvswitch.switching;

import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.testsupport.FrameBuilder;
import io.jvswitch.testsupport.FuzzSeed;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Writes the seed corpus of {@link PipelineFuzzTest}: frames captured from a kernel (a pcap of two namespaces
 * joined by a veth pair, 02:42:0a:00:00:02 / 10.0.0.2 and 02:42:0a:00:00:03 / 10.0.0.3, the MACs and addresses of
 * ports a and b of the fixture) replayed on the ports they came from, plus hand-made hostile records. Not a test:
 *
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp switch/target/test-classes:switch/target/classes:... \
 *     io.jvswitch.switching.PipelineSeedCorpus capture.pcap switch/src/test/resources/io/jvswitch/switching/PipelineFuzzTestInputs/frames
 * </pre>
 *
 * <p>Each seed is encoded exactly as {@link PipelineFuzzTest#frames} consumes its input, so the fuzzer starts from
 * sequences that go deep: proxy-ARP answers, forwarding after learning, offloads, port security.
 */
public final class PipelineSeedCorpus {
    private static final int A = 0;
    private static final int B = 1;
    private static final int C = 2;
    private static final int X = 3;
    private static final int Y = 4;
    private static final long MAC_A = 0x0242_0a00_0002L;
    private static final long MAC_B = 0x0242_0a00_0003L;

    private PipelineSeedCorpus() {}

    public static void main(String[] args) throws IOException {
        final List<byte[]> frames = new ArrayList<>();
        for (byte[] f : readPcap(Path.of(args[0]))) {
            if (f.length >= 14 && f.length <= 1514) {
                frames.add(f);
            }
        }
        final Path out = Files.createDirectories(Path.of(args[1]));

        // The capture in order, in chunks, each frame on the port its source MAC belongs to.
        final int chunk = 24;
        for (int from = 0, n = 0; from < frames.size(); from += chunk, n++) {
            final Seed seed = new Seed();
            for (byte[] f : frames.subList(from, Math.min(frames.size(), from + chunk))) {
                seed.raw(portOf(f, A, B), zeroVnet(), f);
            }
            seed.write(out, String.format("real-capture-%02d", n));
        }
        // The same conversation on the other network (y has a's MAC and address there; x forwards anything).
        final Seed other = new Seed();
        for (byte[] f : frames.subList(0, Math.min(frames.size(), 40))) {
            other.raw(portOf(f, Y, X), zeroVnet(), f);
        }
        other.write(out, "real-capture-network-back");

        // Offloads as a TAP hands them over: partial checksums, and TCP super-frames.
        final Seed offloads = new Seed();
        int partial = 0;
        for (byte[] f : frames) {
            final int[] csum = transportChecksum(f);
            if (csum != null && partial++ < 12) {
                offloads.raw(portOf(f, A, B), csumVnet(csum[0], csum[1]), f);
            }
        }
        final byte[] superFrame = readPcap(Path.of(args[0])).stream()
                .filter(f -> f.length > 1514 && f.length <= 4000 && f[23] == 6)
                .findFirst()
                .orElse(null);
        if (superFrame != null) {
            offloads.raw(A, gsoVnet(1, 1, 1448, 34, 16), superFrame);
            offloads.raw(B, gsoVnet(1, 1, 1448, 34, 16), superFrame);
            offloads.raw(C, gsoVnet(1, 0x81, 1448, 34, 16), superFrame);
        }
        offloads.write(out, "real-offloads");

        // Hostile frames, one seed each so the fuzzer can splice them.
        final byte[] arpRequest = frames.stream()
                .filter(f -> f[12] == 8 && f[13] == 6)
                .findFirst()
                .orElseThrow();
        final byte[] tcp = frames.stream()
                .filter(f -> f[12] == 8 && f[13] == 0 && f[23] == 6)
                .findFirst()
                .orElseThrow();
        hostile(out, "truncated-arp", A, zeroVnet(), Arrays.copyOf(arpRequest, 14 + 20));
        hostile(
                out,
                "ihl-15-short",
                B,
                zeroVnet(),
                hex("02420a00000302420a0000020800" + "4f000014000040004001" + "00000a0000030a000002"));
        hostile(
                out,
                "vlan-3-tags-back",
                X,
                zeroVnet(),
                hex("ffffffffffff02420a0001020800".substring(0, 24) + "8100000181000002810000030800"
                        + "45000014000040004001" + "00000a0001020a000001"));
        hostile(
                out,
                "qinq-arp-front",
                B,
                zeroVnet(),
                hex("ffffffffffff02420a000003" + "88a8000a81000014" + "0806" + "000108000604000102420a0000030a000003"
                        + "0000000000000a000002"));
        hostile(out, "gso-size-0", A, gsoVnet(1, 1, 0, 34, 16), tcp);
        hostile(out, "csum-start-beyond", A, csumVnet(250, 6), Arrays.copyOf(tcp, 60));
        hostile(out, "csum-field-past-end", B, csumVnet(59, 0), Arrays.copyOf(tcp, 60));
        hostile(
                out,
                "oversize-on-small-mtu",
                C,
                zeroVnet(),
                ipv4(MAC_B, 0x0242_0a00_0004L, 0x0a00_0004, 0x0a00_0003, 1200));
        hostile(out, "runt", A, zeroVnet(), hex("ffffffffffff02420a000002"));
        hostile(out, "vnet-only", A, zeroVnet(), new byte[0]);

        // Findings of the fuzzer, reduced by hand: they fail until the bug they show is fixed.
        final Seed zeroDestination = new Seed();
        zeroDestination.raw(X, zeroVnet(), ipv4(0L, 0x0242_0a00_0102L, 0x0a00_0102, 0x0a00_0101, 20));
        zeroDestination.write(out, "crash-zero-destination-mac-crosses-networks");
        final Seed zeroDestinationEmptySlot = new Seed();
        zeroDestinationEmptySlot.control(A, PipelineFuzzTest.OP_UNPLUG, -1);
        zeroDestinationEmptySlot.raw(X, zeroVnet(), ipv4(0L, 0x0242_0a00_0102L, 0x0a00_0102, 0x0a00_0101, 20));
        zeroDestinationEmptySlot.write(out, "crash-zero-destination-mac-to-empty-slot");

        // Built records: spoofing on enforcing ports, proxy-ARP, a MAC flood, aging, churn of ports, capture.
        final Seed spoof = new Seed();
        // MAC pool: 0 a, 1 b, 2 c, 3 x, 4 front gateway, 5 back gateway, 6 broadcast, 7 multicast, 8 zero.
        // Address pool: 0 a, 1 b, 2 c, 3 x, 4 front gateway, 5 back gateway, 6 0.0.0.0.
        spoof.ethernet(A, 6, 1, 0, 64); // a: broadcast from b's MAC (spoofed source MAC)
        spoof.ipv4(A, 1, 0, 2, 1, 1, 40); // a: from its MAC but b's address
        spoof.arp(A, 6, 0, 1, 0, 1, 8, 1, 60); // a: ARP claiming b's address
        spoof.arp(C, 6, 2, 1, 2, 2, 8, 4, 60); // c: who-has the gateway (answered by the switch)
        spoof.arp(B, 6, 1, 1, 1, 1, 8, 0, 60); // b: who-has a (answered)
        spoof.ipv4(B, 0, 1, 1, 1, 0, 100); // b -> a, a not learned yet: flooded
        spoof.ipv4(A, 1, 0, 1, 0, 1, 100); // a -> b
        spoof.ipv4(B, 0, 1, 1, 1, 0, 100); // b -> a, now known: forwarded
        spoof.ethernet(X, 7, 0, 6, 30); // x: LLDP-ish from y's MAC on the other network
        spoof.write(out, "built-spoof-and-arp");

        final Seed flood = new Seed();
        for (int i = 0; i < 10; i++) {
            flood.ethernetFromExtraMac(B, i, 60); // b invents source MACs: its quota, then the table
        }
        flood.control(B, PipelineFuzzTest.OP_TIME, 6000); // everything ages out
        flood.ipv4(A, 1, 0, 1, 0, 1, 50);
        flood.control(A, PipelineFuzzTest.OP_UNPLUG, -1);
        flood.ipv4(B, 0, 1, 1, 1, 0, 50);
        flood.control(A, PipelineFuzzTest.OP_PLUG, -1);
        flood.control(A, PipelineFuzzTest.OP_ANNOUNCE, -1);
        flood.control(Y, PipelineFuzzTest.OP_CAPTURE, -1);
        flood.ipv4(Y, 7, 0, 0, 0, 5, 80);
        flood.control(X, PipelineFuzzTest.OP_VANISH, -1);
        flood.ipv4(Y, 3, 0, 0, 0, 5, 80);
        flood.write(out, "built-flood-age-churn-capture");
    }

    static int portOf(byte[] f, int portOfA, int portOfB) {
        return PipelineFuzzTest.mac(f, 6) == MAC_B ? portOfB : portOfA;
    }

    /** csum_start and csum_offset of the TCP or UDP checksum of an untagged IPv4 frame without options, or null. */
    static int[] transportChecksum(byte[] f) {
        final int type = (f[12] & 0xFF) << 8 | (f[13] & 0xFF);
        if (type == 0x0800 && (f[14] & 0x0F) == 5) {
            return f[23] == 6 ? new int[] {34, 16} : f[23] == 17 ? new int[] {34, 6} : null;
        }
        return null;
    }

    static byte[] zeroVnet() {
        return new byte[VirtioNetHeader.LENGTH];
    }

    static byte[] csumVnet(int start, int offset) {
        return FrameBuilder.vnetHeader(VirtioNetHeader.FLAG_NEEDS_CSUM, VirtioNetHeader.GSO_NONE, 0, 0, start, offset);
    }

    static byte[] gsoVnet(int flags, int gsoType, int gsoSize, int start, int offset) {
        return FrameBuilder.vnetHeader(flags, gsoType, 0, gsoSize, start, offset);
    }

    /** An Ethernet frame (no virtio-net header) with a UDP/IPv4 header and {@code payload} zero bytes after it. */
    static byte[] ipv4(long dst, long src, int srcIp, int dstIp, int payload) {
        return FrameBuilder.withoutVnet(
                FrameBuilder.ipv4Frame(dst, src, srcIp, dstIp, Ipv4Packet.PROTOCOL_UDP, new byte[payload])
                        .rawTransport()
                        .build());
    }

    static void hostile(Path out, String name, int port, byte[] vnet, byte[] frame) throws IOException {
        final Seed seed = new Seed();
        seed.raw(port, vnet, frame);
        seed.write(out, "hostile-" + name);
    }

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    /** Reads the frames of a classic pcap file (either byte order). */
    static List<byte[]> readPcap(Path file) throws IOException {
        final ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
        final int magic = b.getInt(0);
        if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
            b.order(ByteOrder.LITTLE_ENDIAN);
        } else if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
            throw new IOException("not a pcap file: " + file);
        }
        final List<byte[]> frames = new ArrayList<>();
        for (int at = 24; at + 16 <= b.limit(); ) {
            final int captured = b.getInt(at + 8);
            final byte[] frame = new byte[captured];
            b.get(at + 16, frame);
            frames.add(frame);
            at += 16 + captured;
        }
        return frames;
    }

    /**
     * A sequence of records encoded the way {@link PipelineFuzzTest#frames} reads them with a
     * {@code FuzzedDataProvider} ({@link FuzzSeed}).
     */
    static final class Seed {
        private final FuzzSeed input = new FuzzSeed();

        /** A received frame whose Ethernet bytes are given as they are. */
        Seed raw(int port, byte[] vnet, byte[] ethernet) {
            range(port, 0, 4).range(0, 0, 7);
            vnet(vnet);
            return body(ethernet);
        }

        /** A frame built by the test: MAC and address arguments are indexes into its pools. */
        Seed ethernet(int port, int dstMac, int srcMac, int etherType, int bodyLength) {
            range(port, 0, 4).range(PipelineFuzzTest.SHAPE_ETHERNET, 0, 7).range(0, 0, 3);
            mac(dstMac).mac(srcMac).range(etherType, 0, PipelineFuzzTest.ETHERTYPE_POOL.length - 1);
            return body(new byte[bodyLength]);
        }

        /** An untagged frame from a locally administered MAC 02:00:00:00:00:nn, to broadcast, IPv4. */
        Seed ethernetFromExtraMac(int port, int n, int bodyLength) {
            range(port, 0, 4).range(PipelineFuzzTest.SHAPE_ETHERNET, 0, 7).range(0, 0, 3);
            mac(6).range(PipelineFuzzTest.MAC_POOL.length, 0, PipelineFuzzTest.MAC_POOL.length + 1)
                    .range(n, 0, 255);
            range(0, 0, PipelineFuzzTest.ETHERTYPE_POOL.length - 1);
            final byte[] body = new byte[bodyLength];
            body[0] = 0x45;
            return body(body);
        }

        Seed arp(
                int port,
                int dstMac,
                int srcMac,
                int op,
                int senderMac,
                int senderIp,
                int targetMac,
                int targetIp,
                int trailer) {
            range(port, 0, 4).range(PipelineFuzzTest.SHAPE_ARP, 0, 7).range(0, 0, 3);
            mac(dstMac)
                    .mac(srcMac)
                    .range(0, 0, 2)
                    .range(op, 0, 3)
                    .mac(senderMac)
                    .ip(senderIp)
                    .mac(targetMac)
                    .ip(targetIp);
            return body(new byte[trailer]);
        }

        Seed ipv4(int port, int dstMac, int srcMac, int protocol, int srcIp, int dstIp, int bodyLength) {
            range(port, 0, 4).range(PipelineFuzzTest.SHAPE_IPV4, 0, 7).range(0, 0, 3);
            mac(dstMac).mac(srcMac).range(protocol, 0, 3).ip(srcIp).ip(dstIp);
            return body(new byte[bodyLength]);
        }

        Seed control(int port, int op, int argument) {
            range(port, 0, 4).range(PipelineFuzzTest.SHAPE_CONTROL, 0, 7).range(op, 0, PipelineFuzzTest.OP_CAPTURE);
            if (op == PipelineFuzzTest.OP_TIME) {
                range(argument, 0, 10_000);
            } else if (op == PipelineFuzzTest.OP_CAPTURE) {
                range(-1, -1, PipelineFuzzTest.BACK).range(7, 1, 7).range(128, 64, 262_144);
            }
            return this;
        }

        private Seed vnet(byte[] vnet) {
            final ByteBuffer v = ByteBuffer.wrap(vnet).order(ByteOrder.LITTLE_ENDIAN);
            final int flags = vnet[0] & 0xFF;
            final int gso = vnet[1] & 0xFF;
            if (flags == 0 && gso == 0 && v.getLong(2) == 0) {
                return range(0, 0, 3);
            }
            if (gso == 0
                    && (flags & ~2) == 1
                    && v.getInt(2) == 0
                    && v.getShort(6) >= 0
                    && v.getShort(6) < 256
                    && v.getShort(8) >= 0
                    && v.getShort(8) < 256) {
                return range(2, 0, 3)
                        .range(flags >> 1, 0, 1)
                        .range(v.getShort(6), 0, 255)
                        .range(v.getShort(8), 0, 255);
            }
            if (flags < 4 && v.getShort(2) == 0 && (v.getShort(6) & 0xFFFF) < 256 && (v.getShort(8) & 0xFFFF) < 256) {
                return range(3, 0, 3)
                        .range(flags, 0, 3)
                        .range(gso, 0, 255)
                        .range(v.getShort(4) & 0xFFFF, 0, 0xFFFF)
                        .range(v.getShort(6), 0, 255)
                        .range(v.getShort(8), 0, 255);
            }
            range(1, 0, 3);
            input.front(vnet);
            return this;
        }

        private Seed mac(int poolIndex) {
            return range(poolIndex, 0, PipelineFuzzTest.MAC_POOL.length + 1);
        }

        private Seed ip(int poolIndex) {
            return range(poolIndex, 0, PipelineFuzzTest.IP_POOL.length);
        }

        private Seed body(byte[] bytes) {
            range(bytes.length, 0, PipelineFuzzTest.MAX_BODY);
            input.front(bytes);
            return this;
        }

        /** What {@code consumeInt(min, max)} returns {@code value} for. */
        private Seed range(int value, int min, int max) {
            input.range(value, min, max);
            return this;
        }

        void write(Path dir, String name) throws IOException {
            input.write(dir, name);
        }
    }
}
