package io.jvswitch.packet;

import org.agrona.concurrent.UnsafeBuffer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Writes the seed corpus of {@link PacketParsersFuzzTest} from a pcap file of real frames, plus hand-made hostile
 * frames. Not a test: run it by hand when the corpus should be remade, e.g.
 *
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED \
 *     -cp packet/target/test-classes:packet/target/classes:$HOME/.m2/repository/org/agrona/agrona/2.6.0/agrona-2.6.0.jar \
 *     io.jvswitch.packet.PacketSeedCorpus capture.pcap packet/src/test/resources/io/jvswitch/packet/PacketParsersFuzzTestInputs
 * </pre>
 *
 * <p>The pcap comes from two network namespaces joined by a veth pair (ping, ARP for an unknown address, TCP and
 * UDP with iperf3 and nc, ICMP errors, IPv6 neighbour discovery and MLD). Frames are de-duplicated by shape (type,
 * protocol, TCP flags or ICMP type, size class) so the corpus stays small.
 */
public final class PacketSeedCorpus {
    /** Frames longer than this (TSO super-frames) are left out: they would make the fuzzer's inputs huge. */
    static final int MAX_SEED_FRAME = 1600;

    private PacketSeedCorpus() {}

    public static void main(final String[] args) throws IOException {
        final List<byte[]> frames = readPcap(Path.of(args[0]));
        final Path root = Path.of(args[1]);
        final Map<String, byte[]> real = distinct(frames);

        final Path parse = dir(root, "parseFrame");
        real.forEach((name, frame) -> write(parse, "real-" + name, frame));
        hostileFrames().forEach((name, frame) -> write(parse, "hostile-" + name, frame));

        // wrapAtAnyOffset: each real frame with each flyweight at the header it should see, plus hostile bounds.
        final Path wrap = dir(root, "wrapAtAnyOffset");
        real.forEach((name, frame) -> {
            final int[] at = headerOffsets(frame);
            for (final int which : flyweightsFor(frame)) {
                final int offset = which == 0 ? 0 : which <= 3 ? at[0] : at[1];
                if (offset < 0 || offset > 255) {
                    continue;
                }
                final Fdp fdp = new Fdp();
                fdp.range(which, 0, 6)
                        .range(0, 0, 3)
                        .range(offset, 0, 255)
                        .range(0, 0, 3)
                        .range(0, 0, 255)
                        .range(which % 3, 0, 2)
                        .front(frame);
                write(wrap, "real-" + name + "-fw" + which, fdp.bytes());
            }
        });
        final byte[] sample = real.values().iterator().next();
        final int[][] hostile = {
            {1, Integer.MIN_VALUE, 0, 0},
            {1, Integer.MAX_VALUE, 0, 0},
            {0, 0, 1, Integer.MAX_VALUE},
            {0, 1, 1, Integer.MAX_VALUE},
            {1, -1, 1, 64},
            {2, 0, 1, 1},
            {2, 13, 0, 0},
            {3, 200, 0, 0},
            {0, 10, 1, -1},
            {1, Integer.MAX_VALUE - 8, 1, 64},
        };
        for (int which = 0; which < 7; which++) {
            for (int i = 0; i < hostile.length; i++) {
                final int[] h = hostile[i];
                final Fdp fdp = new Fdp().range(which, 0, 6).range(h[0], 0, 3);
                if (h[0] == 1) {
                    fdp.anyInt(h[1]);
                } else {
                    fdp.range(h[1], 0, 255);
                }
                fdp.range(h[2], 0, 3);
                if (h[2] == 1) {
                    fdp.anyInt(h[3]);
                } else {
                    fdp.range(h[3], 0, 255);
                }
                fdp.range(i % 3, 0, 2).front(sample);
                write(wrap, "hostile-bounds-fw" + which + "-" + i, fdp.bytes());
            }
        }

        // completeChecksum: real TCP and UDP frames made partial, as a TAP with offloads hands them over.
        final Path csum = dir(root, "completeChecksum");
        real.forEach((name, original) -> {
            final byte[] frame = original.clone();
            final byte[] vnet = partialChecksum(frame);
            if (vnet != null) {
                write(csum, "real-" + name, completeChecksumSeed(vnet, frame, 0, 4, 0, 0));
                write(csum, "real-" + name + "-short", completeChecksumSeed(vnet, frame, 3, 0, 2, 7));
                write(csum, "real-" + name + "-long", completeChecksumSeed(vnet, frame, 0, 2, 3, 40));
            }
        });
        final byte[] tcp = real.entrySet().stream()
                .filter(e -> e.getKey().startsWith("ipv4-tcp"))
                .findFirst()
                .map(Map.Entry::getValue)
                .orElse(sample);
        // GSO with gso_size 0, csum_start beyond the frame, csum_offset odd, field straddling the end.
        write(csum, "hostile-gso-size-0", completeChecksumSeed(vnet(0x01, 0x01, 66, 0, 34, 16), tcp, 0, 0, 0, 0));
        write(
                csum,
                "hostile-csum-start-beyond",
                completeChecksumSeed(vnet(0x01, 0, 0, 0, 0xFFFF, 16), tcp, 0, 0, 0, 0));
        write(
                csum,
                "hostile-csum-offset-beyond",
                completeChecksumSeed(vnet(0x01, 0, 0, 0, 34, 0xFFFF), tcp, 0, 0, 0, 0));
        write(
                csum,
                "hostile-field-at-end",
                completeChecksumSeed(vnet(0x01, 0, 0, 0, tcp.length - 2, 0), tcp, 0, 0, 0, 0));
        write(
                csum,
                "hostile-field-past-end",
                completeChecksumSeed(vnet(0x01, 0, 0, 0, tcp.length - 1, 0), tcp, 0, 0, 0, 0));
        write(csum, "hostile-odd-offset", completeChecksumSeed(vnet(0x03, 0x84, 0, 1448, 33, 17), tcp, 5, 1, 0, 0));
        write(csum, "hostile-negative-offset", completeChecksumSeedAnyOffset(vnet(0x01, 0, 0, 0, 34, 16), tcp, -3));
        write(
                csum,
                "hostile-huge-offset",
                completeChecksumSeedAnyOffset(vnet(0x01, 0, 0, 0, 34, 16), tcp, Integer.MAX_VALUE));
        write(
                csum,
                "hostile-any-length",
                completeChecksumSeedAnyLength(vnet(0x01, 0, 0, 0, 34, 16), tcp, Integer.MIN_VALUE));
        write(csum, "hostile-empty-frame", completeChecksumSeed(vnet(0x01, 0, 0, 0, 0, 0), new byte[0], 0, 0, 0, 0));

        // checksumArithmetic: real frames at a few alignments.
        final Path sums = dir(root, "checksumArithmetic");
        int n = 0;
        for (final Map.Entry<String, byte[]> e : real.entrySet()) {
            if (n++ % 3 != 0) {
                continue;
            }
            final Fdp fdp = new Fdp()
                    .range(n % 8, 0, 63)
                    .range(14 + n % 5, 0, 255)
                    .anyInt(0xFFFF_0000 + n)
                    .range(6, 0, 255)
                    .range(0x1234, 0, 0xFFFF)
                    .anyInt(0x0A00_0002)
                    .range(17, 0, 255)
                    .anyInt(e.getValue().length)
                    .front(e.getValue());
            write(sums, "real-" + e.getKey(), fdp.bytes());
        }
        write(
                sums,
                "hostile-all-zero",
                new Fdp()
                        .range(0, 0, 63)
                        .range(2, 0, 255)
                        .anyInt(0)
                        .range(0, 0, 255)
                        .range(0, 0, 0xFFFF)
                        .anyInt(0)
                        .range(0, 0, 255)
                        .anyInt(0)
                        .front(new byte[40])
                        .bytes());
        write(
                sums,
                "hostile-all-ones",
                new Fdp()
                        .range(1, 0, 63)
                        .range(9, 0, 255)
                        .anyInt(-1)
                        .range(3, 0, 255)
                        .range(0xFFFF, 0, 0xFFFF)
                        .anyInt(-1)
                        .range(255, 0, 255)
                        .anyInt(-1)
                        .front(filled(77, 0xFF))
                        .bytes());

        final Path text = dir(root, "addressText");
        for (final String s : new String[] {
            "02:42:ac:11:00:02",
            "02:42:AC:11:00:0g",
            "10.0.0.1",
            "010.0.0.1",
            "255.255.255.255",
            "256.0.0.1",
            "1.2.3",
            "1.2.3.4.5",
            "ff:ff:ff:ff:ff:ff",
            "::1",
            "1..2.3"
        }) {
            final Fdp fdp =
                    new Fdp().anyLong(0x0242_ac11_0002L).anyInt(0x0A00_0001).front(s.getBytes());
            write(text, "seed-" + s.replace(':', '-'), fdp.bytes());
        }
    }

    /** One frame per shape: "ipv4-tcp-SA-74", "arp-1-42", "ipv6-58-135-86"... */
    static Map<String, byte[]> distinct(final List<byte[]> frames) {
        final Map<String, byte[]> out = new LinkedHashMap<>();
        for (final byte[] f : frames) {
            if (f.length > MAX_SEED_FRAME || f.length < 14) {
                continue;
            }
            final String key = shape(f);
            if (!out.containsKey(key)) {
                out.put(key, f);
            }
        }
        return out;
    }

    static String shape(final byte[] f) {
        final ByteBuffer b = ByteBuffer.wrap(f);
        final int type = b.getShort(12) & 0xFFFF;
        final String size = f.length <= 128 ? "small" : f.length <= 600 ? "medium" : "large";
        if (type == 0x0806 && f.length >= 22) {
            return "arp-op" + (b.getShort(20) & 0xFFFF) + "-" + size;
        }
        if (type == 0x0800 && f.length >= 34) {
            final int protocol = f[23] & 0xFF;
            final int l4 = 14 + (f[14] & 0x0F) * 4;
            final String detail = protocol == 6 && f.length > l4 + 13
                    ? tcpFlags(f[l4 + 13])
                    : protocol == 1 && f.length > l4 ? "type" + (f[l4] & 0xFF) : "";
            return "ipv4-" + name(protocol) + "-" + detail + "-" + size;
        }
        if (type == 0x86DD && f.length >= 54) {
            final int next = f[20] & 0xFF;
            final String detail = next == 6 && f.length > 67
                    ? tcpFlags(f[67])
                    : next == 58 ? "type" + (f[54] & 0xFF) : next == 0 ? "hbh" : "";
            return "ipv6-" + name(next) + "-" + detail + "-" + size;
        }
        return String.format("ethertype-%04x-%s", type, size);
    }

    private static String name(final int protocol) {
        return switch (protocol) {
            case 1 -> "icmp";
            case 6 -> "tcp";
            case 17 -> "udp";
            case 58 -> "icmp6";
            default -> "proto" + protocol;
        };
    }

    private static String tcpFlags(final byte flags) {
        final String letters = "FSRPAUEC";
        final StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if ((flags & (1 << i)) != 0) {
                s.append(letters.charAt(i));
            }
        }
        return s.toString();
    }

    /** The flyweights (numbered as in {@link PacketParsersFuzzTest#wrapAtAnyOffset}) for an untagged frame's headers. */
    static int[] flyweightsFor(final byte[] f) {
        final int type = ((f[12] & 0xFF) << 8) | (f[13] & 0xFF);
        final int protocol =
                type == 0x0800 && f.length > 23 ? f[23] & 0xFF : type == 0x86DD && f.length > 20 ? f[20] & 0xFF : -1;
        final int l3 = type == 0x0806 ? 1 : type == 0x0800 ? 2 : type == 0x86DD ? 3 : -1;
        final int l4 = protocol == 6 ? 6 : protocol == 17 ? 5 : protocol == 1 || protocol == 58 ? 4 : -1;
        return IntStream.of(0, l3, l4).filter(w -> w >= 0).toArray();
    }

    /** L3 and L4 offsets of an untagged frame (-1 where there is none). */
    static int[] headerOffsets(final byte[] f) {
        final int type = ((f[12] & 0xFF) << 8) | (f[13] & 0xFF);
        if (type == 0x0800 && f.length >= 34) {
            return new int[] {14, 14 + (f[14] & 0x0F) * 4};
        }
        if (type == 0x86DD && f.length >= 54) {
            return new int[] {14, 54};
        }
        return new int[] {14, -1};
    }

    /**
     * A virtio-net header asking for the TCP or UDP checksum to be completed, with the pseudo-header sum stored in
     * the frame's checksum field (modified in place), as the kernel leaves it; null for other frames.
     */
    static byte[] partialChecksum(final byte[] f) {
        final int[] at = headerOffsets(f);
        if (at[1] < 0) {
            return null;
        }
        final boolean v4 = at[0] == 14 && ((f[12] & 0xFF) << 8 | (f[13] & 0xFF)) == 0x0800;
        final int protocol = v4 ? f[23] & 0xFF : f[20] & 0xFF;
        final int field = protocol == 6 ? 16 : protocol == 17 ? 6 : -1;
        if (field < 0 || at[1] + field + 2 > f.length) {
            return null;
        }
        final ByteBuffer b = ByteBuffer.wrap(f);
        final int l4Length = v4 ? (b.getShort(16) & 0xFFFF) - (at[1] - 14) : b.getShort(18) & 0xFFFF;
        final int pseudo;
        if (v4) {
            pseudo = InternetChecksum.pseudoHeaderIpv4(b.getInt(26), b.getInt(30), protocol, l4Length);
        } else {
            pseudo = InternetChecksum.pseudoHeaderIpv6(new UnsafeBuffer(f), 22, 38, protocol, l4Length);
        }
        b.putShort(at[1] + field, (short) InternetChecksum.fold(pseudo));
        return vnet(VirtioNetHeader.FLAG_NEEDS_CSUM, 0, 0, 0, at[1], field);
    }

    static byte[] vnet(
            final int flags,
            final int gsoType,
            final int hdrLen,
            final int gsoSize,
            final int csumStart,
            final int csumOffset) {
        return ByteBuffer.allocate(VirtioNetHeader.LENGTH)
                .order(ByteOrder.LITTLE_ENDIAN)
                .put((byte) flags)
                .put((byte) gsoType)
                .putShort((short) hdrLen)
                .putShort((short) gsoSize)
                .putShort((short) csumStart)
                .putShort((short) csumOffset)
                .array();
    }

    /** Mirrors the order {@link PacketParsersFuzzTest#completeChecksum} consumes its input in. */
    static byte[] completeChecksumSeed(
            final byte[] vnet,
            final byte[] frame,
            final int lead,
            final int trail,
            final int lengthMode,
            final int lengthArg) {
        return new Fdp()
                .range(lead, 0, 16)
                .range(trail, 0, 16)
                .range(lengthMode, 0, 3)
                .range(lengthArg, 0, 255)
                .range(1, 0, 7)
                .front(vnet)
                .front(frame)
                .bytes();
    }

    static byte[] completeChecksumSeedAnyOffset(final byte[] vnet, final byte[] frame, final int offset) {
        return new Fdp()
                .range(0, 0, 16)
                .range(0, 0, 16)
                .range(0, 0, 3)
                .range(0, 0, 255)
                .range(0, 0, 7)
                .anyInt(offset)
                .front(vnet)
                .front(frame)
                .bytes();
    }

    static byte[] completeChecksumSeedAnyLength(final byte[] vnet, final byte[] frame, final int length) {
        return new Fdp()
                .range(2, 0, 16)
                .range(2, 0, 16)
                .range(1, 0, 3)
                .anyInt(length)
                .range(1, 0, 7)
                .front(vnet)
                .front(frame)
                .bytes();
    }

    /** Frames no kernel sends: every way a header can announce more than there is. */
    static Map<String, byte[]> hostileFrames() {
        final Map<String, byte[]> out = new LinkedHashMap<>();
        final String eth = "02420a000003" + "02420a000002";
        out.put("empty", new byte[0]);
        out.put("runt-13", hex(eth + "08"));
        out.put("eth-header-only", hex(eth + "0800"));
        out.put("truncated-arp", hex(eth + "0806" + "0001080006040001" + "02420a000002" + "0a000002"));
        out.put(
                "arp-27-bytes",
                hex(eth + "0806" + "0001080006040001" + "02420a000002" + "0a000002" + "000000000000" + "0a0000"));
        out.put(
                "arp-not-ethernet-ipv4",
                hex(eth + "0806" + "0006080006040001" + "02420a000002" + "0a000002" + "000000000000" + "0a000003"));
        out.put("ipv4-ihl-15-short", hex(eth + "0800" + "4f000014000040004001" + "0000" + "0a0000020a000003"));
        out.put("ipv4-ihl-4", hex(eth + "0800" + "44000014000040004001" + "0000" + "0a0000020a000003"));
        out.put(
                "ipv4-total-length-past-frame",
                hex(eth + "0800" + "4500ffff000040004011" + "0000" + "0a0000020a000003" + "14e900350008" + "0000"));
        out.put(
                "ipv4-total-length-below-header",
                hex(eth + "0800" + "45000010000040004006" + "0000" + "0a0000020a000003"
                        + "00000000000000000000000000000000000000000000"));
        out.put("ipv4-version-6", hex(eth + "0800" + "65000014000040004001" + "0000" + "0a0000020a000003"));
        out.put(
                "ipv4-tcp-data-offset-15",
                hex(eth + "0800" + "45000028000040004006" + "0000" + "0a0000020a000003"
                        + "9c4000501234567800000000f0020000" + "00000000"));
        out.put(
                "ipv4-tcp-data-offset-0",
                hex(eth + "0800" + "45000028000040004006" + "0000" + "0a0000020a000003"
                        + "9c40005012345678000000000002ffff" + "00000000"));
        out.put(
                "ipv4-udp-length-7",
                hex(eth + "0800" + "4500001c000040004011" + "0000" + "0a0000020a000003" + "14e9003500070000"));
        out.put(
                "ipv4-udp-length-past",
                hex(eth + "0800" + "4500001c000040004011" + "0000" + "0a0000020a000003" + "14e90035ffff0000"));
        out.put(
                "ipv4-icmp-7-bytes",
                hex(eth + "0800" + "4500001b000040004001" + "0000" + "0a0000020a000003" + "08000000000000"));
        out.put(
                "ipv6-payload-past",
                hex(eth + "86dd" + "60000000ffff1140" + "fe80" + "0".repeat(28) + "ff02" + "0".repeat(28)));
        out.put("ipv6-39-bytes", hex(eth + "86dd" + "6000000000001140" + "0".repeat(62)));
        out.put("ipv6-jumbo", hex(eth + "86dd" + "6000000000000040" + "0".repeat(64) + "00000000"));
        out.put("vlan-1-ipv4", hex(eth + "8100" + "2064" + "0800" + "450000140000400040010000" + "0a0000020a000003"));
        out.put(
                "qinq-vlan-arp",
                hex(eth + "88a8" + "000a" + "8100" + "0014" + "0806" + "0001080006040001" + "02420a000002" + "0a000002"
                        + "000000000000" + "0a000003"));
        out.put("vlan-3-tags", hex(eth + "8100" + "0001" + "8100" + "0002" + "8100" + "0003" + "0800" + "4500"));
        out.put(
                "vlan-chain-long",
                hex(eth + "88a8" + "0001" + "88a8" + "0002" + "88a8" + "0003" + "88a8" + "0004" + "8100" + "0005"
                        + "0800"));
        out.put("vlan-truncated-tag", hex(eth + "8100" + "20"));
        out.put("vlan-tag-no-type", hex(eth + "8100" + "2064"));
        out.put("qinq-second-truncated", hex(eth + "88a8" + "000a" + "8100" + "00"));
        out.put("llc-length-field", hex("0180c2000000" + "02420a000002" + "0026" + "424203000000000080000242"));
        return out;
    }

    // ---- shared plumbing -----------------------------------------------------------------------

    /** Reads the frames of a classic pcap file (either byte order, micro- or nanosecond timestamps). */
    static List<byte[]> readPcap(final Path file) throws IOException {
        final ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
        final int magic = b.getInt(0);
        if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
            b.order(ByteOrder.LITTLE_ENDIAN);
        } else if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
            throw new IOException("not a pcap file: " + file);
        }
        if (b.getInt(20) != 1) {
            throw new IOException("not an Ethernet capture: link type " + b.getInt(20));
        }
        final List<byte[]> frames = new ArrayList<>();
        int at = 24;
        while (at + 16 <= b.limit()) {
            final int captured = b.getInt(at + 8);
            final byte[] frame = new byte[captured];
            b.get(at + 16, frame);
            frames.add(frame);
            at += 16 + captured;
        }
        return frames;
    }

    static byte[] hex(final String hex) {
        return HexFormat.of().parseHex(hex);
    }

    private static byte[] filled(final int length, final int value) {
        final byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) value);
        return bytes;
    }

    private static Path dir(final Path root, final String method) throws IOException {
        return Files.createDirectories(root.resolve(method));
    }

    private static void write(final Path dir, final String name, final byte[] bytes) {
        try {
            Files.write(dir.resolve(name.replaceAll("[^A-Za-z0-9_.-]", "_")), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Builds input for a {@code FuzzedDataProvider}, which takes byte arrays from the front of the input and
     * numbers from the back (the first number from the last bytes, most significant byte first). Calls are made in
     * the order the fuzz test consumes.
     *
     * <p>The same encoder as test-support's {@code FuzzSeed}, which the other modules' seed corpora use: this module
     * cannot, because test-support depends on packet (for its frame builders) and Maven refuses a cycle even in test
     * scope. Change the two together; the checked-in corpora show whether the bytes still agree.
     */
    static final class Fdp {
        private final ByteArrayOutputStream front = new ByteArrayOutputStream();
        private final ByteArrayOutputStream back = new ByteArrayOutputStream();

        /** What {@code consumeInt(min, max)} returns {@code value} for. */
        Fdp range(final int value, final int min, final int max) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(value + " not in " + min + ".." + max);
            }
            final long range = (long) max - min;
            final long raw = (long) value - min;
            int bytes = 0;
            while (bytes < 4 && (range >>> (8 * bytes)) > 0) {
                bytes++;
            }
            for (int i = bytes - 1; i >= 0; i--) {
                back.write((int) (raw >>> (8 * i)));
            }
            return this;
        }

        /** What {@code consumeInt()} returns {@code value} for. */
        Fdp anyInt(final int value) {
            for (int i = 3; i >= 0; i--) {
                back.write(value >>> (8 * i));
            }
            return this;
        }

        /** What {@code consumeLong()} returns {@code value} for. */
        Fdp anyLong(final long value) {
            for (int i = 7; i >= 0; i--) {
                back.write((int) (value >>> (8 * i)));
            }
            return this;
        }

        /** Bytes for {@code consumeBytes} or {@code consumeRemainingAsBytes}, in order. */
        Fdp front(final byte[] bytes) {
            front.writeBytes(bytes);
            return this;
        }

        byte[] bytes() {
            final byte[] tail = back.toByteArray();
            final byte[] out = Arrays.copyOf(front.toByteArray(), front.size() + tail.length);
            for (int i = 0; i < tail.length; i++) {
                out[out.length - 1 - i] = tail[i];
            }
            return out;
        }
    }
}
