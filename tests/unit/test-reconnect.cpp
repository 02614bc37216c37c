// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The reconnect schedule of the signalling client (docs/decisions.md 17):
// exponential from backoff_min, capped at backoff_max, each delay with up to
// 50 % jitter below it; and the SDP/DTLS fingerprint helpers.
#include <glib.h>

#include <algorithm>
#include <cmath>
#include <gst/gst.h>

#include "client.h"
#include "webrtc-util.h"

using webrtclive::WsClient;

static void test_backoff_bounds() {
  const unsigned min = 500, max = 10000;
  for (unsigned attempt = 0; attempt < 40; attempt++) {
    double base = std::min<double>(max, min * std::pow(2.0, std::min(attempt, 30u)));
    for (double r : {0.0, 0.25, 0.5, 0.999}) {
      unsigned d = WsClient::backoff_ms(attempt, min, max, r);
      g_assert_cmpuint(d, >=, static_cast<unsigned>(base * 0.5));
      g_assert_cmpuint(d, <=, static_cast<unsigned>(base));
      g_assert_cmpuint(d, <=, max);
    }
  }
  // The first retry comes fast, the tenth no later than the cap.
  g_assert_cmpuint(WsClient::backoff_ms(0, min, max, 0.0), ==, 250);
  g_assert_cmpuint(WsClient::backoff_ms(0, min, max, 0.999), <=, 500);
  g_assert_cmpuint(WsClient::backoff_ms(10, min, max, 0.999), <=, 10000);
  g_assert_cmpuint(WsClient::backoff_ms(10, min, max, 0.0), ==, 5000);
}

static void test_backoff_jitter_spreads() {
  // Many clients that lost the same server do not all come back at once.
  unsigned lo = G_MAXUINT, hi = 0;
  for (int i = 0; i < 1000; i++) {
    unsigned d = WsClient::backoff_ms(3, 500, 10000, g_random_double());
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  g_assert_cmpuint(hi - lo, >, 1000);  // 2000..4000 ms
}

static const char *kPem =
    "-----BEGIN CERTIFICATE-----\n"
    "AAECAwQFBgcICQ==\n"
    "-----END CERTIFICATE-----\n";

static void test_fingerprints() {
  // SHA-256 of the bytes 00..09, as SDP writes it.
  auto fp = webrtclive::pem_fingerprint(kPem, "sha-256");
  g_assert_true(fp.has_value());
  g_assert_cmpstr(fp->c_str(), ==,
                  "1F:82:5A:A2:F0:02:0E:F7:CF:91:DF:A3:0D:A4:66:8D:79:1C:5D:48:24:FC:8E:41:35:4B:89:EC:05:79:5A:B3");
  g_assert_false(webrtclive::pem_fingerprint(kPem, "md5").has_value());
  g_assert_false(webrtclive::pem_fingerprint("not a certificate", "sha-256").has_value());

  auto sdp = webrtclive::sdp_fingerprint("v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=fingerprint:sha-256 AB:CD\r\n");
  g_assert_true(sdp.has_value());
  g_assert_cmpstr(sdp->first.c_str(), ==, "sha-256");
  g_assert_cmpstr(sdp->second.c_str(), ==, "AB:CD");
  g_assert_false(webrtclive::sdp_fingerprint("v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n").has_value());
}

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/reconnect/backoff-bounds", test_backoff_bounds);
  g_test_add_func("/reconnect/backoff-jitter", test_backoff_jitter_spreads);
  g_test_add_func("/dtls/fingerprints", test_fingerprints);
  return g_test_run();
}
