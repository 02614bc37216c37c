// SPDX-License-Identifier: LGPL-2.1-or-later
//
// AES-128 counter mode and HMAC-SHA1 for libsrtp2 on OpenSSL, installed
// with libsrtp's own srtp_replace_cipher_type / srtp_replace_auth_type
// (public API; each must pass libsrtp's known-answer tests to be taken).
//
// Why: Debian 12's libsrtp2 is built on NSS, which makes a PKCS#11 context
// per packet: measured with 50 lite-consumers at 2 Mbit/s, srtp_unprotect
// was 68 % of the process's CPU, most of it in NSS (libfreebl, libsoftokn,
// memcmp and malloc under PK11_CipherOp / PK11_DigestOp); in webrtclivesink
// with 50 viewers NSS was 9 % of the process. Here the AES key schedule and
// the HMAC pads are computed once per key; a packet costs an IV reset, one
// AES-CTR pass (AES-NI) and two SHA-1 passes.
//
// libsrtp's crypto kernel is process-wide: webrtcbin's srtpenc/srtpdec (the
// same libsrtp2.so) use these once installed. Used by webrtclivesink,
// webrtclivesrc (prepare_srtp_crypto, decision 78) and bench/'s lite-consumer.
#define OPENSSL_SUPPRESS_DEPRECATED  // SHA1_Init & co: the cheapest pre-keyed HMAC
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <srtp2/srtp.h>

#include <gst/gst.h>

#include <mutex>

#include <cstdlib>
#include <cstring>

#include "srtp-crypto.h"

// libsrtp's known-answer tests (exported data).
extern "C" const srtp_cipher_test_case_t srtp_aes_icm_128_test_case_0;
extern "C" const srtp_auth_test_case_t srtp_hmac_test_case_0;

namespace webrtclive {

namespace {

constexpr int kKeyLen = 16, kSaltLen = 14;

struct Icm {
  EVP_CIPHER_CTX *ctx = nullptr;
  uint8_t offset[16] = {};  // the salt, low 16 bits zero (RFC 3711 4.1.1)
};

srtp_err_status_t icm_alloc(srtp_cipher_pointer_t *cp, int key_len, int);
srtp_err_status_t icm_dealloc(srtp_cipher_pointer_t c) {
  auto *s = static_cast<Icm *>(c->state);
  EVP_CIPHER_CTX_free(s->ctx);
  delete s;
  free(c);
  return srtp_err_status_ok;
}

srtp_err_status_t icm_init(void *state, const uint8_t *key) {
  auto *s = static_cast<Icm *>(state);
  memset(s->offset, 0, sizeof s->offset);
  memcpy(s->offset, key + kKeyLen, kSaltLen);
  return EVP_EncryptInit_ex(s->ctx, EVP_aes_128_ctr(), nullptr, key, s->offset) ? srtp_err_status_ok
                                                                               : srtp_err_status_init_fail;
}

srtp_err_status_t icm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t) {
  auto *s = static_cast<Icm *>(state);
  uint8_t counter[16];
  for (int i = 0; i < 16; i++) counter[i] = s->offset[i] ^ iv[i];
  // Only the IV: the key schedule stays.
  return EVP_EncryptInit_ex(s->ctx, nullptr, nullptr, nullptr, counter) ? srtp_err_status_ok : srtp_err_status_fail;
}

srtp_err_status_t icm_crypt(void *state, uint8_t *buffer, unsigned int *len) {
  auto *s = static_cast<Icm *>(state);
  int out = 0;
  if (!EVP_EncryptUpdate(s->ctx, buffer, &out, buffer, int(*len))) return srtp_err_status_cipher_fail;
  *len = unsigned(out);
  return srtp_err_status_ok;
}

const srtp_cipher_type_t icm_type = {
    icm_alloc, icm_dealloc, icm_init, nullptr, icm_crypt, icm_crypt, icm_set_iv, nullptr,
    "AES-128 counter mode (gst-webrtc-live, OpenSSL)", &srtp_aes_icm_128_test_case_0, SRTP_AES_ICM_128,
};

srtp_err_status_t icm_alloc(srtp_cipher_pointer_t *cp, int key_len, int) {
  if (key_len != kKeyLen + kSaltLen) return srtp_err_status_bad_param;
  auto *c = static_cast<srtp_cipher_t *>(calloc(1, sizeof(srtp_cipher_t)));
  auto *s = new Icm;
  s->ctx = EVP_CIPHER_CTX_new();
  if (!c || !s->ctx) {
    EVP_CIPHER_CTX_free(s->ctx);
    delete s;
    free(c);
    return srtp_err_status_alloc_fail;
  }
  c->type = &icm_type;
  c->state = s;
  c->key_len = key_len;
  c->algorithm = SRTP_AES_ICM_128;
  *cp = c;
  return srtp_err_status_ok;
}

struct Hmac {
  SHA_CTX inner0, outer0;  // after the ipad / opad block
  SHA_CTX work;
};

srtp_err_status_t hmac_alloc(srtp_auth_pointer_t *ap, int key_len, int out_len);
srtp_err_status_t hmac_dealloc(srtp_auth_pointer_t a) {
  delete static_cast<Hmac *>(a->state);
  free(a);
  return srtp_err_status_ok;
}

srtp_err_status_t hmac_init(void *state, const uint8_t *key, int key_len) {
  if (key_len > 20) return srtp_err_status_bad_param;
  auto *s = static_cast<Hmac *>(state);
  uint8_t ipad[64], opad[64];
  for (int i = 0; i < 64; i++) {
    const uint8_t k = i < key_len ? key[i] : 0;
    ipad[i] = k ^ 0x36;
    opad[i] = k ^ 0x5c;
  }
  SHA1_Init(&s->inner0);
  SHA1_Update(&s->inner0, ipad, 64);
  SHA1_Init(&s->outer0);
  SHA1_Update(&s->outer0, opad, 64);
  s->work = s->inner0;
  return srtp_err_status_ok;
}

srtp_err_status_t hmac_start(void *state) {
  auto *s = static_cast<Hmac *>(state);
  s->work = s->inner0;
  return srtp_err_status_ok;
}

srtp_err_status_t hmac_update(void *state, const uint8_t *data, int len) {
  SHA1_Update(&static_cast<Hmac *>(state)->work, data, size_t(len));
  return srtp_err_status_ok;
}

srtp_err_status_t hmac_compute(void *state, const uint8_t *data, int len, int tag_len, uint8_t *tag) {
  if (tag_len > 20) return srtp_err_status_bad_param;
  auto *s = static_cast<Hmac *>(state);
  uint8_t inner[20], outer[20];
  SHA1_Update(&s->work, data, size_t(len));
  SHA1_Final(inner, &s->work);
  SHA_CTX o = s->outer0;
  SHA1_Update(&o, inner, 20);
  SHA1_Final(outer, &o);
  memcpy(tag, outer, size_t(tag_len));
  return srtp_err_status_ok;
}

const srtp_auth_type_t hmac_type = {
    hmac_alloc, hmac_dealloc, hmac_init, hmac_compute, hmac_update, hmac_start,
    "HMAC-SHA1 (gst-webrtc-live, OpenSSL)", &srtp_hmac_test_case_0, SRTP_HMAC_SHA1,
};

srtp_err_status_t hmac_alloc(srtp_auth_pointer_t *ap, int key_len, int out_len) {
  if (key_len > 20 || out_len > 20) return srtp_err_status_bad_param;
  auto *a = static_cast<srtp_auth_t *>(calloc(1, sizeof(srtp_auth_t)));
  if (!a) return srtp_err_status_alloc_fail;
  a->type = &hmac_type;
  a->state = new Hmac;
  a->out_len = out_len;
  a->key_len = key_len;
  a->prefix_len = 0;
  *ap = a;
  return srtp_err_status_ok;
}

}  // namespace

bool use_openssl_srtp_crypto() {
  return srtp_replace_cipher_type(&icm_type, SRTP_AES_ICM_128) == srtp_err_status_ok &&
         srtp_replace_auth_type(&hmac_type, SRTP_HMAC_SHA1) == srtp_err_status_ok;
}

const char *prepare_srtp_crypto() {
  static std::once_flag once;
  static const char *in_use = "libsrtp";
  std::call_once(once, [] {
    const char *env = g_getenv("WEBRTCLIVE_SRTP_CRYPTO");
    if (env && g_str_equal(env, "libsrtp")) {
      GST_INFO("SRTP: libsrtp's own crypto (WEBRTCLIVE_SRTP_CRYPTO=libsrtp)");
      return;
    }
    if (srtp_init() == srtp_err_status_ok && use_openssl_srtp_crypto()) {
      in_use = "openssl";
      GST_INFO("SRTP: AES-128-CM and HMAC-SHA1 on OpenSSL");
    } else {
      GST_WARNING("SRTP: libsrtp refused the OpenSSL ciphers; it keeps its own");
    }
  });
  return in_use;
}

}  // namespace webrtclive
