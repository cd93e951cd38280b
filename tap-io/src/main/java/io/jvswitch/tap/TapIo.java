package io.jvswitch.tap;

import io.jvswitch.switching.port.ReadySet;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * How the dataplane does its TAP I/O: one system call per frame ({@link #SYSCALLS}: readv/write,
 * epoll_wait when idle) or reads and writes batched through io_uring ({@link #URING}), which falls
 * back to the system calls where the kernel has no usable io_uring.
 */
public enum TapIo {
    SYSCALLS,
    URING;

    private static final System.Logger LOG = System.getLogger(TapIo.class.getName());
    private static final AtomicBoolean FALLBACK_LOGGED = new AtomicBoolean();
    /**
     * For measurements: how {@link #URING} reads, {@code multishot} (the default), {@code single}
     * (a single-shot read re-armed per frame) or {@code off} (readiness from polls, one readv per
     * frame, as before reads went through the ring).
     */
    static final String RING_READS_PROPERTY = "jvs.tapIo.ringReads";

    /** The name the CLI takes. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code syscalls} or {@code uring}; anything else is refused with a message naming both. */
    public static TapIo parse(String text) {
        for (TapIo mode : values()) {
            if (mode.cliName().equals(text)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("unknown TAP I/O '" + text + "': use syscalls or uring");
    }

    /**
     * The dataplane's ready set for this mode. {@link #URING} falls back to {@link EpollReadySet}
     * when io_uring cannot be set up ({@code ENOSYS}, {@code EPERM} under
     * {@code kernel.io_uring_disabled}, a kernel before 5.11), saying so once in the log.
     */
    public ReadySet openReadySet() throws TapException {
        return openReadySet(UringReadySet.DEFAULT_ENTRIES);
    }

    /** As {@link #openReadySet()} with a ring of {@code uringEntries} submission slots. */
    ReadySet openReadySet(int uringEntries) throws TapException {
        if (this == URING) {
            try {
                final String reads = System.getProperty(RING_READS_PROPERTY, "multishot");
                final UringReadySet ring = UringReadySet.create(
                        uringEntries,
                        UringReadySet.DEFAULT_TX_BYTES,
                        "off".equals(reads) ? 0 : UringReadySet.DEFAULT_READ_BUFFERS,
                        !"single".equals(reads));
                LOG.log(
                        System.Logger.Level.INFO,
                        ring.reads() != null
                                ? "TAP I/O through io_uring: a duty cycle's reads and writes in one batch"
                                : "TAP I/O through io_uring: a duty cycle's writes in one batch");
                return ring;
            } catch (TapException e) {
                if (!FALLBACK_LOGGED.getAndSet(true)) {
                    LOG.log(
                            System.Logger.Level.WARNING,
                            "io_uring is unavailable ({0}): TAP I/O falls back to one system call per frame",
                            e.getMessage());
                }
            }
        }
        return new EpollReadySet();
    }
}
