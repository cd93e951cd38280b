package io.jvswitch.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.ThreadMXBean;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * A full address book's overflow policy ({@link AddressOwners}), for both families over their real
 * books: learning a new address into it is refused, and the sweep for aged learned entries that
 * could make room runs no more often than entries can age, so a tunnel's stream of ARP or neighbor
 * discovery for new addresses does not rebuild the table once per frame. Each case runs from an
 * ordinary start time and from one where nanoTime wraps past {@link Long#MAX_VALUE} on the way.
 */
class FullAddressBookSweepTest {
    static final int LIMIT = 64;
    static final long AGING = TimeUnit.SECONDS.toNanos(300);
    static final int SLOT = 7;
    static final int PEER = 0x0AC8_0002;
    static final long MAC = 0x024A_0A0A_0000L;

    /**
     * Learning address {@code n} (with MAC {@code n}) from the tunnel at {@code nowNanos}; without
     * {@code apply}, a trace: what learning would answer.
     */
    @FunctionalInterface
    interface Learner {
        int learn(int n, long nowNanos, boolean apply);
    }

    /** One family's real book, as these tests use it: its addresses and their MACs are numbered. */
    record Book(
            String family,
            Learner learner,
            IntConsumer localAdder,
            IntSupplier sizer,
            LongSupplier refusals,
            LongSupplier sweeps) {
        static Book ipv4() {
            final AddressBook book = new AddressBook(LIMIT, AGING);
            return new Book(
                    "IPv4",
                    (n, now, apply) -> book.learn(0x0A0A_0000 + n, MAC + n, SLOT, PEER, now, apply),
                    n -> book.put(0x0A0A_0000 + n, MAC + n),
                    book::size,
                    book::learnRefused,
                    book::fullSweeps);
        }

        static Book ipv6() {
            final Ipv6AddressBook book = new Ipv6AddressBook(LIMIT, AGING);
            final long net = 0xFD00_0040_0000_0000L;
            return new Book(
                    "IPv6",
                    (n, now, apply) -> book.learn(net, n, MAC + n, SLOT, PEER, now, apply),
                    n -> book.put(net, n, MAC + n),
                    book::size,
                    book::learnRefused,
                    book::fullSweeps);
        }

        int learn(int n, long nowNanos) {
            return learner.learn(n, nowNanos, true);
        }

        int trace(int n, long nowNanos) {
            return learner.learn(n, nowNanos, false);
        }

        /** The control plane adds address {@code n}. */
        void putLocal(int n) {
            localAdder.accept(n);
        }

        int size() {
            return sizer.getAsInt();
        }

        long learnRefused() {
            return refusals.getAsLong();
        }

        long fullSweeps() {
            return sweeps.getAsLong();
        }

        @Override
        public String toString() {
            return family;
        }
    }

    /** Each family's empty book, from an ordinary start time and from one that wraps. */
    static Stream<Arguments> books() {
        final List<Arguments> cases = new ArrayList<>();
        for (long t0 : new long[] {1_000L, Long.MAX_VALUE - AGING / 2}) {
            cases.add(Arguments.of(Book.ipv4(), t0));
            cases.add(Arguments.of(Book.ipv6(), t0));
        }
        return cases.stream();
    }

    /** Fills the book with learned addresses 1..LIMIT, heard of at {@code t0}. */
    static void fillLearned(Book book, long t0) {
        for (int n = 1; n <= LIMIT; n++) {
            assertEquals(AddressOwners.LEARNED, book.learn(n, t0));
        }
        assertEquals(LIMIT, book.size());
    }

    @ParameterizedTest(name = "{0}, t0={1}")
    @MethodSource("books")
    void aFreshFullBookRefusesEveryNewAddressWithAtMostOneSweepUntilItsEntriesAge(Book book, long t0) {
        fillLearned(book, t0);
        final int attempts = 10_000;
        assertEquals(AddressOwners.REFUSED_FULL, book.learn(LIMIT + 1, t0 + 1));
        for (int k = 1; k <= attempts; k++) {
            final long now = t0 + k * (AGING / attempts); // the last at t0 + AGING: nothing aged yet
            assertEquals(AddressOwners.REFUSED_FULL, book.learn(LIMIT + 1 + k, now));
        }
        assertTrue(book.fullSweeps() <= 1, book.fullSweeps() + " sweeps of a book whose entries cannot have aged");
        assertEquals(attempts + 1, book.learnRefused());
        assertEquals(LIMIT, book.size());

        final long sweeps = book.fullSweeps();
        assertEquals(AddressOwners.LEARNED, book.learn(LIMIT + attempts + 2, t0 + AGING + 1), "all aged now");
        assertEquals(sweeps + 1, book.fullSweeps());
        assertEquals(1, book.size(), "the sweep took every aged entry");
    }

    @ParameterizedTest(name = "{0}, t0={1}")
    @MethodSource("books")
    void aTraceIntoAFullBookAnswersWhatLearningWouldAndChangesNothing(Book book, long t0) {
        fillLearned(book, t0);
        assertEquals(AddressOwners.REFUSED_FULL, book.trace(LIMIT + 1, t0 + 1), "nothing aged: learning refuses");
        assertEquals(AddressOwners.REFUSED_FULL, book.trace(LIMIT + 1, t0 + AGING), "nothing aged yet");
        assertEquals(AddressOwners.LEARNED, book.trace(LIMIT + 1, t0 + AGING + 1), "learning would sweep and take it");
        assertEquals(LIMIT, book.size());
        assertEquals(0, book.fullSweeps(), "a trace does not sweep");
        assertEquals(0, book.learnRefused(), "a trace counts nothing");

        assertEquals(AddressOwners.LEARNED, book.learn(LIMIT + 1, t0 + AGING + 1), "as the trace said");
        assertEquals(1, book.fullSweeps());
    }

    @ParameterizedTest(name = "{0}, t0={1}")
    @MethodSource("books")
    void aTraceIntoAFullBookOfTheControlPlanesEntriesAnswersRefused(Book book, long t0) {
        for (int n = 1; n <= LIMIT; n++) {
            book.putLocal(n);
        }
        assertEquals(AddressOwners.REFUSED_FULL, book.trace(LIMIT + 1, t0 + 10 * AGING), "local entries never age");
        assertEquals(AddressOwners.REFUSED_FULL, book.learn(LIMIT + 1, t0 + 10 * AGING));
    }

    @ParameterizedTest(name = "{0}, t0={1}")
    @MethodSource("books")
    void entriesHeardOfAgainPushTheNextSweepBackByWhatTheyGained(Book book, long t0) {
        fillLearned(book, t0);
        assertEquals(AddressOwners.REFUSED_FULL, book.learn(LIMIT + 1, t0 + 1));
        assertEquals(1, book.fullSweeps(), "the first attempt on a full book sweeps: no bound yet");
        final long refreshed = t0 + AGING / 2;
        for (int n = 1; n <= LIMIT; n++) {
            assertEquals(AddressOwners.LEARNED, book.learn(n, refreshed), "heard of again from its peer");
        }

        // Due by the first sweep's bound, the sweep finds every entry heard of again: it frees nothing.
        assertEquals(AddressOwners.REFUSED_FULL, book.learn(LIMIT + 2, t0 + AGING + 1));
        assertEquals(2, book.fullSweeps());
        assertEquals(LIMIT, book.size());
        final int attempts = 1_000;
        for (int k = 1; k <= attempts; k++) {
            final long now = t0 + AGING + 1 + k * ((refreshed + AGING - (t0 + AGING + 1)) / attempts);
            assertEquals(AddressOwners.REFUSED_FULL, book.learn(LIMIT + 2 + k, now));
        }
        assertEquals(AddressOwners.REFUSED_FULL, book.learn(LIMIT + attempts + 3, refreshed + AGING));
        assertEquals(2, book.fullSweeps(), "no sweep before the refreshed entries can age");

        assertEquals(AddressOwners.LEARNED, book.learn(LIMIT + attempts + 4, refreshed + AGING + 1));
        assertEquals(3, book.fullSweeps());
        assertEquals(1, book.size());
        assertEquals(attempts + 3, book.learnRefused());
    }

    @ParameterizedTest(name = "{0}, t0={1}")
    @MethodSource("books")
    void aBookFullOfTheControlPlanesEntriesSweepsAtMostOncePerAgingTime(Book book, long t0) {
        for (int n = 1; n <= LIMIT; n++) {
            book.putLocal(n);
        }
        final int attempts = 2_000;
        final long step = AGING / 200; // ten aging times in all
        final List<Long> sweptAt = new ArrayList<>();
        for (int k = 0; k < attempts; k++) {
            final long now = t0 + k * step + 1;
            final long before = book.fullSweeps();
            assertEquals(AddressOwners.REFUSED_FULL, book.learn(LIMIT + 1 + k, now));
            if (book.fullSweeps() != before) {
                sweptAt.add(now);
            }
        }
        for (int i = 1; i < sweptAt.size(); i++) {
            final long apart = sweptAt.get(i) - sweptAt.get(i - 1);
            assertTrue(apart > AGING, "sweeps " + apart + " ns apart, less than the aging time");
        }
        assertTrue(sweptAt.size() <= 1 + (attempts - 1) * step / AGING, sweptAt.size() + " sweeps");
        assertEquals(attempts, book.learnRefused());
        assertEquals(LIMIT, book.size(), "the control plane's entries never age out");
    }

    /** The defect this policy mends: every refused attempt used to rebuild, and so allocate, the table. */
    @ParameterizedTest(name = "{0}, t0={1}")
    @MethodSource("books")
    void aRefusedLearnAttemptOnAFreshFullBookAllocatesNothing(Book book, long t0) {
        fillLearned(book, t0);
        assertEquals(AddressOwners.REFUSED_FULL, book.learn(LIMIT + 1, t0 + 1)); // the first sweep
        final ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        final int attempts = 20_000;
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int k = 1; k <= attempts; k++) {
            if (book.learn(LIMIT + 1 + k, t0 + 1 + k) != AddressOwners.REFUSED_FULL) {
                throw new AssertionError("attempt " + k + " was not refused");
            }
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < attempts, allocated + " bytes allocated by " + attempts + " refused attempts");
        assertEquals(1, book.fullSweeps());
    }
}
