package io.jvswitch.tap;

/**
 * Linux errno values the TAP code meets, their symbolic names and their C library messages.
 *
 * <p>The numbers are the Linux generic ones (x86-64 and arm64 share them).
 */
public final class Errno {

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENXIO = 6;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    /** Same value as {@link #EAGAIN} on Linux. */
    public static final int EWOULDBLOCK = EAGAIN;

    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int ENOTDIR = 20;
    public static final int EINVAL = 22;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int ENOTTY = 25;
    public static final int ENOSPC = 28;
    public static final int ENAMETOOLONG = 36;
    public static final int ENOSYS = 38;
    public static final int ELOOP = 40;
    public static final int ETIME = 62;
    public static final int EBADFD = 77;
    public static final int EMSGSIZE = 90;
    public static final int EOPNOTSUPP = 95;
    public static final int ENOBUFS = 105;
    public static final int ECANCELED = 125;

    private Errno() {}

    /** The symbolic name of {@code errno}, such as {@code "EBUSY"}, or {@code "errno 123"} if unknown here. */
    public static String name(int errno) {
        return switch (errno) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case ESRCH -> "ESRCH";
            case EINTR -> "EINTR";
            case EIO -> "EIO";
            case ENXIO -> "ENXIO";
            case EBADF -> "EBADF";
            case EAGAIN -> "EAGAIN";
            case ENOMEM -> "ENOMEM";
            case EACCES -> "EACCES";
            case EFAULT -> "EFAULT";
            case EBUSY -> "EBUSY";
            case EEXIST -> "EEXIST";
            case ENODEV -> "ENODEV";
            case ENOTDIR -> "ENOTDIR";
            case EINVAL -> "EINVAL";
            case ENFILE -> "ENFILE";
            case EMFILE -> "EMFILE";
            case ENOTTY -> "ENOTTY";
            case ENOSPC -> "ENOSPC";
            case ENAMETOOLONG -> "ENAMETOOLONG";
            case ELOOP -> "ELOOP";
            case EBADFD -> "EBADFD";
            case EMSGSIZE -> "EMSGSIZE";
            case EOPNOTSUPP -> "EOPNOTSUPP";
            case ENOBUFS -> "ENOBUFS";
            default -> "errno " + errno;
        };
    }

    /** The C library's description of {@code errno} ({@code strerror}), e.g. "Device or resource busy". */
    public static String message(int errno) {
        return LibC.strerror(errno);
    }

    /** {@code "EBUSY (Device or resource busy)"}: the form used in exception messages. */
    public static String describe(int errno) {
        return name(errno) + " (" + message(errno) + ")";
    }

    /**
     * Whether a failed read or write on a TAP descriptor means the device is gone for good: it was
     * deleted, or destroyed with the network namespace it lived in (the kernel then answers
     * {@code EBADFD}), or the descriptor itself is no longer valid.
     *
     * <p>Meant for reads. A write also fails with {@code EIO} while the interface is merely down, so
     * {@link TapPort#transmit} handles {@code EIO} before asking this.
     */
    public static boolean isDeviceGone(int errno) {
        return errno == EBADFD || errno == ENODEV || errno == EIO || errno == ENXIO || errno == EBADF;
    }
}
