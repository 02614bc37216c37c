// SPDX-License-Identifier: LGPL-2.1-or-later
#include "dtls-certificate.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "srtp-crypto.h"
#include "webrtc-util.h"

namespace webrtclive {

namespace {

std::string openssl_reason(const char *what) {
  char buf[256] = {};
  unsigned long e = ERR_get_error();
  if (e) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return std::string(what) + (e ? std::string(": ") + buf : "");
}

}  // namespace

bool make_ecdsa_certificate(const char *common_name, X509 **cert_out, EVP_PKEY **key_out, std::string *error) {
  EVP_PKEY *key = EVP_EC_gen("P-256");
  X509 *cert = X509_new();
  bool ok = key && cert;
  if (ok) {
    X509_set_version(cert, 2);
    unsigned char serial[8];
    ok = RAND_bytes(serial, sizeof serial) == 1;
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, nullptr);
    ok = ok && bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert), -24 * 3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 30L * 24 * 3600);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char *>(common_name), -1,
                               -1, 0);
    ok = ok && X509_set_issuer_name(cert, name) && X509_set_pubkey(cert, key) && X509_sign(cert, key, EVP_sha256()) > 0;
  }
  if (!ok) {
    if (error) *error = openssl_reason("cannot make an ECDSA certificate");
    X509_free(cert);
    EVP_PKEY_free(key);
    return false;
  }
  *cert_out = cert;
  *key_out = key;
  return true;
}

std::shared_ptr<const std::string> make_dtls_certificate_pem(const char *common_name, std::string *error) {
  X509 *cert = nullptr;
  EVP_PKEY *key = nullptr;
  if (!make_ecdsa_certificate(common_name, &cert, &key, error)) return nullptr;
  BIO *bio = BIO_new(BIO_s_mem());
  bool ok = bio && PEM_write_bio_X509(bio, cert) && PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::shared_ptr<const std::string> pem;
  if (ok) {
    char *data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    pem = std::make_shared<const std::string>(data, static_cast<size_t>(n));
  } else if (error) {
    *error = openssl_reason("cannot write the certificate as PEM");
  }
  BIO_free(bio);
  X509_free(cert);
  EVP_PKEY_free(key);
  return pem;
}

std::shared_ptr<const std::string> element_dtls_certificate(GstElement *element) {
  if (const char *env = g_getenv("WEBRTCLIVE_DTLS_CERTIFICATE"); env && g_str_equal(env, "gstreamer")) {
    GST_INFO_OBJECT(element, "GStreamer's process-wide RSA certificate (WEBRTCLIVE_DTLS_CERTIFICATE=gstreamer)");
    return nullptr;
  }
  const gint64 t0 = g_get_monotonic_time();
  std::string error;
  gchar *name = gst_object_get_name(GST_OBJECT(element));
  auto pem = make_dtls_certificate_pem(name, &error);
  g_free(name);
  if (pem)
    GST_INFO_OBJECT(element, "made its ECDSA P-256 DTLS certificate (%.1f ms)", (g_get_monotonic_time() - t0) / 1000.0);
  else
    GST_ELEMENT_WARNING(element, LIBRARY, INIT, ("No DTLS certificate of its own: %s.", error.c_str()),
                        ("sessions use GStreamer's process-wide RSA certificate"));
  return pem;
}

std::shared_ptr<const std::string> prepare_element_crypto(GstElement *element, unsigned *process_cert_ms) {
  prepare_srtp_crypto();
  auto pem = element_dtls_certificate(element);
  *process_cert_ms = prepare_dtls_certificate();
  return pem;
}

}  // namespace webrtclive
