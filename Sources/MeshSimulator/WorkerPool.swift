import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Helper threads that run a batch of numbered chunks of work alongside the calling thread: how the simulator
/// spreads one window's nodes over the cores (`Simulation.threads`).
///
/// Hand-written on pthreads rather than on Dispatch: a window lasts from a few to a few hundred microseconds and a
/// 120 s run of 1,000 nodes has about 20,000 of them, so the helpers spin for the next batch a little before they
/// sleep on a condition variable; a Dispatch group's wake-up per batch cost more than many windows' work. The only
/// state the chunks share is what the caller gives them; results are merged by the caller in chunk order, so the
/// outcome does not depend on which thread ran which chunk.
final class WorkerPool: @unchecked Sendable {
    /// The helper threads (the caller is one more worker).
    let helpers: Int
    private let generation = Atomic<Int>(0)
    private let nextChunk = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    /// The batch under way: written before `generation` is bumped, read by the helpers after they see the bump.
    private nonisolated(unsafe) var work: ((Int) -> Void)?
    private nonisolated(unsafe) var chunks = 0
    private var threads: [pthread_t] = []
    /// Checks of the generation a helper spins through before it yields (about 0.1–0.3 ms: longer than the
    /// caller's work between most windows), and yields before it sleeps.
    private static let spins = 1 << 18
    private static let yields = 100

    /// A pool of `helpers` threads (at least one), started at once.
    init(helpers: Int) {
        precondition(helpers >= 1, "a pool has at least one helper")
        self.helpers = helpers
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        for _ in 0..<helpers {
            var thread = pthread_t()
            let context = Unmanaged.passRetained(self).toOpaque()
            let result = pthread_create(
                &thread, nil,
                { context in
                    let pool = Unmanaged<WorkerPool>.fromOpaque(context!).takeRetainedValue()
                    pool.helperLoop()
                    return nil
                }, context)
            precondition(result == 0, "pthread_create failed (\(result))")
            threads.append(thread)
        }
    }

    /// Stops and joins the helpers. The pool cannot be used after.
    func stop() {
        guard !threads.isEmpty else { return }
        stopping.store(true, ordering: .sequentiallyConsistent)
        bump()
        for thread in threads { pthread_join(thread, nil) }
        threads = []
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body(0) … body(count − 1)`, each once, on the helpers and the calling thread; returns when all are done.
    func run(chunks count: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            work = body
            chunks = count
            nextChunk.store(0, ordering: .sequentiallyConsistent)
            finished.store(0, ordering: .sequentiallyConsistent)
            bump()
            drain()
            var waited = 0
            while finished.load(ordering: .acquiring) < helpers {
                waited += 1
                if waited > Self.spins { sched_yield() }
            }
            work = nil
        }
    }

    private func bump() {
        generation.add(1, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
    }

    private func drain() {
        guard let work else { return }
        while true {
            let chunk = nextChunk.add(1, ordering: .sequentiallyConsistent).oldValue
            guard chunk < chunks else { return }
            work(chunk)
        }
    }

    private func helperLoop() {
        var seen = 0
        while true {
            var checks = 0
            while generation.load(ordering: .acquiring) == seen {
                checks += 1
                if checks < Self.spins { continue }
                if checks < Self.spins + Self.yields {
                    sched_yield()
                    continue
                }
                pthread_mutex_lock(mutex)
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while generation.load(ordering: .sequentiallyConsistent) == seen {
                    pthread_cond_wait(condition, mutex)
                }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(mutex)
            }
            seen = generation.load(ordering: .acquiring)
            if stopping.load(ordering: .acquiring) { return }
            drain()
            finished.add(1, ordering: .sequentiallyConsistent)
        }
    }
}
