// SPDX-License-Identifier: LGPL-2.1-or-later
#include "lite-dtls.h"
#include "dtls-certificate.h"
#include "srtp-crypto.h"

#include <glib.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <cstring>
#include <vector>

namespace lite {

namespace {

constexpr int kMtu = 1200;  // DTLS record payloads and our datagrams stay under it

std::string openssl_error(const char *what) {
  std::string out = what;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += std::string(": ") + buf;
  }
  return out;
}

std::string hex_colon(const unsigned char *md, unsigned len) {
  static const char *digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned i = 0; i < len; i++) {
    if (i) out += ':';
    out += digits[md[i] >> 4];
    out += digits[md[i] & 15];
  }
  return out;
}

// "sha-256" (SDP) -> OpenSSL's digest, or null.
const EVP_MD *digest_for(const std::string &sdp_hash) {
  std::string name;
  for (char c : sdp_hash)
    if (c != '-') name += static_cast<char>(g_ascii_tolower(c));
  return EVP_get_digestbyname(name.c_str());
}

std::string cert_fingerprint(X509 *cert, const EVP_MD *md) {
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (!X509_digest(cert, md, buf, &len)) return {};
  return hex_colon(buf, len);
}

}  // namespace

std::unique_ptr<DtlsContext> DtlsContext::create(bool builtin_srtp_crypto, std::string *error) {
  std::unique_ptr<DtlsContext> c(new DtlsContext());
  if (srtp_init() != srtp_err_status_ok) {
    *error = "libsrtp could not be initialised";
    return nullptr;
  }
  c->openssl_srtp_ = !builtin_srtp_crypto && webrtclive::use_openssl_srtp_crypto();  // core/srtp-crypto.h
  X509 *cert = nullptr;
  EVP_PKEY *key = nullptr;
  bool ok = webrtclive::make_ecdsa_certificate("lite-consumer", &cert, &key, error);  // core/dtls-certificate.h
  if (ok) {
    c->ctx_ = SSL_CTX_new(DTLS_client_method());
    ok = c->ctx_ && SSL_CTX_use_certificate(c->ctx_, cert) == 1 && SSL_CTX_use_PrivateKey(c->ctx_, key) == 1 &&
         SSL_CTX_check_private_key(c->ctx_) == 1;
  }
  if (ok) {
    SSL_CTX_set_min_proto_version(c->ctx_, DTLS1_2_VERSION);
    // Any certificate is taken during the handshake (they are self-signed);
    // it is compared with the SDP fingerprint when the handshake ends.
    SSL_CTX_set_verify(c->ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       [](int, X509_STORE_CTX *) { return 1; });
    SSL_CTX_set_read_ahead(c->ctx_, 1);
    // (0 means success for this one.)
    ok = SSL_CTX_set_tlsext_use_srtp(c->ctx_, "SRTP_AES128_CM_SHA1_80") == 0;
  }
  if (ok) c->fingerprint_ = cert_fingerprint(cert, EVP_sha256());
  if (!ok || c->fingerprint_.empty()) *error = openssl_error("cannot make the DTLS certificate or context");
  X509_free(cert);
  EVP_PKEY_free(key);
  if (!ok || c->fingerprint_.empty()) return nullptr;
  return c;
}

DtlsContext::~DtlsContext() {
  if (ctx_) SSL_CTX_free(ctx_);
}

DtlsSrtp::DtlsSrtp(const DtlsContext &context, std::string peer_hash, std::string peer_fingerprint, SendFn send)
    : peer_hash_(std::move(peer_hash)), peer_fingerprint_(std::move(peer_fingerprint)), send_(std::move(send)) {
  ssl_ = SSL_new(context.ctx());
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(rbio_, -1);  // empty = "try again", not EOF
  SSL_set_bio(ssl_, rbio_, wbio_);
  SSL_set_connect_state(ssl_);
  // A memory BIO knows no path MTU.
  SSL_set_options(ssl_, SSL_OP_NO_QUERY_MTU);
  DTLS_set_link_mtu(ssl_, kMtu);
}

DtlsSrtp::~DtlsSrtp() {
  if (in_) srtp_dealloc(in_);
  if (out_) srtp_dealloc(out_);
  if (ssl_) SSL_free(ssl_);
}

void DtlsSrtp::fail(std::string why) {
  if (state_ == State::Failed) return;
  state_ = State::Failed;
  error_ = std::move(why);
}

void DtlsSrtp::start() {
  if (state_ != State::New) return;
  state_ = State::Handshaking;
  int r = SSL_do_handshake(ssl_);
  if (r <= 0 && SSL_get_error(ssl_, r) != SSL_ERROR_WANT_READ) fail(openssl_error("DTLS handshake could not start"));
  flush();
}

void DtlsSrtp::flush() {
  size_t pending = BIO_ctrl_pending(wbio_);
  if (pending == 0) return;
  std::vector<uint8_t> buf(pending);
  int n = BIO_read(wbio_, buf.data(), static_cast<int>(pending));
  if (n <= 0) return;
  // Records are self-delimiting (13-byte header, length in bytes 11-12):
  // several go in one datagram as long as it stays under the MTU.
  size_t start = 0, at = 0, end = static_cast<size_t>(n);
  while (at < end) {
    size_t rec = 13;
    if (at + 13 <= end) rec += (size_t(buf[at + 11]) << 8) | buf[at + 12];
    if (at + rec > end) rec = end - at;  // cannot happen; send the rest as it is
    if (at > start && at + rec - start > static_cast<size_t>(kMtu)) {
      send_(buf.data() + start, at - start);
      start = at;
    }
    at += rec;
  }
  if (at > start) send_(buf.data() + start, at - start);
}

void DtlsSrtp::on_datagram(const uint8_t *data, size_t len) {
  if (state_ != State::Handshaking && state_ != State::Connected) return;
  BIO_write(rbio_, data, static_cast<int>(len));
  if (state_ == State::Handshaking) {
    int r = SSL_do_handshake(ssl_);
    if (r == 1) {
      handshake_done();
    } else {
      int e = SSL_get_error(ssl_, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) fail(openssl_error("DTLS handshake failed"));
    }
  }
  if (state_ == State::Connected) drain_reads();
  flush();
}

void DtlsSrtp::drain_reads() {
  uint8_t scratch[2048];
  for (;;) {
    int r = SSL_read(ssl_, scratch, sizeof scratch);
    if (r > 0) continue;
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_ZERO_RETURN) {
      state_ = State::Closed;
      error_ = "the peer closed DTLS";
    } else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
      ERR_clear_error();
    }
    return;
  }
}

void DtlsSrtp::tick() {
  if (state_ != State::Handshaking) return;
  // Returns 0 while the retransmission timer has not expired.
  if (DTLSv1_handle_timeout(ssl_) < 0) {
    fail(openssl_error("DTLS handshake timed out"));
    return;
  }
  flush();
}

void DtlsSrtp::close() {
  if (state_ != State::Connected) return;
  SSL_shutdown(ssl_);
  flush();
  state_ = State::Closed;
}

void DtlsSrtp::handshake_done() {
  X509 *peer = SSL_get1_peer_certificate(ssl_);
  if (!peer) {
    fail("the peer presented no DTLS certificate");
    return;
  }
  const EVP_MD *md = digest_for(peer_hash_);
  std::string actual = md ? cert_fingerprint(peer, md) : std::string();
  X509_free(peer);
  if (!md) {
    fail("unsupported fingerprint hash '" + peer_hash_ + "'");
    return;
  }
  if (g_ascii_strcasecmp(actual.c_str(), peer_fingerprint_.c_str()) != 0) {
    fail("the peer's DTLS certificate (" + peer_hash_ + " " + actual + ") is not the one its SDP announced (" +
         peer_fingerprint_ + ")");
    return;
  }
  const SRTP_PROTECTION_PROFILE *profile = SSL_get_selected_srtp_profile(ssl_);
  if (!profile || profile->id != SRTP_AES128_CM_SHA1_80) {
    fail("the peer did not select SRTP_AES128_CM_SHA1_80");
    return;
  }
  // client key | server key | client salt | server salt (RFC 5764 4.2).
  constexpr int kKey = 16, kSalt = 14;
  uint8_t km[2 * (kKey + kSalt)];
  static const char label[] = "EXTRACTOR-dtls_srtp";
  if (SSL_export_keying_material(ssl_, km, sizeof km, label, sizeof label - 1, nullptr, 0, 0) != 1) {
    fail(openssl_error("cannot export the SRTP keys"));
    return;
  }
  uint8_t client[kKey + kSalt], server[kKey + kSalt];
  memcpy(client, km, kKey);
  memcpy(client + kKey, km + 2 * kKey, kSalt);
  memcpy(server, km + kKey, kKey);
  memcpy(server + kKey, km + 2 * kKey + kSalt, kSalt);
  auto session = [this](srtp_t *s, uint8_t *key, srtp_ssrc_type_t type) {
    srtp_policy_t p;
    memset(&p, 0, sizeof p);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
    p.ssrc.type = type;
    p.key = key;
    p.window_size = 1024;  // a join's backlog arrives at once
    p.next = nullptr;
    if (srtp_create(s, &p) != srtp_err_status_ok) {
      fail("libsrtp refused the keys");
      return false;
    }
    return true;
  };
  // We are the DTLS client: the sink (server) protects with its keys.
  if (!session(&in_, server, ssrc_any_inbound) || !session(&out_, client, ssrc_any_outbound)) return;
  state_ = State::Connected;
}

bool DtlsSrtp::unprotect_rtp(uint8_t *packet, int *len) {
  return in_ && srtp_unprotect(in_, packet, len) == srtp_err_status_ok;
}

bool DtlsSrtp::unprotect_rtcp(uint8_t *packet, int *len) {
  return in_ && srtp_unprotect_rtcp(in_, packet, len) == srtp_err_status_ok;
}

bool DtlsSrtp::protect_rtcp(uint8_t *packet, int *len) {
  return out_ && state_ == State::Connected && srtp_protect_rtcp(out_, packet, len) == srtp_err_status_ok;
}

}  // namespace lite
