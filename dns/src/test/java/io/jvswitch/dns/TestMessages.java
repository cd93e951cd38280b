package io.jvswitch.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsSection;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** Builds DNS messages byte by byte (so tests can make them malformed) and decodes answers with netty. */
final class TestMessages {
    private TestMessages() {}

    /** A standard query, RD set, with an OPT record advertising {@code ednsSize} when it is positive. */
    static byte[] query(int id, String name, int qtype, int ednsSize) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        u16(out, id);
        u16(out, 0x0100);
        u16(out, 1);
        u16(out, 0);
        u16(out, 0);
        u16(out, ednsSize > 0 ? 1 : 0);
        out.writeBytes(NameSnapshot.wireName(name));
        u16(out, qtype);
        u16(out, DnsWire.CLASS_IN);
        if (ednsSize > 0) {
            out.write(0);
            u16(out, DnsWire.TYPE_OPT);
            u16(out, ednsSize);
            u16(out, 0);
            u16(out, 0);
            u16(out, 0);
        }
        return out.toByteArray();
    }

    static void u16(ByteArrayOutputStream out, int v) {
        out.write(v >>> 8);
        out.write(v);
    }

    static int u16(byte[] b, int offset) {
        return ((b[offset] & 0xFF) << 8) | (b[offset + 1] & 0xFF);
    }

    /** A buffer holding {@code message} at offset 0 with room for 64 KiB. */
    static UnsafeBuffer buffer(byte[] message) {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[65_536 + 64]);
        buffer.putBytes(0, message);
        return buffer;
    }

    static int rcode(UnsafeBuffer answer) {
        return answer.getByte(3) & 0xF;
    }

    static boolean truncated(UnsafeBuffer answer) {
        return (answer.getByte(2) & 0x02) != 0;
    }

    /** Decodes an answer with netty's DNS codec: an independent check of the wire format. */
    static DatagramDnsResponse decode(UnsafeBuffer buffer, int length) {
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        final EmbeddedChannel channel = new EmbeddedChannel(new DatagramDnsResponseDecoder());
        channel.writeInbound(new DatagramPacket(
                Unpooled.wrappedBuffer(bytes),
                new InetSocketAddress("127.0.0.1", 1),
                new InetSocketAddress("127.0.0.1", 53)));
        final DatagramDnsResponse response = channel.readInbound();
        channel.finishAndReleaseAll();
        return response;
    }

    /** The RDATA of every answer record, in order. */
    static List<byte[]> answers(DatagramDnsResponse response) {
        final List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < response.count(DnsSection.ANSWER); i++) {
            final DnsRecord record = response.recordAt(DnsSection.ANSWER, i);
            final ByteBuf content = ((DnsRawRecord) record).content();
            final byte[] bytes = new byte[content.readableBytes()];
            content.getBytes(content.readerIndex(), bytes);
            out.add(bytes);
        }
        return out;
    }

    static int ip(String dotted) {
        final String[] p = dotted.split("\\.");
        return (Integer.parseInt(p[0]) << 24)
                | (Integer.parseInt(p[1]) << 16)
                | (Integer.parseInt(p[2]) << 8)
                | Integer.parseInt(p[3]);
    }

    static String ipOf(byte[] rdata) {
        return (rdata[0] & 0xFF) + "." + (rdata[1] & 0xFF) + "." + (rdata[2] & 0xFF) + "." + (rdata[3] & 0xFF);
    }
}
