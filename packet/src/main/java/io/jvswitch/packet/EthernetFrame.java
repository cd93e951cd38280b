package io.jvswitch.packet;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over an Ethernet II frame (no preamble, no FCS), with up to two VLAN tags: 802.1Q, or 802.1ad
 * (QinQ) outer plus 802.1Q inner.
 *
 * <p>{@link #wrap} walks the tags once and caches where the L3 header starts, so the forwarding path reads
 * {@link #payloadEtherType()} and {@link #payloadOffset()} without re-parsing. Changing the tag layout in the
 * buffer (pushing or popping a tag) therefore requires wrapping again.
 *
 * <p>An EtherType below 0x0600 is an 802.3 length field (LLC frames such as STP); it is reported as is, and the
 * switch forwards such frames at L2 without looking further.
 */
public final class EthernetFrame extends Flyweight {
    public static final int HEADER_LENGTH = 14;
    public static final int DESTINATION_OFFSET = 0;
    public static final int SOURCE_OFFSET = 6;
    public static final int ETHERTYPE_OFFSET = 12;

    /** A VLAN tag is a TPID (the EtherType slot) plus a 2-byte TCI, inserted after the source address. */
    public static final int VLAN_TAG_LENGTH = 4;
    /** Offset of the first tag's TCI (PCP:3, DEI:1, VID:12) when the frame is tagged. */
    public static final int VLAN_TCI_OFFSET = 14;
    /** The most tags {@link #wrap} looks through. */
    public static final int MAX_VLAN_TAGS = 2;

    public static final int VLAN_ID_MASK = 0x0FFF;

    public static final int ETHERTYPE_IPV4 = 0x0800;
    public static final int ETHERTYPE_ARP = 0x0806;
    public static final int ETHERTYPE_VLAN = 0x8100;
    public static final int ETHERTYPE_QINQ = 0x88A8;
    public static final int ETHERTYPE_IPV6 = 0x86DD;

    /** Smallest frame on the wire without FCS; shorter frames must be padded before leaving on a real NIC. */
    public static final int MIN_FRAME_LENGTH = 60;

    private int tagCount;
    private int vlanId = -1;
    private int payloadEtherType;
    private int payloadOffset;

    /**
     * @param length bytes of frame available from {@code offset}.
     * @return false, leaving this unwrapped, if the buffer region is invalid, shorter than 14 bytes, or a VLAN tag
     *         it announces is truncated.
     */
    public boolean wrap(final MutableDirectBuffer buffer, final int offset, final int length) {
        if (!fits(buffer, offset, length, HEADER_LENGTH)) {
            return reject();
        }

        int typeOffset = offset + ETHERTYPE_OFFSET;
        int type = buffer.getShort(typeOffset, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        int tags = 0;
        int firstVlanId = -1;
        final int end = offset + length;
        while (tags < MAX_VLAN_TAGS && (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ)) {
            // The tag's TCI plus the next EtherType must fit: 4 bytes after the TPID's own 2.
            if (typeOffset + 2 + VLAN_TAG_LENGTH > end) {
                return reject();
            }
            if (tags == 0) {
                firstVlanId = buffer.getShort(typeOffset + 2, ByteOrder.BIG_ENDIAN) & VLAN_ID_MASK;
            }
            typeOffset += VLAN_TAG_LENGTH;
            type = buffer.getShort(typeOffset, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            tags++;
        }

        tagCount = tags;
        vlanId = firstVlanId;
        payloadEtherType = type;
        payloadOffset = typeOffset + 2;
        return attach(buffer, offset, length);
    }

    @Override
    public void unwrap() {
        super.unwrap();
        tagCount = 0;
        vlanId = -1;
        payloadEtherType = 0;
        payloadOffset = 0;
    }

    public long destination() {
        return MacAddress.read(buffer, offset + DESTINATION_OFFSET);
    }

    public long source() {
        return MacAddress.read(buffer, offset + SOURCE_OFFSET);
    }

    public void setDestination(final long mac) {
        MacAddress.write(buffer, offset + DESTINATION_OFFSET, mac);
    }

    public void setSource(final long mac) {
        MacAddress.write(buffer, offset + SOURCE_OFFSET, mac);
    }

    /**
     * @return the outer EtherType at offset 12: the first TPID if tagged.
     */
    public int etherType() {
        return buffer.getShort(offset + ETHERTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public boolean isTagged() {
        return tagCount != 0;
    }

    /**
     * @return 0, 1 or 2: how many VLAN tags {@link #wrap} stepped over.
     */
    public int tagCount() {
        return tagCount;
    }

    /**
     * @return the VID of the first (outer) tag, or -1 if untagged. VID 0 means priority-tagged only.
     */
    public int vlanId() {
        return vlanId;
    }

    /**
     * @return the PCP (0..7) of the first tag, or -1 if untagged.
     */
    public int vlanPriority() {
        if (tagCount == 0) {
            return -1;
        }
        return (buffer.getShort(offset + VLAN_TCI_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) >>> 13;
    }

    /**
     * @return the EtherType after the tags: what the L3 header at {@link #payloadOffset()} is. If there were more
     *         than two tags this is the third TPID.
     */
    public int payloadEtherType() {
        return payloadEtherType;
    }

    /**
     * Overwrite the innermost EtherType, e.g. to relabel a payload. Does not change the layout, so the cached
     * view stays valid.
     */
    public void setPayloadEtherType(final int etherType) {
        buffer.putShort(payloadOffset - 2, (short) etherType, ByteOrder.BIG_ENDIAN);
        payloadEtherType = etherType & 0xFFFF;
    }

    /**
     * @return 14 plus 4 per tag.
     */
    public int headerLength() {
        return payloadOffset - offset;
    }

    /**
     * @return absolute buffer offset of the L3 header.
     */
    public int payloadOffset() {
        return payloadOffset;
    }

    /**
     * @return bytes after the Ethernet header, including any padding up to the 60-byte minimum frame.
     */
    public int payloadLength() {
        return offset + length - payloadOffset;
    }
}
