package io.jvswitch.nat;

import java.util.Locale;

/**
 * The TCP connection states conntrack follows, and the transitions a segment causes, as in the
 * Linux kernel's {@code tcp_conntracks} table (without its SYN_SENT2 simultaneous-open state,
 * which is taken as "ignore"). States are small ints so the table stores them in a byte.
 *
 * <p>A transition is looked up by the direction of the segment (the one that opened the
 * connection, or the reply), its class (SYN, SYN+ACK, FIN, ACK, RST) and the current state. The
 * answer is a new state, {@link #IGNORE} (pass the segment, keep the state: a retransmission or
 * a segment the tracker has no opinion on) or {@link #INVALID} (drop it).
 */
public final class TcpStates {
    public static final int NONE = 0;
    public static final int SYN_SENT = 1;
    public static final int SYN_RECV = 2;
    public static final int ESTABLISHED = 3;
    public static final int FIN_WAIT = 4;
    public static final int CLOSE_WAIT = 5;
    public static final int LAST_ACK = 6;
    public static final int TIME_WAIT = 7;
    public static final int CLOSE = 8;
    public static final int COUNT = 9;

    public static final int IGNORE = -1;
    public static final int INVALID = -2;

    static final int CLASS_SYN = 0;
    static final int CLASS_SYN_ACK = 1;
    static final int CLASS_FIN = 2;
    static final int CLASS_ACK = 3;
    static final int CLASS_RST = 4;
    static final int CLASS_NONE = 5;

    private static final String[] LABELS = {
        "none", "syn-sent", "syn-recv", "established", "fin-wait", "close-wait", "last-ack", "time-wait", "close",
    };

    private static final int SS = SYN_SENT;
    private static final int SR = SYN_RECV;
    private static final int ES = ESTABLISHED;
    private static final int FW = FIN_WAIT;
    private static final int CW = CLOSE_WAIT;
    private static final int LA = LAST_ACK;
    private static final int TW = TIME_WAIT;
    private static final int CL = CLOSE;
    private static final int IG = IGNORE;
    private static final int IV = INVALID;

    // Columns: NONE, SYN_SENT, SYN_RECV, ESTABLISHED, FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT, CLOSE.
    private static final int[][] ORIGINAL = {
        /* syn     */ {SS, SS, IG, IG, IG, IG, IG, SS, SS},
        /* syn-ack */ {IV, IV, SR, IV, IV, IV, IV, IV, IV},
        /* fin     */ {IV, IV, FW, FW, LA, LA, LA, TW, CL},
        /* ack     */ {IV, IV, ES, ES, CW, CW, TW, TW, CL},
        /* rst     */ {IV, CL, CL, CL, CL, CL, CL, CL, CL},
    };
    private static final int[][] REPLY = {
        /* syn     */ {IV, IG, IV, IV, IV, IV, IV, SS, IV},
        /* syn-ack */ {IV, SR, IG, IG, IG, IG, IG, IG, IG},
        /* fin     */ {IV, IV, FW, FW, LA, LA, LA, TW, CL},
        /* ack     */ {IV, IG, SR, ES, CW, CW, TW, TW, CL},
        /* rst     */ {IV, CL, CL, CL, CL, CL, CL, CL, CL},
    };

    /**
     * Flag combinations a sane TCP sends, indexed by the flags with PSH, ECE and CWR masked off
     * (FIN=1, SYN=2, RST=4, ACK=0x10, URG=0x20), as the kernel's {@code tcp_valid_flags}.
     */
    private static final boolean[] VALID_FLAGS = new boolean[64];

    static {
        final int fin = 0x01;
        final int syn = 0x02;
        final int rst = 0x04;
        final int ack = 0x10;
        final int urg = 0x20;
        for (int flags :
                new int[] {syn, syn | urg, syn | ack, rst, rst | ack, fin | ack, fin | ack | urg, ack, ack | urg}) {
            VALID_FLAGS[flags] = true;
        }
    }

    private TcpStates() {}

    /** @return whether the eight TCP flag bits form a combination a real TCP sends. */
    public static boolean validFlags(int flags) {
        return VALID_FLAGS[flags & 0x37];
    }

    /** @return the segment's class for the transition table; flags must be {@linkplain #validFlags valid}. */
    static int classOf(int flags) {
        if ((flags & 0x04) != 0) {
            return CLASS_RST;
        }
        if ((flags & 0x02) != 0) {
            return (flags & 0x10) != 0 ? CLASS_SYN_ACK : CLASS_SYN;
        }
        if ((flags & 0x01) != 0) {
            return CLASS_FIN;
        }
        return (flags & 0x10) != 0 ? CLASS_ACK : CLASS_NONE;
    }

    /**
     * @param reply whether the segment travels in the reply direction
     * @param flags the segment's eight flag bits, already {@linkplain #validFlags valid}
     * @return the new state, {@link #IGNORE} or {@link #INVALID}
     */
    public static int next(int state, boolean reply, int flags) {
        final int segmentClass = classOf(flags);
        if (segmentClass == CLASS_NONE) {
            return INVALID;
        }
        return (reply ? REPLY : ORIGINAL)[segmentClass][state];
    }

    /** @return whether a segment with these flags may open a connection: a bare SYN. */
    public static boolean opensConnection(int flags) {
        return (flags & 0x17) == 0x02;
    }

    public static String label(int state) {
        return state >= 0 && state < COUNT ? LABELS[state] : "invalid";
    }

    /** @return the state named {@code label} (as {@link #label} prints it; '_' also accepted), or throw. */
    public static int byLabel(String label) {
        final String wanted = label.toLowerCase(Locale.ROOT).replace('_', '-');
        for (int state = SYN_SENT; state < COUNT; state++) {
            if (LABELS[state].equals(wanted)) {
                return state;
            }
        }
        throw new IllegalArgumentException("no TCP state '" + label + "' (syn-sent, syn-recv, established, fin-wait,"
                + " close-wait, last-ack, time-wait, close)");
    }
}
