// SPDX-License-Identifier: LGPL-2.1-or-later
//
// lite-consumer's DTLS-SRTP: OpenSSL as the DTLS client (we answer with
// a=setup:active) over memory BIOs, and libsrtp2 sessions keyed from the
// handshake (RFC 5764). One DtlsContext per process: one ECDSA P-256
// self-signed certificate (made in ~1 ms) and one SSL_CTX. One DtlsSrtp
// per consumer; the owner feeds it the DTLS datagrams it receives, calls
// tick() now and then (handshake retransmission) and gives it a function
// that sends a datagram to the peer. Not thread-safe: one thread drives it.
//
// The peer's certificate is checked against the fingerprint of its SDP
// once the handshake ends; on a mismatch no SRTP key is made and the state
// is Failed.
#pragma once

#include <openssl/ssl.h>
#include <srtp2/srtp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace lite {

class DtlsContext {
 public:
  // Makes the certificate and the SSL_CTX, and initialises libsrtp; unless
  // `builtin_srtp_crypto`, libsrtp's AES-CM and HMAC-SHA1 are replaced by
  // ours on OpenSSL (lite-srtp-crypto.cpp).
  [[nodiscard]] static std::unique_ptr<DtlsContext> create(bool builtin_srtp_crypto, std::string *error);
  ~DtlsContext();
  DtlsContext(const DtlsContext &) = delete;
  DtlsContext &operator=(const DtlsContext &) = delete;
  SSL_CTX *ctx() const { return ctx_; }
  // sha-256 of our certificate, "AB:CD:..." (for a=fingerprint).
  const std::string &fingerprint() const { return fingerprint_; }
  // "openssl" or "libsrtp": whose AES and HMAC libsrtp uses.
  const char *srtp_crypto() const { return openssl_srtp_ ? "openssl" : "libsrtp"; }

 private:
  DtlsContext() = default;
  SSL_CTX *ctx_ = nullptr;
  std::string fingerprint_;
  bool openssl_srtp_ = false;
};

class DtlsSrtp {
 public:
  enum class State { New, Handshaking, Connected, Failed, Closed };
  using SendFn = std::function<void(const uint8_t *data, size_t len)>;

  // `peer_hash` and `peer_fingerprint` as the peer's a=fingerprint gave them
  // ("sha-256", "AB:CD:...").
  DtlsSrtp(const DtlsContext &context, std::string peer_hash, std::string peer_fingerprint, SendFn send);
  ~DtlsSrtp();
  DtlsSrtp(const DtlsSrtp &) = delete;
  DtlsSrtp &operator=(const DtlsSrtp &) = delete;

  void start();                                     // sends the ClientHello
  void on_datagram(const uint8_t *data, size_t len);  // a DTLS datagram from the peer
  void tick();                                      // retransmits a flight when its timer expired
  void close();                                     // close_notify, once connected

  State state() const { return state_; }
  const std::string &error() const { return error_; }

  // In place; `len` in/out. False when the packet is refused (auth, replay).
  bool unprotect_rtp(uint8_t *packet, int *len);
  bool unprotect_rtcp(uint8_t *packet, int *len);
  // `packet` must have SRTP_MAX_TRAILER_LEN bytes of room after `*len`.
  bool protect_rtcp(uint8_t *packet, int *len);

 private:
  void fail(std::string why);
  void flush();           // sends what OpenSSL wrote, in datagrams of whole records
  void handshake_done();  // fingerprint check, SRTP keys
  void drain_reads();     // application data (an SCTP association we do not serve) is dropped

  SSL *ssl_ = nullptr;
  BIO *rbio_ = nullptr;  // owned by ssl_
  BIO *wbio_ = nullptr;  // owned by ssl_
  std::string peer_hash_, peer_fingerprint_;
  SendFn send_;
  State state_ = State::New;
  std::string error_;
  srtp_t in_ = nullptr;   // the sink's RTP and RTCP
  srtp_t out_ = nullptr;  // our RTCP
};

}  // namespace lite
