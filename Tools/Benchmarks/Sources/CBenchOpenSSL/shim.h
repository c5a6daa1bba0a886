#ifndef CBENCHOPENSSL_SHIM_H
#define CBENCHOPENSSL_SHIM_H

// libcrypto for the benchmarks' reference calls (the parent package's COpenSSL is not a product). The reference
// SHA-256 uses the low-level SHA256_* functions, as MeshCrypto.SHA256 does; they are deprecated in OpenSSL 3.0 but
// still exported.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <openssl/evp.h>
#include <openssl/sha.h>

// EVP_CIPHER_CTX_ctrl takes macro constants Swift cannot import; the same wrappers MeshCrypto's shim uses.
static inline int cbench_gcm_set_ivlen(EVP_CIPHER_CTX *ctx, int length) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, length, NULL);
}
static inline int cbench_gcm_get_tag(EVP_CIPHER_CTX *ctx, int length, void *tag) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, length, tag);
}
static inline int cbench_gcm_set_tag(EVP_CIPHER_CTX *ctx, int length, const void *tag) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, length, (void *)tag);
}

#endif
