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
#include <openssl/kdf.h>
#include <openssl/opensslv.h>
#include <openssl/params.h>
#include <openssl/sha.h>

// --- AES-256-GCM: EVP_CIPHER_CTX_ctrl takes macro constants; wrap each use.

static inline int copenssl_gcm_set_ivlen(EVP_CIPHER_CTX *ctx, int length) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, length, NULL);
}
static inline int copenssl_gcm_get_tag(EVP_CIPHER_CTX *ctx, int length, void *tag) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, length, tag);
}
static inline int copenssl_gcm_set_tag(EVP_CIPHER_CTX *ctx, int length, const void *tag) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, length, (void *)tag);
}

// --- SHA-256, low level (see the note at the top).

static inline int copenssl_sha256_init(SHA256_CTX *ctx) { return SHA256_Init(ctx); }
static inline int copenssl_sha256_update(SHA256_CTX *ctx, const void *data, size_t length) {
    return SHA256_Update(ctx, data, length);
}
static inline int copenssl_sha256_final(SHA256_CTX *ctx, unsigned char *digest) { return SHA256_Final(digest, ctx); }

// --- HMAC-SHA256 and HKDF-SHA256 through the EVP_MAC / EVP_KDF provider APIs. Their parameters are
// OSSL_PARAM arrays named by string macros, which are easiest to build here. `mac` / `kdf` are fetched
// once by the caller (EVP_MAC_fetch(NULL, "HMAC", NULL), EVP_KDF_fetch(NULL, "HKDF", NULL)).

static inline EVP_MAC_CTX *copenssl_hmac_sha256_new(EVP_MAC *mac, const void *key, size_t keyLength) {
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    if (ctx == NULL) return NULL;
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    // EVP_MAC_init refuses a NULL key even when its length is 0; a zero-length HMAC key is legal.
    static const unsigned char empty = 0;
    if (EVP_MAC_init(ctx, keyLength == 0 ? &empty : key, keyLength, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static inline int copenssl_hkdf_sha256(EVP_KDF *kdf,
                                       const void *salt, size_t saltLength,
                                       const void *ikm, size_t ikmLength,
                                       const void *info, size_t infoLength,
                                       unsigned char *out, size_t outLength) {
    static const unsigned char empty = 0;
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    if (ctx == NULL) return 0;
    OSSL_PARAM params[6];
    OSSL_PARAM *p = params;
    int mode = EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND;
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    *p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)(ikmLength == 0 ? &empty : ikm), ikmLength);
    // RFC 5869 2.2: an absent salt is HashLen zero bytes; OpenSSL needs that spelled out.
    static const unsigned char zeroSalt[32] = {0};
    if (saltLength == 0) {
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)zeroSalt, sizeof zeroSalt);
    } else {
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltLength);
    }
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)(infoLength == 0 ? &empty : info), infoLength);
    *p = OSSL_PARAM_construct_end();
    int ok = EVP_KDF_derive(ctx, out, outLength, params);
    EVP_KDF_CTX_free(ctx);
    return ok;
}

static inline const char *copenssl_version_text(void) { return OpenSSL_version(OPENSSL_VERSION); }

#endif
