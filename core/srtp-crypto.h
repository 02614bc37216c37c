// SPDX-License-Identifier: LGPL-2.1-or-later
//
// SRTP's AES-128 counter mode and HMAC-SHA1 on OpenSSL for libsrtp2, which
// Debian builds on NSS (a PKCS#11 context per packet). core/srtp-crypto.cpp
// says why and what it saves.
#pragma once

namespace webrtclive {

// After srtp_init(): installs them in libsrtp's process-wide crypto kernel
// (each must pass libsrtp's known-answer test). False when libsrtp refused
// them (it then keeps its own).
bool use_openssl_srtp_crypto();

// Once per process, when a sink or src starts: srtp_init() and the above,
// unless WEBRTCLIVE_SRTP_CRYPTO=libsrtp. Returns "openssl" or "libsrtp".
const char *prepare_srtp_crypto();

}  // namespace webrtclive
