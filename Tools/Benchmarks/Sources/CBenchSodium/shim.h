#ifndef CBENCHSODIUM_SHIM_H
#define CBENCHSODIUM_SHIM_H

// libsodium for the benchmarks' reference calls (the parent package's CSodium is not a product).
#include <sodium.h>

#endif
