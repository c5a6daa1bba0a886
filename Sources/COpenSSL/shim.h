#ifndef COPENSSL_SHIM_H
#define COPENSSL_SHIM_H

// The SHA-256 one-shot path uses OpenSSL's low-level SHA256_* functions (deprecated for new code in 3.0,
// still exported): unlike EVP_Digest they need no algorithm fetch and no heap context per call, which is
// what a 64-byte hash on the packet path wants. Suppress the deprecation attributes for this header only.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/params.h>
#include <openssl/sha.h>

// --- AES-256-GCM: EVP_CIPHER_CTX_ctrl takes macro constants; wrap each use.

static inline int copenssl_gcm_set_ivlen(EVP_CIPHER_CTX *ctx, int length) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, length, NULL);
}
// The tag goes through the provider's parameter interface directly: EVP_CIPHER_CTX_ctrl translates each call into
// the same parameters first, which cost ~25 ns of a 1200-byte packet's seal in name lookups.
static inline int copenssl_gcm_get_tag(EVP_CIPHER_CTX *ctx, int length, void *tag) {
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, (size_t)length);
    params[1] = OSSL_PARAM_construct_end();
    return EVP_CIPHER_CTX_get_params(ctx, params);
}
static inline int copenssl_gcm_set_tag(EVP_CIPHER_CTX *ctx, int length, const void *tag) {
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, (void *)tag, (size_t)length);
    params[1] = OSSL_PARAM_construct_end();
    return EVP_CIPHER_CTX_set_params(ctx, params);
}

// --- SHA-256, low level (see the note at the top).

static inline int copenssl_sha256_init(SHA256_CTX *ctx) { return SHA256_Init(ctx); }
static inline int copenssl_sha256_update(SHA256_CTX *ctx, const void *data, size_t length) {
    return SHA256_Update(ctx, data, length);
}
static inline int copenssl_sha256_final(SHA256_CTX *ctx, unsigned char *digest) { return SHA256_Final(digest, ctx); }

static inline const char *copenssl_version_text(void) { return OpenSSL_version(OPENSSL_VERSION); }

#endif
