import MeshCore

/// The instant `milliseconds` after the epoch: recovery tests run in virtual time from zero.
func instant(ms milliseconds: Int64) -> Instant {
    Instant.epoch + .milliseconds(milliseconds)
}
