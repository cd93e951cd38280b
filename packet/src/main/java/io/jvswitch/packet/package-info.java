/**
 * Zero-allocation views over packet bytes held in agrona buffers.
 *
 * <p>Every flyweight here is reused across packets: {@code wrap} points it at a region of a buffer, checks that
 * the fixed header fits and is plausible, and returns {@code false} (leaving the flyweight unwrapped) instead of
 * throwing when it does not. Accessors read the buffer directly each time, so writes through a setter are visible
 * to the next read. All wire fields are network byte order (big-endian) except the virtio-net header, which the
 * kernel writes in the host's byte order (little-endian on x86 and arm64).
 *
 * <p>Addresses travel as primitives: a MAC address is a {@code long} holding 48 bits, an IPv4 address an
 * {@code int}, an IPv6 address two {@code long}s. That keeps them usable as hash keys without boxing.
 */
package io.jvswitch.packet;
