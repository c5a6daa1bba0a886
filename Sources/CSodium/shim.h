#ifndef CSODIUM_SHIM_H
#define CSODIUM_SHIM_H

#include <sodium.h>

// Macros that Swift cannot import as constants, wrapped as prefixed functions.
static inline size_t csodium_sign_bytes(void) { return crypto_sign_BYTES; }
static inline size_t csodium_sign_publickeybytes(void) { return crypto_sign_PUBLICKEYBYTES; }
static inline size_t csodium_sign_secretkeybytes(void) { return crypto_sign_SECRETKEYBYTES; }
static inline size_t csodium_sign_seedbytes(void) { return crypto_sign_SEEDBYTES; }
static inline size_t csodium_scalarmult_bytes(void) { return crypto_scalarmult_BYTES; }
static inline size_t csodium_scalarmult_scalarbytes(void) { return crypto_scalarmult_SCALARBYTES; }

#endif
