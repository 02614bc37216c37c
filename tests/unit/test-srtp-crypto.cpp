// SPDX-License-Identifier: LGPL-2.1-or-later
//
// SRTP on OpenSSL (core/srtp-crypto.*): libsrtp takes the ciphers (their
// known-answer tests pass, else it refuses them), a packet protected with
// them unprotects to the same bytes, and a changed byte fails
// authentication. Interoperation with independent implementations is shown
// by every browser test (Chromium decodes what the sink protects with them).
#include <glib.h>
#include <gst/gst.h>
#include <srtp2/srtp.h>

#include <cstring>
#include <vector>

#include "srtp-crypto.h"

using namespace webrtclive;

namespace {

srtp_t session(const unsigned char *key, srtp_ssrc_type_t type) {
  srtp_policy_t policy;
  memset(&policy, 0, sizeof policy);
  srtp_crypto_policy_set_rtp_default(&policy.rtp);  // AES-128-CM, HMAC-SHA1-80
  srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
  policy.ssrc.type = type;
  policy.key = const_cast<unsigned char *>(key);
  policy.window_size = 128;
  srtp_t s = nullptr;
  g_assert_cmpint(srtp_create(&s, &policy), ==, srtp_err_status_ok);
  return s;
}

void test_installed_and_round_trip() {
  g_assert_cmpstr(prepare_srtp_crypto(), ==, "openssl");
  unsigned char key[30];
  for (int i = 0; i < 30; i++) key[i] = static_cast<unsigned char>(i * 7 + 1);
  srtp_t tx = session(key, ssrc_any_outbound), rx = session(key, ssrc_any_inbound);
  for (int seq = 1; seq <= 50; seq++) {
    // RTP header (V=2, PT 96, seq, ts, SSRC) + 1000 bytes of payload, room for the tag.
    std::vector<unsigned char> pkt(12 + 1000 + SRTP_MAX_TRAILER_LEN);
    unsigned char hdr[12] = {0x80, 96, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78};
    hdr[2] = static_cast<unsigned char>(seq >> 8);
    hdr[3] = static_cast<unsigned char>(seq);
    memcpy(pkt.data(), hdr, 12);
    for (int i = 0; i < 1000; i++) pkt[12 + i] = static_cast<unsigned char>(i ^ seq);
    std::vector<unsigned char> plain(pkt.begin(), pkt.begin() + 1012);
    int len = 1012;
    g_assert_cmpint(srtp_protect(tx, pkt.data(), &len), ==, srtp_err_status_ok);
    g_assert_cmpint(len, ==, 1012 + 10);
    g_assert_true(memcmp(pkt.data() + 12, plain.data() + 12, 1000) != 0);  // encrypted
    if (seq == 25) {  // tampered: refused
      std::vector<unsigned char> bad(pkt.begin(), pkt.begin() + len);
      bad[40] ^= 1;
      int bad_len = len;
      g_assert_cmpint(srtp_unprotect(rx, bad.data(), &bad_len), ==, srtp_err_status_auth_fail);
    }
    g_assert_cmpint(srtp_unprotect(rx, pkt.data(), &len), ==, srtp_err_status_ok);
    g_assert_cmpint(len, ==, 1012);
    g_assert_true(memcmp(pkt.data(), plain.data(), 1012) == 0);
  }
  srtp_dealloc(tx);
  srtp_dealloc(rx);
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/srtp-crypto/installed-and-round-trip", test_installed_and_round_trip);
  return g_test_run();
}
