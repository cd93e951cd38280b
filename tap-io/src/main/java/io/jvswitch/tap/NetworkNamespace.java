package io.jvswitch.tap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs code inside another network namespace.
 *
 * <p>{@code setns(2)} changes the namespace of the calling OS thread only, so each call gets a new
 * platform thread that enters the namespace, runs the action and ends; no thread of the JVM's
 * pools is ever left in a foreign namespace. Sockets and TAP descriptors opened by the action belong
 * to that namespace and keep working after the thread ends.
 */
public final class NetworkNamespace {
    private static final AtomicLong THREAD_IDS = new AtomicLong();

    private NetworkNamespace() {}

    /** The file {@code ip netns add NAME} creates: {@code /run/netns/NAME}. */
    public static Path named(String name) {
        return Path.of("/run/netns", name);
    }

    /** The namespace of a running process: {@code /proc/PID/ns/net}. */
    public static Path ofProcess(long pid) {
        return Path.of("/proc", Long.toString(pid), "ns", "net");
    }

    /**
     * Runs {@code action} on a new platform thread that has first entered the network namespace
     * {@code namespaceFile}, waits for it and returns its result.
     *
     * <p>Whatever the action throws is rethrown here unchanged. The calling thread waits even if it is
     * interrupted (abandoning the action could leak what it opens); its interrupt status is kept.
     *
     * @throws TapException if the namespace file cannot be opened or entered; the action did not run
     */
    public static <T> T call(Path namespaceFile, Callable<T> action) throws Exception {
        Objects.requireNonNull(namespaceFile, "namespaceFile");
        Objects.requireNonNull(action, "action");
        var outcome = new Outcome<T>();
        Thread worker = Thread.ofPlatform()
                .name("jvs-netns-" + THREAD_IDS.incrementAndGet())
                .daemon(true)
                .unstarted(() -> {
                    try {
                        enter(namespaceFile);
                        outcome.value = action.call();
                    } catch (Throwable t) {
                        outcome.failure = t;
                    }
                });
        worker.start();
        joinUninterruptibly(worker);
        if (outcome.failure != null) {
            switch (outcome.failure) {
                case Exception e -> throw e;
                case Error e -> throw e;
                default -> throw new IllegalStateException(outcome.failure);
            }
        }
        return outcome.value;
    }

    /** Moves the calling OS thread into the network namespace {@code namespaceFile}. */
    private static void enter(Path namespaceFile) throws TapException {
        String shown = namespaceFile.toString();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment callState = LibC.allocateCallState(arena);
            int fd = LibC.open(callState, arena.allocateFrom(shown), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
            if (fd < 0) {
                int errno = LibC.errno(callState);
                String why = switch (errno) {
                    case Errno.ENOENT ->
                        "network namespace file " + shown + " does not exist"
                                + " (the namespace was deleted or never created; 'ip netns add NAME' creates /run/netns/NAME,"
                                + " /proc/PID/ns/net exists only while PID runs)";
                    case Errno.EACCES, Errno.EPERM -> "opening network namespace file " + shown + " needs root";
                    case Errno.ENOTDIR -> "network namespace path " + shown + " has a file where a directory should be";
                    default -> "cannot open network namespace file " + shown;
                };
                throw new TapException(why + " (" + Errno.describe(errno) + ")", errno, shown);
            }
            int rc = LibC.setns(callState, fd, LibC.CLONE_NEWNET);
            int errno = rc < 0 ? LibC.errno(callState) : 0;
            LibC.close(callState, fd);
            if (rc < 0) {
                String why = switch (errno) {
                    case Errno.EINVAL ->
                        shown + " is not a network namespace (setns with CLONE_NEWNET refused it;"
                                + " a stale /run/netns entry, another namespace type or an ordinary file)";
                    case Errno.EPERM -> "entering network namespace " + shown + " needs root or CAP_SYS_ADMIN";
                    default -> "cannot enter network namespace " + shown;
                };
                throw new TapException(why + " (" + Errno.describe(errno) + ")", errno, shown);
            }
        }
    }

    private static void joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static final class Outcome<T> {
        T value;
        Throwable failure;
    }
}
