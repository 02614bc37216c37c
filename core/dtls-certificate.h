// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Self-signed ECDSA P-256 certificates for DTLS (issue 11, decision 83).
// GStreamer 1.22's dtls elements make one RSA-2048 certificate per process
// (90-280 ms, the first time); an EC key costs about a millisecond, and an
// ECDSA signature in every DTLS handshake costs a fraction of an RSA one.
// Each webrtclivesink / webrtclivesrc makes its own when it starts; every
// Session of that element uses it (SessionConfig::certificate_pem).
#pragma once

#include <gst/gst.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace webrtclive {

// A new key and a certificate for it, valid from a day ago for 30 days,
// subject CN=`common_name`, random serial, SHA-256 signature. The caller
// frees both. False (with OpenSSL's reason) when OpenSSL failed.
bool make_ecdsa_certificate(const char *common_name, X509 **cert, EVP_PKEY **key, std::string *error);

// The same as PEM, certificate then private key: what dtlssrtpdec's "pem"
// property takes. Null (with the reason) when it could not be made.
std::shared_ptr<const std::string> make_dtls_certificate_pem(const char *common_name, std::string *error);

// An element's own, made when it starts (CN = its name), logged with the
// time it took; null (after a WARNING on the element) when it could not be
// made: its sessions then use GStreamer's process-wide RSA certificate.
// WEBRTCLIVE_DTLS_CERTIFICATE=gstreamer asks for that one (comparisons).
std::shared_ptr<const std::string> element_dtls_certificate(GstElement *element);

// Everything a sink or src prepares when it starts so that no session pays
// for it: SRTP on OpenSSL and the process's RSA certificate (which 1.22's
// dtlsdec makes anyway; the ms that took in `process_cert_ms`, 0 after the
// first call, for the element's own log), both once per process, and the
// element's own certificate, returned.
std::shared_ptr<const std::string> prepare_element_crypto(GstElement *element, unsigned *process_cert_ms);

}  // namespace webrtclive
