internal import CSodium

/// libsodium must be initialised once before its random generator and CPU-specific code paths are used.
/// A Swift global is initialised exactly once, thread-safely, on first touch.
let sodiumInitialised: Bool = {
    let result = sodium_init()
    precondition(result >= 0, "libsodium failed to initialise (sodium_init returned \(result))")
    return true
}()

@inline(__always)
func ensureSodium() {
    _ = sodiumInitialised
}
